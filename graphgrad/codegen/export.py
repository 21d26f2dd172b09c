"""`gg.export`: write the generated module to a file that needs only numpy (or jax) to run."""
from __future__ import annotations

import pathlib

from .compile import _optimized
from .emitter import emit, get_backend


def export(g, path, backend="numpy", *, optimize=True, name=None) -> pathlib.Path:
    """Write the module computing `g` (optimized first unless `optimize=False`) to `path`."""
    if backend == "c":  # writes path (.c) and its .h: graphgrad/codegen/c
        from .c import export_c
        return export_c(g, path, optimize=optimize, name=name)
    be = get_backend(backend)
    return write_module(emit(_optimized(g, optimize), be, name=name), path)


def write_module(source: str, path) -> pathlib.Path:
    """Write generated source to `path`, creating its folder (as `gg.viz.render` does)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path
