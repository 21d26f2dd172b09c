"""`gg.export`: write the generated module to a file that needs only numpy (or jax) to run."""
from __future__ import annotations

import os
import pathlib

from ..graph.ir import Graph
from .compile import optimized
from .emitter import emit, get_backend


def export(g: Graph, path: str | os.PathLike, backend: str = "numpy", *, optimize: bool = True,
           name: str | None = None, check_args: bool = True, check_finite: bool = False,
           comments: str = "short") -> pathlib.Path:
    """Write the module computing `g` (optimized first unless `optimize=False`) to `path`.

    With `check_args` (the default) the function checks each argument's shape and dtype, as
    `gg.compile`'s wrapper does, raising ValueError naming the input; `check_args=False` leaves
    the checks out for a hot loop (they cost about a microsecond per argument). `check_finite`
    as in `gg.compile`."""
    be = get_backend(backend)
    return write_module(emit(optimized(g, optimize), be, name=name, check_args=check_args,
                             check_finite=check_finite, comments=comments), path)


def write_module(source: str, path) -> pathlib.Path:
    """Write generated source to `path`, creating its folder (as `gg.viz.render` does)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path
