"""Pictures of graphs with Graphviz: `to_dot` builds the DOT (no binary needed), `render` writes
svg/png/pdf, `compare` puts two graphs side by side (e.g. before and after the Jacobian rewrite),
`elimination` draws the order in which a jacobian multiplies its per-op Jacobians.
"""
from .compare import compare
from .dot import SUMMARY_THRESHOLD, to_dot
from .elimination import elimination
from .render import render

__all__ = ["to_dot", "render", "compare", "elimination", "SUMMARY_THRESHOLD"]
