"""`to_dot`: a Graph as a `graphviz.Digraph` (no Graphviz binary needed to build its source).

Layout: inputs and parameters on the top rank, forward nodes in a blue cluster, backward nodes in
an orange one, tangent (forward-mode) nodes in a green one, outputs at the bottom; Jacobian nodes bold and red with their formula; every edge
labelled with the type of the value it carries. DOT ids come from node ids and input/output names
(`n3`, `in_x`, `out_loss`), so the same graph always gives the same source. A view too tall for
one page is folded into side-by-side columns instead (layout.py, folded.py).
"""
from __future__ import annotations

import graphviz

from . import layout, style
from ..graph.analysis import largest_intermediate
from ..graph.errors import GraphError
from ..graph.ir import ROLES
from ..graph.provenance import describe
from .labels import INDEXED, escape, size_text
from .style import FONT, MUTED, small
from .view import View, check_graph

SUMMARY_THRESHOLD = 300  # graphs with more op nodes than this are summarized when summary=None


def to_dot(g, *, title=None, marks=None, summary=None, threshold=SUMMARY_THRESHOLD, rankdir="TB",
           legend=True, forward=True) -> graphviz.Digraph:
    """Draw `g` as a Digraph.

    summary: False draws every node; True collapses runs of repeated layers into one copy marked
    "× k" (and, if that still leaves more than `threshold` nodes, draws one box per op kind and
    role with counts); "layers" or "ops" force one of the two; None (the default) summarizes
    only graphs of more than `threshold` op nodes. `title` replaces the default title (the graph's
    name and node counts); `marks` (nodes, or a report with `.failures`, see marks.py) draws
    those nodes with a magenta border and a "✗"; `legend` adds a key to the node kinds;
    `forward=False` draws, of the forward pass, only the values that backward nodes read.
    """
    from .marks import mark, resolve
    from .summary import choose_view, draw_op_summary

    g = check_graph(g)
    view = choose_view(g, summary, threshold, forward)
    dot = new_digraph(g.name, rankdir)
    dot.attr(label=title_label(g, title), labelloc="t", labeljust="l")
    if view is None:
        draw_op_summary(dot, g, marked=set(resolve(g, marks)))
    else:
        mark(view, marks)
        kinds = draw_view(dot, view)
        if legend:
            add_legend(dot, kinds, marked=bool(view.marked))
    return dot


def new_digraph(name: str, rankdir: str = "TB") -> graphviz.Digraph:
    """An empty Digraph with the shared fonts and spacing."""
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise GraphError(f"rankdir must be one of TB, LR, BT, RL, got {rankdir!r}")
    dot = graphviz.Digraph(name=name)
    dot.attr(rankdir=rankdir, fontname=FONT, fontsize="16", newrank="true", nodesep="0.3",
             ranksep="0.45", compound="true")
    dot.attr("node", fontname=FONT, fontsize="11", margin="0.12,0.05", height="0.3")
    dot.attr("edge", fontname=FONT, fontsize="9", fontcolor=MUTED, color="#777777",
             arrowsize="0.7")
    return dot


def title_label(g, title=None) -> str:
    """The user's title (default: the graph's name) above a line of counts, the largest
    intermediate and the passes that made the graph."""
    head = escape(g.name if title is None else title, 120)
    counts = {r: sum(1 for n in g.nodes if n.role == r) for r in ROLES}
    size, where = largest_intermediate(g)
    stats = f"{len(g)} nodes: {counts['forward']} forward, {counts['backward']} backward"
    if counts["tangent"]:
        stats += f", {counts['tangent']} tangent"
    if where is not None:
        stats += f" · largest intermediate {size_text(size)} ({where.ref} {where.op})"
    if g.passes:
        stats += " · passes: " + escape(", ".join(g.passes), 200)
    plan = getattr(g, "jacobian_plan", None)  # set by gg.jacobian and gg.hessian
    if plan is not None:
        stats += "<BR/>" + escape(plan.explain().splitlines()[0], 200)
    return f'<<FONT POINT-SIZE="18"><B>{head}</B></FONT><BR/>{small(stats)}>'


def draw_view(dot, view: View, prefix: str = "") -> list:
    """Emit a view's nodes, clusters and edges into `dot`; return the kinds drawn, in KINDS order.
    A view too tall for one page is folded into columns (see layout.py)."""
    from .folded import draw_folded

    fold = layout.plan(view)
    if fold.folded:
        kinds = draw_folded(dot, view, fold, prefix)
        return [k for k in style.KINDS if k in kinds]
    params = view.parameters
    kinds = set()
    with dot.subgraph(name=f"{prefix}inputs") as top:
        top.attr(rank="source")
        for v in view.inputs:
            kinds.add(draw_input(top, view, v, params, prefix))
    for role in ROLES:
        nodes = [n for n in view.nodes if n.role == role and n not in view.group_of]
        groups = [i for i, grp in enumerate(view.groups) if grp.nodes[0].role == role
                  and any(n not in view.hidden for n in grp.nodes)]
        if nodes or groups:
            with dot.subgraph(name=f"cluster_{prefix}{role}") as cluster:
                cluster.attr(**role_cluster_attrs(view, role))
                kinds |= draw_members(cluster, view, nodes, groups, params, prefix)
    for names, v in view.outputs:
        kinds.add(draw_output(dot, names, v, prefix))
    for src, dst, count, carry in view.edges():
        dot.edge(value_id(src, prefix), value_id(dst, prefix), **edge_attrs(src, dst, count, carry))
    draw_output_edges(dot, view.outputs, prefix)
    _anchor_backward(dot, view, prefix)
    return [k for k in style.KINDS if k in kinds]


def role_cluster_attrs(view, role, note: str = "") -> dict:
    """The attributes of the blue (forward) or orange (backward) cluster."""
    label = f"<B>{role}</B>"
    if role == "forward" and view.hidden:
        label += " (only the values the backward pass reads)"
    return dict(label=f"<{label}{note}>", style="filled,rounded", fillcolor=style.CLUSTER_FILL[role],
                color=style.ROLE_LINE[role], fontcolor=style.ROLE_LINE[role], fontsize="14",
                penwidth="1.5")


def draw_members(container, view, nodes, groups, params, prefix) -> set:
    """Op nodes, then each repeated-layer group as a nested dashed cluster marked "× k"."""
    kinds = set()
    for n in nodes:
        kinds.add(_draw_node(container, view, n, params, prefix))
    for i in groups:
        grp = view.groups[i]
        with container.subgraph(name=f"cluster_{prefix}repeat{i}") as box:
            note = f"× {grp.repeats}   ({grp.first.ref} … {grp.last.ref})"
            box.attr(label=f"<<B>{note}</B>>", style="dashed,rounded", color=MUTED,
                     fontcolor=MUTED, fontsize="12")
            for n in grp.nodes:
                if n not in view.hidden:
                    kinds.add(_draw_node(box, view, n, params, prefix))
    return kinds


def _draw_node(container, view, node, params, prefix) -> str:
    kind = style.node_kind(node, params)
    variants = [n.attrs["index"] for n in view.copies(node)] if node.op in INDEXED else ()
    marked = node in view.marked
    attrs = style.kind_attrs(kind)
    origin = describe(node)
    if origin:  # where the node came from, as a tooltip in SVG (user text: escaped)
        attrs = {**attrs, "tooltip": escape(origin, 300)}
    container.node(value_id(node, prefix),
                   style.op_label(node, style.MARK_NOTE if marked else "", variants),
                   **(style.mark_attrs(attrs) if marked else attrs))
    return kind


def draw_input(container, view, v, params, prefix) -> str:
    kind = style.node_kind(v, params)
    marked = v in view.marked
    attrs = style.kind_attrs(kind)
    container.node(value_id(v, prefix),
                   style.input_label(v, view.names[v], kind, style.MARK_NOTE if marked else ""),
                   **(style.mark_attrs(attrs) if marked else attrs))
    return kind


def draw_output(container, names, v, prefix) -> str:
    container.node(f"{prefix}out_{names[0]}", style.output_label(names, v),
                   **style.kind_attrs("output"))
    return "output"


def edge_attrs(src, dst, count, carry) -> dict:
    """An operand edge: its type label; dashed where a repeated block feeds the next copy."""
    attrs = {"label": style.edge_label(src, count)}
    if carry:
        attrs.update(style="dashed", label=f"{style.edge_label(src, 1)} (next copy)")
    elif dst.role != "forward":
        attrs["color"] = style.ROLE_LINE[dst.role]
    return attrs


def draw_output_edges(dot, outputs, prefix) -> None:
    for names, v in outputs:
        dot.edge(value_id(v, prefix), f"{prefix}out_{names[0]}", label=style.edge_label(v, 1),
                 color="#2e7d32")


def _anchor_backward(dot, view, prefix) -> None:
    """Invisible edges from the last forward node to each backward node that reads no backward
    value (the seed, Jacobian identities, transposes of inputs), so that the backward pass is
    drawn after the forward pass instead of beside its top."""
    nodes = view.nodes
    forward = [n for n in nodes if n.role == "forward"]
    if not forward:
        return
    for n in nodes:
        if n.role == "backward" and all(view.rep[v].role != "backward" for v in n.inputs):
            dot.edge(value_id(forward[-1], prefix), value_id(n, prefix), style="invis")


def value_id(value, prefix: str = "") -> str:
    """The DOT id of a value: `in_<name>` for inputs (names are identifiers), `n<id>` for nodes."""
    return f"{prefix}in_{value.name}" if value.op == "input" else f"{prefix}n{value.id}"


def add_legend(dot, kinds, prefix: str = "", marked: bool = False) -> None:
    """A key to the kinds of nodes drawn (and to marks), as one table node."""
    if kinds or marked:
        dot.node(f"{prefix}legend", style.legend_label(kinds, marked), shape="plain", fontsize="9")
