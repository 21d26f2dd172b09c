"""Pictures of graphs with Graphviz: `to_dot` builds the DOT (no binary needed), `render` writes
svg/png/pdf, `compare` puts two graphs side by side (e.g. before and after the Jacobian rewrite).
"""
from .compare import compare
from .dot import SUMMARY_THRESHOLD, to_dot
from .render import render, render_source

__all__ = ["to_dot", "render", "render_source", "compare", "SUMMARY_THRESHOLD"]
