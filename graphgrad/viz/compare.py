"""`compare`: two graphs side by side in one picture, e.g. the explicit-Jacobian backward graph
and its rewritten form, with each side's size and largest intermediate in its heading.

This is the picture the seeds draw by hand: the same gradient before and after the rewrite.
"""
from __future__ import annotations

from .dot import SUMMARY_THRESHOLD, add_legend, draw_view, new_digraph, title_label
from . import layout
from .style import KINDS
from .view import check_graph

SIDES = ("a_", "b_")


def compare(before, after, *, titles=("explicit Jacobians", "rewritten"), summary=None,
            threshold=SUMMARY_THRESHOLD, rankdir="TB", legend=True, forward=True):
    """A Digraph with `before` and `after` in two top-level clusters, side by side; DOT ids are
    prefixed `a_` and `b_`. `summary`, `threshold` and `forward` apply to each side as in
    `to_dot` (`forward=False` leaves out the forward nodes that no backward node reads). A side
    too tall for a page is folded into columns (see layout.py), the first headed by its title."""
    from .summary import choose_view, draw_op_summary

    from .folded import draw_folded

    graphs = (check_graph(before), check_graph(after))
    dot = new_digraph("compare", rankdir)
    kinds = set()
    for prefix, g, title in zip(SIDES, graphs, titles):
        view = choose_view(g, summary, threshold, forward)
        fold = layout.plan(view) if view is not None else None
        if fold is not None and fold.folded:  # columns must be top-level clusters (folded.py)
            kinds.update(draw_folded(dot, view, fold, prefix, heading=_side_title(g, title)[1:-1]))
            continue
        with dot.subgraph(name=f"cluster_{prefix}side") as side:
            side.attr(label=_side_title(g, title), style="rounded", color="#999999",
                      fontsize="15", labelloc="t")
            if view is None:
                draw_op_summary(side, g, prefix)
            else:
                kinds.update(draw_view(side, view, prefix))
    if legend:
        add_legend(dot, [k for k in KINDS if k in kinds])
    return dot


def _side_title(g, title) -> str:
    """`title` in bold above the graph's counts and largest intermediate."""
    return title_label(g, title)
