"""The shared machinery of the passes: rebuild a graph node by node into a fresh one.

A pass never mutates its input. It walks the old graph once in topological order and decides,
for each live node, which value of the new graph stands for it (a copy, an existing value, or
new nodes). Replacements take the role and name hint of the node they replace, so generated code
keeps names like `grad_w1`. Everything here is linear in the number of nodes.
"""
from __future__ import annotations

import os

from ..graph import Graph, Node
from ..graph.analysis import live_nodes
from ..graph.optable import lookup, prepare_attrs


class Proto:
    """A node not yet added: its op, operands, canonical attributes, shape and dtype."""

    __slots__ = ("op", "inputs", "attrs", "shape", "dtype", "spec")
    name, ref = None, "<new node>"  # what Graph.add_like reads besides the type

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


class Builder:
    """Builds the new graph; `make` applies a rule table to each node before adding it."""

    def __init__(self, old: Graph, rules=None):
        self.graph = Graph(old.name)
        self.rules = rules
        self._index = rules.index if rules is not None else {}  # op -> rules that may apply
        self.role = "forward"
        self.fired = 0  # how many rewrites applied: 0 means the fixed point was reached
        self.map = {v: self.graph.input_like(v) for v in old.input_values.values()}

    def add(self, op, inputs, attrs=None):
        """Add a node as is (role: that of the old node being rebuilt)."""
        return self.graph.add(op, inputs, attrs, role=self.role)

    def copy(self, node, inputs):
        """`node` again (op, attributes, type, name hint) on operands of the same types."""
        return self.graph.add_like(node, inputs, role=self.role)

    def make(self, op, inputs, attrs=None, like=None):
        """The simplest value for op(inputs): the first rule that fires, else a new node.

        `like` is the old node being rebuilt, when `inputs` have the types of its operands."""
        rules = self._index.get(op)
        if not rules:
            return self.copy(like, inputs) if like is not None else self.add(op, inputs, attrs)
        proto = Proto(op, inputs, attrs, like)
        for rule in rules:
            out = rule.apply(proto, self)
            if out is not None:
                if out.spec is not proto.spec and \
                        (out.shape != proto.shape or out.dtype != proto.dtype):
                    raise RuntimeError(f"rule {rule.algebra!r} changed {proto.op}'s type "
                                       f"from {proto.shape} {proto.dtype} to {out.shape} {out.dtype}")
                self.fired += 1
                return out
        # the op table has just checked this node: add it without checking again
        return self.copy(like if like is not None else proto, proto.inputs)


def copy_node(builder: Builder, node, inputs):
    """The default visit: the same op on the rebuilt operands."""
    return builder.copy(node, inputs)


def rebuild(graph: Graph, visit=copy_node, *, rules=None, name=None):
    """A new graph from `graph`: `visit(builder, node, new_inputs)` gives each live node's value.

    Dead nodes are skipped. The result keeps inputs and outputs (names and order); its
    provenance is `graph.passes` plus `name` when given. Returns (new graph, builder).
    """
    b = Builder(graph, rules)
    live = live_nodes(graph)
    for node in graph.nodes:
        if node not in live:
            continue
        b.role = node.role
        value = visit(b, node, [b.map[v] for v in node.inputs])
        if isinstance(value, Node) and value.name is None and node.name is not None:
            value.name = node.name  # the replacement inherits the name hint
        b.map[node] = value
    for out_name, v in graph.output_values.items():
        b.graph.output(out_name, b.map[v])
    b.graph.passes = graph.passes + ((name,) if name else ())
    return b.graph, b


def remove_dead(graph: Graph, name=None) -> Graph:
    """`graph` without the nodes no output needs."""
    return rebuild(graph, name=name)[0]


def drop_dead(built: Graph) -> Graph:
    """Remove the nodes no output needs from `built`, in place, and return it: only for a graph
    the calling pass has just built (a pass never mutates its input). No copy, unlike remove_dead."""
    live = live_nodes(built)
    if len(live) != len(built):
        built._retain(live)
    return built


def rewrite(graph: Graph, rules, name: str) -> Graph:
    """Apply a rule table in one forward sweep, then drop what the sweep left dead.

    Each new node is simplified as it is made, its operands already simplified, and patterns only
    look down at operands: so one sweep reaches the fixed point. With verification on (tests,
    GRAPHGRAD_VERIFY=1) a second sweep checks that, and a rule that fires again is a bug.
    """
    def visit(b, node, inputs):
        return b.make(node.op, inputs, node.attrs, like=node)  # replacements keep types

    current, b = rebuild(graph, visit, rules=rules)
    if b.fired:
        if verify_by_default():
            current, again = rebuild(current, visit, rules=rules)
            if again.fired:
                raise RuntimeError(f"{name}: {again.fired} rule(s) fired on a second sweep; "
                                   "a rule looks beyond its operands or undoes another")
        else:
            current = drop_dead(current)
    current.passes = graph.passes + (name,)
    return current


def verify_by_default() -> bool:
    """GRAPHGRAD_VERIFY if set; otherwise on exactly when running under pytest."""
    flag = os.environ.get("GRAPHGRAD_VERIFY")
    if flag is not None:
        return flag.strip().lower() not in ("", "0", "false", "no", "off")
    return "PYTEST_CURRENT_TEST" in os.environ
