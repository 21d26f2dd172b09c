"""`gg.compile`: optimize, check the memory budget, emit, and load the module into a callable
that checks its arguments' shapes and dtypes cheaply before running the generated function."""
from __future__ import annotations

import builtins
import inspect
import linecache

import numpy as np

from ..graph import JACOBIAN_OPS
from ..graph.analysis import gc_paused, largest_intermediate
from ..graph.errors import GraphError, MemoryBudgetError
from ..graph.evaluate import bind_arguments
from ..graph.spec import format_type
from .emitter import emit, get_backend


def _optimized(g, optimize: bool):
    """`g` after the default pipeline, unless asked not to or it has just been through it."""
    from ..passes import DEFAULT_PIPELINE, optimize as run_pipeline

    done = tuple(DEFAULT_PIPELINE)
    if not optimize or g.passes[-len(done):] == done:
        return g
    return run_pipeline(g)


def check_budget(g, max_bytes) -> None:
    """Refuse, before anything is allocated, a graph whose largest computed value exceeds
    `max_bytes` (MemoryBudgetError naming the node, its shape, its size and the way out)."""
    if max_bytes is None:
        return
    best, where = largest_intermediate(g)  # the values the generated code will compute
    if best <= max_bytes:
        return
    label = f"{where.ref} ({where.op}{', ' + repr(where.name) if where.name else ''})"
    jacobians = any(n.op in JACOBIAN_OPS for n in g.nodes)
    way_out = ("use optimize=True (gg.passes.rewrite_jacobians removes explicit Jacobians) "
               "or raise max_bytes" if jacobians else "raise max_bytes")
    raise MemoryBudgetError(
        f"node {label} of shape {where.shape} ({where.dtype}) would take {best:,} bytes "
        f"({best / 1e9:.3g} GB), over the budget max_bytes={max_bytes:,}; "
        f"{way_out}")


class Names(tuple):
    """The input or output names of a compiled function: a tuple that also equals the list of the
    same names, so that `f.input_names == ["x", "w"]` holds as users expect."""

    __slots__ = ()

    def __eq__(self, other):
        return tuple.__eq__(self, tuple(other) if isinstance(other, list) else other)

    def __ne__(self, other):
        return not self == other

    __hash__ = tuple.__hash__


class CompiledFunction:
    """A generated function with its source; calls check each argument's shape and dtype first."""

    def __init__(self, fn, source, graph, backend):
        self._fn, self.source, self.graph, self.backend = fn, source, graph, backend
        self._specs = graph.inputs
        self.input_names = Names(graph.inputs)
        self.output_names = Names(graph.outputs)
        self._fast = tuple((s.shape, np.dtype(s.dtype)) for s in graph.inputs.values())
        self.__name__ = self.__qualname__ = graph.name
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in self.input_names])

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != len(self._fast):
            return self._fn(*bind_arguments(self._specs, args, kwargs).values())
        for a, (shape, dtype) in zip(args, self._fast):
            if getattr(a, "shape", None) != shape or getattr(a, "dtype", None) != dtype:
                return self._fn(*bind_arguments(self._specs, args, {}).values())
        return self._fn(*args)

    def __repr__(self):
        ins = ", ".join(f"{n}: {format_type(s.shape, s.dtype)}" for n, s in self._specs.items())
        return f"<compiled {self.backend} function {self.__name__}({ins})>"


def load_source(source: str, fname: str, filename: str):
    """Execute generated module source and return its function (registered with linecache so that
    tracebacks show the generated lines)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": f"graphgrad_generated_{fname}", "__builtins__": builtins}
    exec(builtins.compile(source, filename, "exec"), namespace)  # noqa: S102 - our own emitted code
    return namespace[fname]


def _require_jax(g):
    """jax must be importable, and in x64 mode for a float64 graph: otherwise jax would silently
    compute in float32 and the results would not be what the graph declares."""
    try:
        import jax
    except ImportError:
        raise GraphError("the jax backend needs jax: pip install 'graphgrad[jax]' (or jax itself); "
                         "gg.export(g, path, 'jax') still writes the module") from None
    values = list(g.input_values.values()) + list(g.nodes)
    if not jax.config.jax_enable_x64 and any(v.dtype == "float64" for v in values):
        raise GraphError(f"graph {g.name!r} computes in float64 but jax's x64 mode is off, so jax "
                         "would silently compute in float32; run "
                         "jax.config.update('jax_enable_x64', True) first, or declare the graph "
                         "with gg.f32")


def compile(g, backend="numpy", *, optimize=True, jit=True, max_bytes=2**30):  # noqa: A001
    """A callable computing `g`'s outputs with generated numpy or jax code (same calling
    convention as `gg.evaluate`; keyword arguments accepted). `optimize` runs `gg.optimize`
    first; `jit` wraps the jax function with `jax.jit`; `max_bytes` bounds any one intermediate."""
    if backend == "c":  # built with the system C compiler: graphgrad/codegen/c
        from .c import compile_c
        return compile_c(g, optimize=optimize, max_bytes=max_bytes)
    be = get_backend(backend)
    if be.name == "jax":
        _require_jax(g)
    g = _optimized(g, optimize)
    check_budget(g, max_bytes)
    source = emit(g, be)
    with gc_paused():
        fn = load_source(source, g.name, f"<graphgrad {be.name}: {g.name}>")
    if be.name == "jax" and jit:
        import jax

        fn = jax.jit(fn)
    return CompiledFunction(fn, source, g, be.name)
