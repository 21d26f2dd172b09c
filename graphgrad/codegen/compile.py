"""`gg.compile`: optimize, check the memory budget, emit, and load the module into a callable
that checks its arguments' shapes and dtypes cheaply before running the generated function."""
from __future__ import annotations

import builtins
import inspect
import linecache

import numpy as np

from ..graph import JACOBIAN_OPS
from ..graph.analysis import largest_intermediate
from ..graph.errors import GraphError, MemoryBudgetError
from ..graph.evaluate import bind_arguments
from ..graph.ir import Graph
from ..graph.spec import format_type
from ..passes.pipeline import is_optimized, optimize as run_pipeline
from .emitter import emit_compiled, get_backend
from .sharding import in_shardings


def optimized(g, optimize: bool):
    """`g` after the default pipeline, unless asked not to or `gg.optimize` made `g` in this
    process (what a graph's `passes` say is history, never trusted to skip work)."""
    if not isinstance(optimize, bool):
        raise GraphError(f"optimize must be True or False, got {optimize!r}")
    if not optimize or is_optimized(g):
        return g
    return run_pipeline(g)


def check_max_bytes(max_bytes):
    """The memory budget: a non-negative int of bytes, or None for no limit."""
    if max_bytes is None:
        return None
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise GraphError(f"max_bytes must be a non-negative int (bytes) or None, got {max_bytes!r}")
    return max_bytes


PYTHON_WAYS_OUT = ("use optimize=True", "max_bytes")  # how the way out is spelled in Python
CLI_WAYS_OUT = ("drop --no-optimize", "--max-bytes")  # and on the command line


def check_budget(g, max_bytes, ways_out=PYTHON_WAYS_OUT) -> None:
    """Refuse, before anything is allocated, a graph whose largest computed value exceeds
    `max_bytes` (MemoryBudgetError naming the node, its shape, its size and the way out, spelled
    as `ways_out` says: for Python, or for the command line)."""
    if check_max_bytes(max_bytes) is None:
        return
    best, where = largest_intermediate(g)  # the values the generated code will compute
    if best <= max_bytes:
        return
    label = f"{where.ref} ({where.op}{', ' + repr(where.name) if where.name else ''})"
    jacobians = any(n.op in JACOBIAN_OPS for n in g.nodes)
    optimize, budget = ways_out
    way_out = (f"{optimize} (gg.passes.rewrite_jacobians removes explicit Jacobians) "
               f"or raise {budget}" if jacobians else f"raise {budget}")
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
        checked = getattr(fn, "checked", None)  # a backend that writes these checks into its call
        self._checked = checked(self._bound) if checked is not None else None
        self.__name__ = self.__qualname__ = graph.name
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in self.input_names])

    def _bound(self, /, *args, **kwargs):
        """The call through `bind_arguments`: conversions, and the errors that name an input."""
        return self._fn(*bind_arguments(self._specs, args, kwargs).values())

    def __call__(self, /, *args, **kwargs):  # positional-only: an input may be named `self`
        if kwargs or len(args) != len(self._fast):
            return self._bound(*args, **kwargs)
        if self._checked is not None:
            return self._checked(*args)
        for a, (shape, dtype) in zip(args, self._fast):
            if getattr(a, "shape", None) != shape or getattr(a, "dtype", None) != dtype or \
                    (isinstance(a, np.ndarray) and type(a) is not np.ndarray):  # np.matrix & co
                return self._bound(*args)
        return self._fn(*args)

    def _repr_markdown_(self):
        """Jupyter shows a compiled function as its generated source, highlighted."""
        fence = "~~~" if "```" in self.source else "```"
        return f"{fence}python\n{self.source.rstrip()}\n{fence}\n"

    def __repr__(self):
        ins = ", ".join(f"{n}: {format_type(s.shape, s.dtype)}" for n, s in self._specs.items())
        return f"<compiled {self.backend} function {self.__name__}({ins})>"


def load_source(source: str, code, fname: str) -> dict:
    """Execute a generated module's code and return its namespace (its source registered with
    linecache so that tracebacks show the generated lines)."""
    linecache.cache[code.co_filename] = (len(source), None, source.splitlines(True), code.co_filename)
    namespace = {"__name__": f"graphgrad_generated_{fname}", "__builtins__": builtins}
    exec(code, namespace)  # noqa: S102 - our own emitted code
    return namespace


def _require_jax(g):
    """jax must be importable, and in x64 mode for a float64 graph: otherwise jax would silently
    compute in float32 and the results would not be what the graph declares."""
    try:
        import jax
    except ImportError:
        raise GraphError("the jax backend needs jax: pip install 'graphgrad[jax]' (or jax itself); "
                         "gg.export(g, path, 'jax') still writes the module") from None
    values = list(g.input_values.values()) + list(g.nodes)
    wide = sorted({v.dtype for v in values} & {"float64", "int64"})
    if not jax.config.jax_enable_x64 and wide:
        raise GraphError(f"graph {g.name!r} computes in {' and '.join(wide)} but jax's x64 mode is off, so jax "
                         "would silently compute in 32 bits; run "
                         "jax.config.update('jax_enable_x64', True) first, or declare the graph "
                         "with gg.f32")


def compile(g: Graph, backend: str = "numpy", *, optimize: bool = True, jit: bool = True,  # noqa: A001
            max_bytes: int | None = 2**30, check_finite: bool = False, mesh=None, shard=None,
            microbatches: int | None = None) -> "CompiledFunction":
    """A callable computing `g`'s outputs with generated numpy or jax code (same calling
    convention as `gg.evaluate`; keyword arguments accepted). `optimize` runs `gg.optimize`
    first; `jit` wraps the jax function with `jax.jit`; `max_bytes` bounds any one intermediate;
    `check_finite` raises FloatingPointError naming the first node that made a NaN or inf;
    `microbatches=k` accumulates over k slices of the data inputs (the inputs without gradients);
    `mesh` and `shard` run the jax function sharded over a device mesh (sharding.py)."""
    if backend == "c":  # built with the system C compiler: graphgrad/codegen/c
        if mesh is not None or shard is not None or microbatches is not None or check_finite:
            raise GraphError("the C backend takes no mesh=, shard=, microbatches= or check_finite= "
                             "(its function is one plain C call)")
        from .c import compile_c
        return compile_c(g, optimize=optimize, max_bytes=max_bytes)
    be = get_backend(backend)
    check_max_bytes(max_bytes)
    if (mesh is not None or shard is not None) and be.name != "jax":
        raise GraphError(f"mesh= and shard= run jax code over devices; the {be.name} backend runs on "
                         "one machine (use backend='jax', or microbatches= to bound memory)")
    if be.name == "jax":
        _require_jax(g)
    shardings = None
    if mesh is not None or shard:
        if mesh is None:
            raise GraphError("shard= needs mesh= (a jax.sharding.Mesh)")
        shardings = in_shardings(g, mesh, shard or {})
    g = optimized(g, optimize)
    check_budget(g, max_bytes)
    source, code, fname = emit_compiled(g, be, check_finite=check_finite, microbatches=microbatches)
    namespace = load_source(source, code, fname)
    fn = namespace[fname]
    if be.name == "jax" and jit:
        import jax

        fn = jax.jit(fn, in_shardings=shardings) if shardings is not None else jax.jit(fn)
        if check_finite:  # inside jit the module cannot look at values: check here, after the call
            fn = _checked(fn, namespace["_all_finite"], namespace[f"_{fname}_steps"])
    return CompiledFunction(fn, source, g, be.name)


def _checked(fn, all_finite, steps):
    """`fn` followed by the fast finiteness check, and the slow path when it fails."""
    def checked(*args):
        out = fn(*args)
        if not all_finite(out if isinstance(out, tuple) else (out,)):
            steps(*args)
        return out
    return checked
