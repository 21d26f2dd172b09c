"""A graph becomes a list of kernels: the C backend's schedule.

Fusion: walking the live nodes backwards, an elementwise node joins the kernel of its consumers
when all of them are in one elementwise or reduction kernel over its own shape and it is not an
output, or when it is a piece that only a concatenation reads; its value then never leaves the
loop body. Everything else that computes is the root of a
kernel and is stored (in an output argument or the workspace). View ops (transpose, broadcast,
slice, contiguous reshape) are strides over their operand's storage and cost nothing; a value that
BLAS cannot read as it is, or an output that is a view, an input or a constant, gets a copy.
"""
from __future__ import annotations

import math

import numpy as np

from ...graph.errors import GraphError
from ...graph.ir import Input
from ..liveness import live_nodes
from .access import Buf, Lit, reduced_strides
from .clit import ctype, literal
from .expr import Apply, Leaf, chain, chain_text
from .nests import MapNest, ReduceNest
from .ops import Lower, Map, Reduce, Source, UNSPELLABLE, View, lookup_c


MAX_FUSED = 48  # ops in one loop nest at most: longer chains are split (and the C stays readable)


class Temp:
    """A workspace array that is no node of the graph: a contiguous copy made for BLAS."""

    inputs, op, role = (), "copy", "forward"

    def __init__(self, shape, dtype, name, role="forward"):
        self.shape, self.dtype, self.name, self.role = tuple(shape), dtype, name, role


class OutputCopy:
    """An output whose value lives elsewhere (an input, a constant, a view, another output)."""

    inputs, op = (), "copy"

    def __init__(self, name, value):
        self.name, self.shape, self.dtype, self.value = name, value.shape, value.dtype, value
        self.role = getattr(value, "role", "forward")


class Kernel:
    """One C block: the loop nests that compute (and store) the value `writes`."""

    def __init__(self, writes, nests, comment, role, elementwise=False):
        self.writes, self.nests, self.comment, self.role = writes, nests, comment, role
        self.elementwise = elementwise  # one MapNest: may overwrite an operand that dies here

    def reads(self) -> list:
        """The stored values this kernel reads, in first-use order (never the one it writes)."""
        out = []
        for nest in self.nests:
            for buf in nest.reads():
                if buf.base is not self.writes and buf.base not in out:
                    out.append(buf.base)
        return out


class Lowered:
    """The schedule of one graph: kernels in order, and where every stored value lives."""

    def __init__(self, graph, kernels, storage, outputs, accesses):
        self.graph, self.kernels, self.storage = graph, kernels, storage
        self.outputs = outputs    # output name -> the value stored in that argument
        self.accesses = accesses  # value -> Buf or Lit


def _iteration_shape(node, entry):
    return node.inputs[0].shape if isinstance(entry, Reduce) else node.shape


class _Lowering:
    def __init__(self, g):
        self.g = g
        self.order = live_nodes(g)
        self.entries = {}
        for node in self.order:
            entry = lookup_c(node)
            if entry is None or node.op in UNSPELLABLE:
                raise GraphError(f"the C backend has no spelling for op {node.op!r} (node {node.ref}"
                                 f"{' ' + repr(node.name) if node.name else ''} of graph "
                                 f"{g.name!r}); use the numpy or jax backend for this graph")
            ctype(node.dtype)
            self.entries[node] = entry
        self.output_of = {}
        for name, v in g.output_values.items():
            self.output_of.setdefault(v, name)
        self.owner = self._fuse()
        self.kernels, self.storage, self.accesses, self.trees = [], {}, {}, {}
        for v in g.input_values.values():
            ctype(v.dtype)
            self.storage[v] = ("input", v.name)
            self.accesses[v] = Buf(v, v.shape)

    # --- fusion ------------------------------------------------------------------------------
    def _fuse(self) -> dict:
        consumers = {}
        for node in self.order:
            for v in node.inputs:
                consumers.setdefault(v, []).append(node)
        owner, size = {}, {}
        for node in reversed(self.order):
            entry = self.entries[node]
            if node.op == "concatenate":  # computes the elementwise pieces only it reads
                owner[node], size[node] = node, 1
                continue
            if isinstance(entry, Map) and node not in self.output_of:
                roots = {owner.get(c) for c in consumers.get(node, ())}
                if len(roots) == 1:
                    root = roots.pop()
                    if root is not None and size[root] < MAX_FUSED and \
                            (node in root.inputs if root.op == "concatenate" else
                             _iteration_shape(root, self.entries[root]) == node.shape):
                        owner[node] = root
                        size[root] += 1
                        continue
            if isinstance(entry, (Map, Reduce)):
                owner[node], size[node] = node, 1
        return owner

    # --- what kernels may ask for ---------------------------------------------------------
    def access(self, v):
        return self.accesses[v]

    def dest(self, node, shape=None) -> Buf:
        """The node's own storage, contiguous (claimed here: the node is stored)."""
        if node not in self.storage:
            self.storage[node] = ("work",)
        buf = Buf(node, node.shape if shape is None else shape)
        self.accesses.setdefault(node, Buf(node, node.shape))
        return buf

    def kernel(self, writes, nests, comment, elementwise=False):
        self.kernels.append(Kernel(writes, nests, comment, writes.role, elementwise))

    def materialize(self, acc, hint, why="for BLAS") -> Buf:
        """A contiguous workspace copy of an access (for BLAS, or a flat gather)."""
        base_name = acc.base.name if isinstance(acc, Buf) else None
        temp = Temp(acc.shape, acc.dtype, f"{base_name or hint}_copy", self.current.role)
        self.storage[temp] = ("work",)
        buf = Buf(temp, acc.shape)
        self.kernel(temp, [MapNest(acc.shape, buf, Leaf(acc))],
                    lambda r: f"{r.name(temp)} = a contiguous copy of {r.name_of_access(acc)} {why}: "
                              f"{r.type(temp)}", elementwise=True)
        return buf

    # --- the schedule ---------------------------------------------------------------------
    def _tree(self, v, root):
        """The expression of `v` inside `root`'s kernel: a fused Apply, or a Leaf for a value
        stored elsewhere (shared when the kernel uses a fused value twice)."""
        if v is not root and self.owner.get(v) is not root:
            return Leaf(self.accesses[v])
        if v not in self.trees:
            entry = self.entries[v]
            self.trees[v] = Apply(v, [self._tree(a, root) for a in v.inputs], entry.spell,
                                  v.name if v is not root else None, entry.helper)
        return self.trees[v]

    def run(self) -> Lowered:
        for node in self.order:
            entry, self.current = self.entries[node], node
            if isinstance(entry, Source):
                self._constant(node)
            elif isinstance(entry, View):
                self._view(node, entry)
            elif isinstance(entry, Map):
                if self.owner[node] is node:
                    self._map(node)
            elif isinstance(entry, Reduce):
                self._reduce(node, entry.kind)
            elif isinstance(entry, Lower):
                entry.lower(self, node)
        return Lowered(self.g, self.kernels, self.storage, self._outputs(), self.accesses)

    def _constant(self, node):
        value = node.attrs["value"]
        flat = value.reshape(-1)
        if flat.size and (flat.view(np.uint8).reshape(flat.size, -1) == flat[:1].view(np.uint8)).all():
            # one value throughout (a scalar, np.ones(...)): written inline, bit for bit
            self.accesses[node] = Lit(literal(flat[0].item(), node.dtype), node.dtype, node.shape)
        else:
            self.storage[node] = ("const",)
            self.accesses[node] = Buf(node, node.shape)

    def _view(self, node, entry):
        (src,) = node.inputs
        acc = entry.view(self.accesses[src], node)
        if acc is None:  # a reshape of a strided view: copy into the node's own storage first
            self.dest(node)
            self.kernel(node, [MapNest(src.shape, Buf(node, src.shape), Leaf(self.accesses[src]))],
                        lambda r: f"{r.name(node)} = {r.name_of_access(self.accesses[src])} copied "
                                  f"in row-major order (a reshape of a strided view): {r.type(node)}",
                        elementwise=True)
            acc = Buf(node, node.shape)
        self.accesses[node] = acc

    def _map(self, node):
        tree = self._tree(node, node)
        dest = self.dest(node)
        ops = chain(tree)
        self.kernel(node, [MapNest(node.shape, dest, tree)],
                    lambda r: f"{r.name(node)}: {chain_text(ops)}, {r.type(node)}", elementwise=True)

    def _reduce(self, node, kind):
        (x,) = node.inputs
        tree = self._tree(x, node) if self.owner.get(x) is node else Leaf(self.accesses[x])
        dest = self.dest(node)
        shape = x.shape
        if node.op == "sum_to":
            strides = dest.aligned(shape)
        else:
            axes = range(len(shape)) if node.attrs["axis"] is None else node.attrs["axis"]
            strides = reduced_strides(shape, axes, node.attrs["keepdims"])
        ops = chain(tree) + [node.op]
        self.kernel(node, [ReduceNest(shape, dest, strides, tree, kind)],
                    lambda r: f"{r.name(node)}: {chain_text(ops)}, {r.type(x)} -> {r.type(node)}")

    def _outputs(self) -> dict:
        """Each output argument and the value stored in it; copies for the outputs whose value
        has no kernel of its own (or is already another output)."""
        out = {}
        for name, v in self.g.output_values.items():
            acc = self.accesses.get(v)
            if v not in self.storage and isinstance(acc, Buf) and acc.is_identity() and \
                    self.storage.get(acc.base) == ("work",) and acc.base.dtype == v.dtype and \
                    math.prod(acc.base.shape) == math.prod(v.shape):
                v = acc.base  # a reshape of a computed value: computed in the output itself
            if isinstance(v, Input) or self.storage.get(v) != ("work",):
                copy = OutputCopy(name, v)
                self.storage[copy] = ("output", name)
                self.kernel(copy, [MapNest(v.shape, Buf(copy, v.shape), Leaf(self.accesses[v]))],
                            lambda r, copy=copy: f"{r.name(copy)} = a copy of "
                                                 f"{r.name_of_access(self.accesses[copy.value])}: "
                                                 f"{r.type(copy)}", elementwise=True)
                out[name] = copy
            else:
                self.storage[v] = ("output", name)
                out[name] = v
        return out


def lower(g) -> Lowered:
    """The kernels of graph `g`, in execution order, and the storage of every value."""
    return _Lowering(g).run()
