"""Jupyter display: a `Graph` shows as its picture (SVG), or as its text print without Graphviz.

The IR does not import viz (graph/ is a leaf); `graphgrad/viz/__init__.py` attaches
`Graph._repr_mimebundle_ = graph_mimebundle` from outside, as JAX's array_methods does. IPython
calls it with `include`/`exclude` mime-type filters and shows the richest type it can.
"""
from __future__ import annotations

import shutil

from ..graph.errors import GraphError


def graph_mimebundle(g, include=None, exclude=None) -> dict:
    """{"text/plain": str(g)}, plus "image/svg+xml" (the default picture) when Graphviz's `dot`
    is installed and draws it; a failed drawing falls back to the text alone."""
    bundle = {"text/plain": str(g)}
    wanted = lambda mime: (include is None or mime in include) and mime not in (exclude or ())  # noqa: E731
    if wanted("image/svg+xml") and shutil.which("dot") is not None:
        from .dot import to_dot
        from .render import run_dot

        try:
            bundle["image/svg+xml"] = run_dot(to_dot(g), "svg").decode("utf-8")
        except GraphError:
            pass
    return {mime: data for mime, data in bundle.items() if wanted(mime) or mime == "text/plain"}
