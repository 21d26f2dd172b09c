"""Marked nodes: `to_dot(g, marks=...)` draws some values with a thick magenta border and a "✗".

`marks` is an iterable of values (nodes or inputs), or a per-node report: any object with a
`.failures` list whose items are values or carry one as `.node` (what `gg.check_grads(...,
per_node=True)` returns). A value from another graph (a report made on `g` before `gg.grad`)
marks the value of `g` with the same id, op and type, or the input of the same name; anything
else is a GraphError naming it, so that a report never silently marks nothing.
"""
from __future__ import annotations

from ..graph.errors import GraphError
from ..graph.ir import Input, Node
from .view import View


def resolve(g, marks) -> list:
    """The values of `g` that `marks` names, in graph order, each once."""
    if marks is None:
        return []
    items = marks.failures if hasattr(marks, "failures") else marks
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise GraphError(f"marks must be nodes or a report with .failures, got {type(marks).__name__}")
    found = set()
    for item in items:
        value = getattr(item, "node", item)
        found.add(_in_graph(g, value))
    order = list(g.input_values.values()) + list(g.nodes)
    return [v for v in order if v in found]


def _in_graph(g, value):
    if isinstance(value, Input):
        same = g.input_values.get(value.name)
        if same is not None and (same is value or (same.shape, same.dtype) == (value.shape, value.dtype)):
            return same
    elif isinstance(value, Node):
        if value.graph is g:
            return value
        if value.id < len(g.nodes):
            same = g.nodes[value.id]
            if (same.op, same.shape, same.dtype) == (value.op, value.shape, value.dtype):
                return same
    else:
        raise GraphError(f"cannot mark {type(value).__name__} {value!r}: marks are nodes or inputs "
                         "(or report items with a .node)")
    raise GraphError(f"cannot mark {value!r}: graph {g.name!r} has no such node")


def mark(view: View, marks) -> int:
    """Record in `view.marked` the drawn values that stand for the marked ones; return how many
    values were marked."""
    values = resolve(view.graph, marks)
    view.marked = {view.rep[v] for v in values}
    return len(values)
