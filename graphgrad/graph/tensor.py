"""The tracing front end's value: a symbolic `Tensor`, and how numbers and arrays join a graph.

A Tensor wraps one value (input or node) of a graph; every operation appends a node to that graph.
Python numbers and numpy arrays mix in as constants of the other operand's dtype (weak typing,
as in JAX), so `x * 2` keeps x's dtype. The operators and methods (`+`, `@`, `.T`, `.sum`, ...)
are attached by methods.py once the functions they call exist.
"""
from __future__ import annotations

import contextvars

import numpy as np

from .errors import DTypeError, GraphError
from .ir import Input, Node
from .spec import ARRAY_DTYPES, INT_DTYPES, TensorSpec, check_dtype

_TRACING = contextvars.ContextVar("graphgrad_tracing", default=())


class Tensor:
    """A symbolic tensor: static `.shape` and `.dtype`, and numpy-style operators."""

    __slots__ = ("value", "graph")
    __array_priority__ = 1000  # numpy defers `array + tensor` to Tensor.__radd__

    def __init__(self, value, graph=None):
        if not isinstance(value, (Input, Node)):
            raise GraphError(f"a Tensor wraps a graph value, got {type(value).__name__}")
        self.value = value
        self.graph = value.graph if graph is None else graph  # held: a Tensor keeps its graph alive

    # --- static facts --------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.value.shape

    @property
    def dtype(self) -> str:
        return self.value.dtype

    @property
    def spec(self) -> TensorSpec:
        return self.value.spec

    @property
    def ndim(self) -> int:
        return len(self.value.shape)

    @property
    def size(self) -> int:
        return self.value.spec.size

    @property
    def name(self) -> str:
        v = self.value
        return v.name if isinstance(v, Input) or v.name else v.ref

    @name.setter
    def name(self, name: str) -> None:
        if isinstance(self.value, Input):
            raise GraphError(f"input {self.value.name!r} cannot be renamed")
        self.value.name = str(name)

    def __repr__(self) -> str:
        return f"Tensor({self.name}: {self.spec})"

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __bool__(self):
        raise GraphError("a symbolic tensor has no truth value while tracing; use gg.where(...) "
                         "for data-dependent choices")

    def __iter__(self):
        raise GraphError("a symbolic tensor cannot be iterated; index it (t[i]) instead")

    def __array__(self, dtype=None, copy=None):
        raise GraphError("a symbolic tensor has no value while tracing, so numpy functions cannot "
                         "take it; use the gg.* functions (gg.exp, gg.sum, ...) instead")

    def __float__(self):
        raise GraphError("a symbolic tensor has no value while tracing; float() needs a number")

    def __int__(self):
        raise GraphError("a symbolic tensor has no value while tracing; int() needs a number")

    __hash__ = object.__hash__


def apply(op: str, *operands, **attrs) -> Tensor:
    """One `op` node on tensor operands (all of one graph), as a Tensor: what every front-end
    function ends in, and how derivative rules build ops that have no function of their own."""
    graph = operands[0].graph if operands else attrs.pop("graph")
    return Tensor(graph.add(op, [t.value for t in operands], attrs), graph)


def lift(a, b):
    """Two operands as tensors of one graph: numbers and arrays beside a tensor become constants
    of its dtype (the front end's weak typing)."""
    if isinstance(a, Tensor):
        return a, as_tensor(b, like=a)
    if isinstance(b, Tensor):
        return as_tensor(a, like=b), b
    a = as_tensor(a)
    return a, as_tensor(b, like=a)


def constant_array(value, dtype=None) -> np.ndarray:
    """A Python number or array-like as a numpy array of a supported dtype (DTypeError otherwise)."""
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 - any conversion failure is a user type error
        raise DTypeError(f"cannot use {type(value).__name__} as a tensor") from None
    if arr.dtype.kind not in "biuf":  # strings, objects, complex: never silently converted
        raise DTypeError(f"cannot use a {arr.dtype} array as a tensor (float or bool only)")
    if dtype is not None:
        return arr.astype(check_dtype(dtype))
    if arr.dtype.name in ARRAY_DTYPES:
        return arr
    return arr.astype("float64")


def as_tensor(value, like: "Tensor | None" = None) -> Tensor:
    """A Tensor as is; a Python number or numpy array as a constant in `like`'s graph and dtype."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (Input, Node)):
        return Tensor(value)
    graph = like.graph if like is not None else current_graph()
    if graph is None:
        raise GraphError(f"cannot make a constant from {type(value).__name__} outside a graph; "
                         "use it inside @gg.function or `with graph:`")
    arr = constant_array(value)
    if like is not None and like.dtype != "bool" and arr.dtype.kind in "iuf":
        if like.dtype in INT_DTYPES and arr.dtype.kind == "f" and not np.all(np.mod(arr, 1) == 0):
            raise DTypeError(f"cannot mix {_excerpt(value)} into a {like.dtype} tensor (numpy "
                             f"would make it float); cast the tensor with .astype('float64') first")
        if like.dtype in INT_DTYPES and arr.dtype.kind == "f" and np.ndim(value) > 0:
            raise DTypeError(f"cannot mix a float array into a {like.dtype} tensor; cast one of them")
        arr = arr.astype(like.dtype)
    return Tensor(graph.add("constant", (), {"value": arr}), graph)


def _excerpt(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def current_graph():
    """The innermost graph being traced (by `@gg.function` or `with graph:`), or None."""
    stack = _TRACING.get()
    return stack[-1] if stack else None


def enter_graph(graph):
    """`with graph:` makes `graph` the one that numbers and `gg.constant` join."""
    _TRACING.set(_TRACING.get() + (graph,))
    return graph


def exit_graph(graph, *exc) -> None:
    _TRACING.set(_TRACING.get()[:-1])
