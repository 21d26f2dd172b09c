"""Pictures of graphs with Graphviz: `to_dot` builds the DOT (no binary needed), `render` writes
svg/png/pdf, `compare` puts two graphs side by side (e.g. before and after the Jacobian rewrite),
`elimination` draws the order in which a jacobian multiplies its per-op Jacobians.

Importing this package also makes a `Graph` display as its picture in Jupyter (notebook.py).
"""
from ..graph.ir import Graph
from .compare import compare
from .dot import SUMMARY_THRESHOLD, to_dot
from .elimination import elimination
from .notebook import graph_mimebundle
from .render import render, render_source

Graph._repr_mimebundle_ = graph_mimebundle  # attached from outside: graph/ never imports viz

__all__ = ["to_dot", "render", "render_source", "compare", "elimination", "SUMMARY_THRESHOLD"]
