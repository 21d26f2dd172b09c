"""`render`: write a picture of a graph (or of any Digraph from this package) to svg, png or pdf.

The format comes from the file suffix unless `format=` says otherwise; `.dot`/`.gv` write the DOT
source and need no Graphviz binary. Missing Graphviz is a GraphError that says how to install it.
A PNG is at most `MAX_PNG_PX` pixels on its longer side: Graphviz shrinks a bigger layout to fit
(vector formats keep their natural size, as they zoom).
"""
from __future__ import annotations

from pathlib import Path
import shutil

import graphviz

from ..graph.errors import GraphError
from ..graph.ir import Graph

IMAGE_FORMATS = ("svg", "png", "pdf")
MAX_PNG_PX = 4000
DPI = 96  # Graphviz's default for bitmaps
SOURCE_FORMATS = ("dot", "gv")
INSTALL_HINT = ("the Graphviz `dot` program is not installed (or not on PATH); install it with "
                "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) "
                "or from https://graphviz.org/download/")


def render(obj, path, *, format=None, **options) -> Path:
    """Draw `obj` (a Graph, drawn with `to_dot(obj, **options)`, or a graphviz Digraph such as
    `compare(...)` gives) into `path`; create parent folders; return the path written."""
    from .dot import to_dot

    path = Path(path)
    fmt = _format(path, format)
    if isinstance(obj, Graph):
        dot = to_dot(obj, **options)
    elif isinstance(obj, graphviz.Digraph):
        if options:
            raise GraphError(f"drawing options {sorted(options)} apply to a Graph, not a Digraph")
        dot = obj
    else:
        raise GraphError(f"render takes a gg.Graph or a graphviz.Digraph, got {type(obj).__name__}")
    data = dot.source.encode("utf-8") if fmt in SOURCE_FORMATS else run_dot(dot, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _format(path: Path, format) -> str:
    fmt = (format if format is not None else path.suffix.lstrip(".")).lower()
    if fmt not in IMAGE_FORMATS + SOURCE_FORMATS:
        known = ", ".join(IMAGE_FORMATS + SOURCE_FORMATS)
        what = f"format {format!r}" if format is not None else f"suffix of {str(path)!r}"
        raise GraphError(f"cannot tell the picture format from the {what}; use one of {known}")
    return fmt


def render_source(dot: graphviz.Digraph, fmt: str) -> str:
    """The DOT text that `render` hands to Graphviz for `fmt`: for png, with the size cap."""
    if fmt != "png":
        return dot.source
    inches = f"{MAX_PNG_PX / DPI:.2f}"
    head, sep, rest = dot.source.partition("{\n")
    return f"{head}{sep}\tsize=\"{inches},{inches}\" dpi={DPI}\n{rest}"


def run_dot(dot: graphviz.Digraph, fmt: str) -> bytes:
    """The picture's bytes from the `dot` program; GraphError when it is missing or fails."""
    if shutil.which("dot") is None:
        raise GraphError(INSTALL_HINT)
    try:
        return graphviz.Source(render_source(dot, fmt)).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise GraphError(INSTALL_HINT) from None
    except graphviz.CalledProcessError as e:
        detail = (e.stderr or b"").decode("utf-8", "replace").strip()
        raise GraphError(f"Graphviz failed to draw {fmt}: {detail}") from None
