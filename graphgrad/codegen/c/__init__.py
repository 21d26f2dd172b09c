"""The C backend: a graph becomes readable, standalone C99 (`emit_c`, `export_c`) with a static
memory plan (`memory_plan`), fused loop nests and CBLAS calls, or an in-process callable built
with the system C compiler (`compile_c`). See docs/c-backend.md.
"""
from __future__ import annotations

import pathlib
import re
import warnings

from ...graph.errors import GraphError
from .build import build_library, build_settings, load_library
from .call import CCall
from .emit import CModule, emit_c, emit_module
from .lower import lower
from .ops import C_OPS, UNSPELLABLE
from .plan import MemoryPlan, plan_memory
from .pyentry import entry_includes, extension_name, extension_source, load_extension


def memory_plan(g) -> MemoryPlan:
    """The workspace layout the C backend gives graph `g` (as it is: optimize it first to see
    what `gg.compile(g, backend="c")` runs): offsets, sizes and lifetimes of its intermediates."""
    return plan_memory(lower(g))


def load_module(module: CModule) -> dict:
    """Compile (or find in the cache) and load a C module: {function name: CompiledFunction}."""
    from ..compile import CompiledFunction

    path, entries = _build(module)
    lib = load_library(path)
    out = {}
    for name, info in module.functions.items():
        fn = CompiledFunction(CCall(lib, info, entries), module.source, info.graph, "c")
        fn.header, fn.plan, fn.module, fn.entry = module.header, info.plan, module, fn._fn.entry
        out[name] = fn
    return out


def _build(module: CModule):
    """(library, its CPython entry module or None): with the entry points where this interpreter
    can build them (pyentry.py), else, or when that build fails, the plain library for ctypes."""
    includes, _ = entry_includes()
    if includes:
        name = extension_name(module.source, build_settings(includes, module.polynomial))
        try:
            path = build_library(extension_source(module, name), includes, module.polynomial)
            return path, load_extension(path, name)
        except (GraphError, ImportError, OSError) as e:  # headers that do not build: ctypes works
            warnings.warn(f"graphgrad: the C backend's CPython entry points did not build or load, so "
                          f"calls go through ctypes (GRAPHGRAD_C_ENTRY=ctypes skips them): {e}",
                          RuntimeWarning, stacklevel=3)
    return build_library(module.source, polynomial=module.polynomial), None


def compile_c(g, *, optimize=True, max_bytes=2**30, name=None):
    """`gg.compile(g, backend="c")`: optimize, check the memory budget, emit C, build it with
    the system compiler (cached) and return the checked callable (numpy arrays in and out)."""
    from ..compile import check_budget, optimized

    g = optimized(g, optimize)
    check_budget(g, max_bytes)
    module = emit_c(g, name=name)
    return load_module(module)[name or g.name]


def export_c(g, path, *, optimize=True, name=None) -> pathlib.Path:
    """`gg.export(g, "model.c", backend="c")`: write model.c and model.h; return model.c's path."""
    from ..compile import optimized

    path = pathlib.Path(path)
    if path.suffix not in (".c", ""):
        raise GraphError(f"a C module is written to a .c file (its header beside it), not {path.name!r}")
    path = path.with_suffix(".c")
    module = emit_module({name or g.name: optimized(g, optimize)},
                         module=re.sub(r"\W", "_", path.stem) or "module")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(module.source, encoding="utf-8")
    path.with_suffix(".h").write_text(module.header, encoding="utf-8")
    return path


__all__ = ["C_OPS", "CModule", "MemoryPlan", "UNSPELLABLE", "compile_c", "emit_c", "emit_module",
           "export_c", "load_module", "memory_plan"]
