"""Forward mode as a graph pass: `jvp(g, wrt, style=)` appends the tangent graph.

Reverse mode is Jᵀ·g; forward mode is J·v. For each input x in `wrt` the new graph takes a tangent
input `tangent_<x>` (x's spec); walking the forward nodes in order, each op's tangent rule (the
`jvp` half of its entry in rules.py) maps its operands' tangents to its own, and every float
output y gets an output `jvp_<y>`: the directional derivative of y along the tangents. In
`style="jacobian"` each step is the explicit product J · vec(v), which `gg.optimize` rewrites
with the same identities as reverse mode. Tangent nodes have role "tangent".
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
    for name in wrt:
        if f"tangent_{name}" in g.inputs:
            raise GraphError(f"graph {g.name!r} already has an input named 'tangent_{name}'")
    for name, spec in g.outputs.items():
        if spec.dtype in FLOAT_DTYPES and f"jvp_{name}" in g.outputs:
            raise GraphError(f"graph {g.name!r} already has an output named 'jvp_{name}'")
    new, _ = copy_graph(g)
    declared = new.input_values
    tangents = {declared[n]: new.add_input(f"tangent_{n}", declared[n].shape, declared[n].dtype)
                for n in wrt}
    with new.role("tangent") as scope:
        for node in list(new.nodes):
            ts = [tangents.get(v) for v in node.inputs]
            if node.dtype not in FLOAT_DTYPES or all(t is None for t in ts):
                continue
            rule = rule_of(node.op)
            if rule is NO_GRADIENT:
                continue
            scope.meta = Provenance(of=summary(node), rule="tangent: J·v")
            t = rule.jvp(tuple(None if t is None else Tensor(t, new) for t in ts), Tensor(node, new),
                         tuple(Tensor(v, new) for v in node.inputs), node.attrs, style)
            if t is None:
                continue
            t = t.value
            if t.shape != node.shape or t.dtype != node.dtype:
                raise AssertionError(f"the {node.op} tangent rule gave {t.spec} for {node.spec}")
            if node.name and t.name is None and t.role == "tangent":
                t.name = f"tangent_{node.name}"
            tangents[node] = t
        scope.meta = None
        for name, v in g.output_values.items():
            if v.dtype in FLOAT_DTYPES:
                out = new.output_values[name]
                new.output(f"jvp_{name}", tangents[out] if out in tangents else zeros(Tensor(out, new)))
    new.passes = g.passes + (f"jvp-{style}",)
    return new
