"""`gg.export`: write the generated module to a file that needs only numpy (or jax) to run."""
from __future__ import annotations

import os
import pathlib

from ..graph.ir import Graph
from ..graph.errors import GraphError
from .compile import optimized
from .emitter import emit, function_name, get_backend
from .sharding import sharded_function


def export(g: Graph, path: str | os.PathLike, backend: str = "numpy", *, optimize: bool = True,
           name: str | None = None, check_args: bool = True, check_finite: bool = False,
           comments: str = "short", microbatches: int | None = None,
           shard: dict | None = None) -> pathlib.Path:
    """Write the module computing `g` (optimized first unless `optimize=False`) to `path`.

    With `check_args` (the default) the function checks each argument's shape and dtype, as
    `gg.compile`'s wrapper does, raising ValueError naming the input; `check_args=False` leaves
    the checks out for a hot loop (about 0.2 µs per argument). `check_finite`
    and `microbatches` as in `gg.compile`. `shard` (jax only: input name -> mesh axis, tuple of
    axes or PartitionSpec) adds `<name>_sharded(mesh)`, the function jitted with those input shardings."""
    if backend == "c":  # writes path (.c) and its .h: graphgrad/codegen/c
        from .c import export_c

        return export_c(g, path, optimize=optimize, name=name)
    be = get_backend(backend)
    g = optimized(g, optimize)
    source = emit(g, be, name=name, check_args=check_args, check_finite=check_finite,
                  comments=comments, microbatches=microbatches)
    if shard:
        if be.name != "jax":
            raise GraphError(f"shard= describes jax shardings; the {be.name} backend has none")
        fname = function_name(g, be, name)
        source = source.replace("import jax\n", "import jax\nfrom jax.sharding import NamedSharding, "
                                "PartitionSpec\n", 1) + "\n\n" + sharded_function(fname, g, shard)
    return write_module(source, path)


def write_module(source: str, path) -> pathlib.Path:
    """Write generated source to `path`, creating its folder (as `gg.viz.render` does)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path
