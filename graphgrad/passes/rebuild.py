"""The shared machinery of the passes: rebuild a graph node by node into a fresh one.

A pass never mutates its input. It walks the old graph once in topological order and decides,
for each live node, which value of the new graph stands for it (a copy, an existing value, or
new nodes). Replacements take the role and name hint of the node they replace, so generated code
keeps names like `grad_w1`. Everything here is linear in the number of nodes.
"""
from __future__ import annotations

from dataclasses import replace
import os

from ..graph import Graph, GraphError, Node
from ..graph.analysis import live_nodes
from ..graph.optable import lookup, prepare_attrs
from ..graph.provenance import Provenance


class Proto:
    """A node not yet added: its op, operands, canonical attributes, shape and dtype."""

    __slots__ = ("op", "inputs", "attrs", "shape", "dtype", "spec")
    name, ref = None, "<new node>"

    def __init__(self, op, inputs, attrs, like=None):
        self.op, self.inputs = op, tuple(inputs)
        if like is not None:  # an old node whose operands kept their types: same attrs and type
            self.attrs, self.shape, self.dtype, self.spec = like.attrs, like.shape, like.dtype, like.spec
            return
        opdef = lookup(op)
        specs = tuple([v.spec for v in inputs])
        self.attrs = prepare_attrs(opdef, specs, dict(attrs or {}))
        self.spec = opdef.infer(*specs, **self.attrs)
        self.shape, self.dtype = self.spec.shape, self.spec.dtype


def _same_types(values, others) -> bool:
    """Whether two operand lists have equal shapes and dtypes (a shared TensorSpec: fast case)."""
    if len(values) != len(others):
        return False
    for a, b in zip(values, others):
        if a.spec is not b.spec and (a.shape != b.shape or a.dtype != b.dtype):
            return False
    return True


class Builder:
    """Builds the new graph; `make` applies a rule table to each node before adding it."""

    def __init__(self, old: Graph, rules=None):
        self.graph = Graph(old.name)
        self.rules = rules
        self._index = rules.index if rules is not None else {}  # op -> rules that may apply
        self.role = "forward"
        self.fired = 0  # how many rewrites applied: 0 means the fixed point was reached
        self.last = None  # the last rule that fired
        self.identities = []  # (new node, identity) for provenance, filled in by rebuild
        self.map = {v: self.graph._declare(v.name, v.spec) for v in old.input_values.values()}

    def add(self, op, inputs, attrs=None):
        """Add a node as is (role: that of the old node being rebuilt)."""
        return self.graph.add(op, inputs, attrs, role=self.role)

    def copy(self, node, inputs):
        """`node` again (op, attributes, type, name hint) on operands of the same types, without
        repeating the op table's checks (GraphError when the operand types differ)."""
        inputs = self.graph._operands(inputs, node.op)
        if inputs is not node.inputs and not _same_types(inputs, node.inputs):
            raise GraphError(f"copy of {node.ref}: operands {_describe(inputs)} do not have the "
                             f"types of its operands {_describe(node.inputs)}")
        return self.graph._append(node.op, inputs, node.attrs, node.spec, self.role, node.name,
                                  getattr(node, "meta", None))

    def make(self, op, inputs, attrs=None, like=None):
        """The simplest value for op(inputs): the first rule that fires, else a new node.

        `like` is the old node being rebuilt, when `inputs` have the types of its operands."""
        rules = self._index.get(op)
        if not rules:
            return self.copy(like, inputs) if like is not None else self.add(op, inputs, attrs)
        proto = Proto(op, inputs, attrs, like)
        made_from = len(self.graph._nodes)  # nodes from here on are this rewrite's
        for rule in rules:
            out = rule.apply(proto, self)
            if out is not None:
                if out.spec is not proto.spec and \
                        (out.shape != proto.shape or out.dtype != proto.dtype):
                    raise RuntimeError(f"rule {rule.algebra!r} changed {proto.op}'s type "
                                       f"from {proto.shape} {proto.dtype} to {out.shape} {out.dtype}")
                self.fired += 1
                self.last = rule
                for made in self.graph._nodes[made_from:]:  # the nodes it made: say which identity
                    self.identities.append((made, rule.algebra))
                return out
        # the op table has just checked this node: add it without checking again
        return self.copy(like if like is not None else proto, proto.inputs)


def _describe(values) -> str:
    return ", ".join(str(tuple(v.shape)) for v in values)


def rebuild(graph: Graph, visit=None, *, rules=None, name=None):
    """A new graph from `graph`: `visit(builder, node, new_inputs)` gives each live node's value
    (default: a copy). Dead nodes are skipped. The result keeps inputs, outputs (names and order)
    and gradient records; its provenance is `graph.passes` plus `name` when given. Returns
    (new graph, builder).
    """
    b = Builder(graph, rules)
    live = live_nodes(graph)
    for node in graph.nodes:
        if node not in live:
            continue
        b.role = node.role
        inputs = [b.map[v] for v in node.inputs]
        first = len(b.graph._nodes)
        value = b.copy(node, inputs) if visit is None else visit(b, node, inputs)
        for made, algebra in b.identities:  # the provenance of what a rewrite made: what it rewrote
            meta = made.meta or node.meta or Provenance()
            if algebra not in meta.identities:
                made.meta = meta.rewritten(algebra)
        b.identities.clear()
        if isinstance(value, Node):  # a replacement inherits the name hint and the provenance
            if value.name is None and node.name is not None:
                value.name = node.name
            if node.meta is not None and (value.meta is None or value.id >= first
                                          or (node.meta.wrt and not value.meta.wrt)):
                value.meta = merge(node.meta, value.meta)
        b.map[node] = value
    for out_name, v in graph.output_values.items():
        b.graph.output(out_name, b.map[v])
    b.graph.gradients = dict(graph.gradients)
    b.graph.passes = graph.passes + ((name,) if name else ())
    return b.graph, b


def merge(old, new):
    """The provenance of a node that replaces `old`'s: `old`'s account, with `new`'s identities."""
    if new is None or new is old:
        return old
    identities = old.identities + tuple(a for a in new.identities if a not in old.identities)
    return replace(old, identities=identities)


def drop_dead(built: Graph) -> Graph:
    """Remove the nodes no output needs from `built`, in place, and return it: only for a graph
    the calling pass has just built (a pass never mutates its input)."""
    live = live_nodes(built)
    if len(live) != len(built):
        built._retain(live)
    return built


def _remake(b, node, inputs):
    return b.make(node.op, inputs, node.attrs, like=node)  # replacements keep types


def rewrite(graph: Graph, rules, name: str) -> Graph:
    """Apply a rule table in one forward sweep, then drop what the sweep left dead.

    Each new node is simplified as it is made, its operands already simplified, and patterns only
    look down at operands: so one sweep reaches the fixed point (`check_fixed_point` proves it)."""
    current, b = rebuild(graph, _remake, rules=rules)
    if b.fired:
        current = drop_dead(current)
    current.passes = graph.passes + (name,)
    return current


def check_fixed_point(graph: Graph, rules, name: str) -> None:
    """A second sweep of `rules` over a pass's result must change nothing (RuntimeError if it
    does: a rule looks beyond its operands or undoes another). Run by the pipeline's checks."""
    _, again = rebuild(graph, _remake, rules=rules)
    if again.fired:
        raise RuntimeError(f"{name}: {again.fired} rule(s) fired on a second sweep (the last: "
                           f"{again.last.algebra!r}); a rule looks beyond its operands or undoes "
                           "another")


def verify_by_default() -> bool:
    """The one check switch's default: the GRAPHGRAD_VERIFY environment variable ("1" on, off
    when unset); `optimize(verify=...)` overrides it."""
    flag = os.environ.get("GRAPHGRAD_VERIFY", "")
    return flag.strip().lower() not in ("", "0", "false", "no", "off")
