"""`elimination`: the picture of a Jacobian plan (`gg.jacobian(...).jacobian_plan`).

One node per vertex of the linearized graph (its name and size n_v; sources at the top, sinks at
the bottom), an edge per local Jacobian J[v,u] labelled with its kind and shape, and on every
intermediate the step at which it is eliminated; the title gives the method, the estimated FLOPs
and those of forward and reverse accumulation. For a chain it also shows the parenthesization.
"""
from __future__ import annotations

from .dot import new_digraph
from .labels import escape
from .style import KINDS, html, small

KIND_LINE = {"identity": ("dotted", "#888888"), "diagonal": ("solid", "#c8650f"),
             "dense": ("bold", "#b3261e")}


def elimination(plan, *, title=None):
    """A graphviz.Digraph of `plan` (see the module docstring)."""
    lin = plan.lin
    dot = new_digraph("elimination")
    lines = plan.explain().splitlines()
    head = escape(title or "Jacobian accumulation", 120)
    notes = "<BR/>".join(escape(line.strip(), 200) for line in lines[:2])
    dot.attr(label=f'<<FONT POINT-SIZE="18"><B>{head}</B></FONT><BR/>{small(notes)}>',
             labelloc="t", labeljust="l")
    step_of = {}
    for number, s in enumerate(plan.steps, 1):
        step_of.setdefault(s.j, number)
    order = {v: position for position, v in enumerate(plan.order, 1)}
    for v, (name, size) in enumerate(zip(lin.labels, lin.sizes)):
        if v in lin.sources or v in lin.sinks:
            kind = "parameter" if v in lin.sources else "output"
            what = "input" if v in lin.sources else "output"
            label = html([f"<B>{escape(name)}</B>", small(f"{what} · n = {size:,}")])
        else:
            kind = "backward"
            label = html([f"<B>{escape(name)}</B>", small(f"n = {size:,}"),
                          small(f"eliminated {order[v]}. (step {step_of.get(v, '-')})")])
        shape, fill, line, extra = KINDS[kind]
        dot.node(f"v{v}", label, shape=shape, style="filled" + extra, fillcolor=fill, color=line)
    for (k, i), kind in sorted(lin.edges.items()):
        style, colour = KIND_LINE[kind]
        dot.edge(f"v{i}", f"v{k}", label=f"{kind} {lin.sizes[k]}×{lin.sizes[i]}", style=style,
                 color=colour)
    with dot.subgraph(name="sources") as top:
        top.attr(rank="source")
        for v in lin.sources:
            top.node(f"v{v}")
    with dot.subgraph(name="sinks") as bottom:
        bottom.attr(rank="sink")
        for v in lin.sinks:
            bottom.node(f"v{v}")
    return dot
