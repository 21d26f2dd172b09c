"""Forward mode as a graph pass: `jvp(g, wrt, style=)` appends the tangent graph.

Reverse mode is Jᵀ·g; forward mode is J·v. For each input x in `wrt` the new graph takes a tangent
input `tangent_<x>` (x's spec); walking the forward nodes in order, each op's tangent rule (the
`jvp` half of its entry in rules.py) maps its operands' tangents to its own, and every float
output y gets an output `jvp_<y>`: the directional derivative of y along the tangents. In
`style="jacobian"` each step is the explicit product J · vec(v), which `gg.optimize` rewrites
with the same identities as reverse mode. Tangent nodes have role "tangent".
`push_tangents` is the sweep itself, shared with `hvp` (forward over reverse).
"""
from __future__ import annotations

from collections.abc import Sequence

from ...graph import FLOAT_DTYPES, Graph, GraphError, Tensor
from ...graph.analysis import collector_paused, copy_graph
from ...graph.provenance import Provenance, summary
from .checks import check_style, pick_wrt, rule_of
from .rules import NO_GRADIENT, zeros


@collector_paused
def jvp(g: Graph, wrt: str | Sequence[str] | None = None, *, style: str = "jacobian") -> Graph:
    """A new graph: g's inputs, then `tangent_<x>` for each x in `wrt` (default: every float
    input); g's outputs, then `jvp_<y>` for each float output y."""
    check_style("jvp", style)
    wrt = pick_wrt(g, wrt)
    check_new_names(g, [f"tangent_{n}" for n in wrt], [f"jvp_{n}" for n, s in g.outputs.items()
                                                        if s.dtype in FLOAT_DTYPES])
    new, _ = copy_graph(g)
    tangents = add_tangent_inputs(new, wrt, "tangent_")
    with new.role("tangent") as scope:
        tangents = push_tangents(new, tangents, style)
        scope.meta = None
        for name, v in g.output_values.items():
            if v.dtype in FLOAT_DTYPES:
                new.output(f"jvp_{name}", tangent_of(new, new.output_values[name], tangents))
    new.passes = g.passes + (f"jvp-{style}",)
    return new


def check_new_names(g, inputs, outputs) -> None:
    """GraphError when a transform's new input or output name is taken already."""
    for name in inputs:
        if name in g.inputs:
            raise GraphError(f"graph {g.name!r} already has an input named {name!r}")
    for name in outputs:
        if name in g.outputs:
            raise GraphError(f"graph {g.name!r} already has an output named {name!r}; "
                             "rename it first with g.rename")


def add_tangent_inputs(new, wrt, prefix) -> dict:
    """Declare `<prefix><x>` (x's spec) for each x in `wrt`: {input x: its tangent input}."""
    declared = new.input_values
    return {declared[n]: new.add_input(prefix + n, declared[n].shape, declared[n].dtype) for n in wrt}


def tangent_of(graph, value, tangents):
    """The tangent of `value`, or zeros of its spec when none reaches it."""
    return tangents[value] if value in tangents else zeros(Tensor(value, graph)).value


def push_tangents(graph, tangents: dict, style: str) -> dict:
    """Apply every node's tangent rule in order (the nodes present now), starting from `tangents`
    (value -> tangent value); returns the tangents of every value they reach. Call it inside a
    `graph.role(...)` scope (whose provenance it sets for each node)."""
    tangents, scope = dict(tangents), graph._scopes[-1] if graph._scopes else None
    for node in list(graph.nodes):
        ts = [tangents.get(v) for v in node.inputs]
        if node.dtype not in FLOAT_DTYPES or all(t is None for t in ts):
            continue
        rule = rule_of(node.op)
        if rule is NO_GRADIENT:
            continue
        if scope is not None:
            scope.meta = Provenance(of=summary(node), rule="tangent: J·v")
        t = rule.jvp(tuple(None if t is None else Tensor(t, graph) for t in ts), Tensor(node, graph),
                     tuple(Tensor(v, graph) for v in node.inputs), node.attrs, style)
        if t is None:
            continue
        t = t.value
        if t.shape != node.shape or t.dtype != node.dtype:
            raise AssertionError(f"the {node.op} tangent rule gave {t.spec} for {node.spec}")
        if node.name and t.name is None and t.role == "tangent":
            t.name = f"tangent_{node.name}"
        tangents[node] = t
    return tangents
