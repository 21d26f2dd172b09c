"""The tracing front end: symbolic `Tensor`s with numpy-like operators and methods.

A Tensor wraps one value (input or node) of a graph; every operation appends a node to that graph.
Python numbers and numpy arrays mix in as constants of the other operand's dtype (weak typing,
as in JAX), so `x * 2` keeps x's dtype.
"""
from __future__ import annotations

import numpy as np

from .errors import GraphError
from .ir import Input, Node, constant_array, current_graph
from .spec import TensorSpec


class Tensor:
    """A symbolic tensor: static `.shape` and `.dtype`, and numpy-style operators."""

    __slots__ = ("value",)
    __array_priority__ = 1000  # numpy defers `array + tensor` to Tensor.__radd__

    def __init__(self, value):
        if not isinstance(value, (Input, Node)):
            raise GraphError(f"a Tensor wraps a graph value, got {type(value).__name__}")
        self.value = value

    # --- static facts --------------------------------------------------------------------
    @property
    def graph(self):
        return self.value.graph

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

    # --- operators -----------------------------------------------------------------------
    def __add__(self, other): return _f.add(self, other)
    def __radd__(self, other): return _f.add(other, self)
    def __sub__(self, other): return _f.subtract(self, other)
    def __rsub__(self, other): return _f.subtract(other, self)
    def __mul__(self, other): return _f.multiply(self, other)
    def __rmul__(self, other): return _f.multiply(other, self)
    def __truediv__(self, other): return _f.divide(self, other)
    def __rtruediv__(self, other): return _f.divide(other, self)
    def __matmul__(self, other): return _f.matmul(self, other)
    def __rmatmul__(self, other): return _f.matmul(other, self)
    def __pow__(self, exponent): return _f.power(self, exponent)
    def __neg__(self): return _f.negative(self)
    def __pos__(self): return self
    def __abs__(self): return _f.abs(self)
    def __lt__(self, other): return _f.less(self, other)
    def __le__(self, other): return _f.less_equal(self, other)
    def __gt__(self, other): return _f.greater(self, other)
    def __ge__(self, other): return _f.greater_equal(self, other)

    def __rpow__(self, base):
        raise GraphError("a tensor exponent is not supported; write gg.exp(t * np.log(base))")

    # --- methods -------------------------------------------------------------------------
    @property
    def T(self) -> "Tensor":
        return _f.transpose(self)

    def reshape(self, *shape) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _f.reshape(self, shape)

    def transpose(self, *axes) -> "Tensor":
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return _f.transpose(self, axes or None)

    def sum(self, axis=None, keepdims=False): return _f.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return _f.mean(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return _f.max(self, axis, keepdims)
    def astype(self, dtype): return _f.astype(self, dtype)
    def __getitem__(self, key): return _f.getitem(self, key)


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
        arr = arr.astype(like.dtype)
    return Tensor(graph.add("constant", (), {"value": arr}))


from . import functions as _f  # noqa: E402 - functions builds on Tensor
