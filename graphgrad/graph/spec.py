"""Tensor types: `TensorSpec` (shape and dtype), the dtypes graphgrad supports, the one limit on a
value's size, and the `f32`/`f64`/`i32`/`i64`/`bool_` annotation markers."""
from __future__ import annotations

from dataclasses import dataclass
import math
import operator

from .errors import DTypeError, ShapeError

FLOAT_DTYPES = ("float32", "float64")  # the dtypes that carry gradients
INT_DTYPES = ("int32", "int64")        # indices and labels
DTYPES = FLOAT_DTYPES + INT_DTYPES + ("bool",)
ARRAY_DTYPES = DTYPES  # what a constant may hold
SHORT_DTYPE = {"float32": "f32", "float64": "f64", "int32": "i32", "int64": "i64", "bool": "bool"}
MARKER_NAMES = {"bool": "bool_"}  # gg.bool_: a trailing underscore, as numpy spells it
MAX_NDIM = 32            # numpy 1.x's limit on dimensions
MAX_ELEMENTS = 2 ** 62   # the most elements one value may have: symbolic Jacobians of real models
                         # are far larger than memory (the budget refuses to compute those), but
                         # every count stays an exact int64
_new, _set = object.__new__, object.__setattr__
_SHARED: dict = {}  # (shape, dtype) -> the TensorSpec that TensorSpec.trusted hands out
_SHARED_MAX = 4096


def check_dtype(dtype, allowed: tuple = DTYPES) -> str:
    """Normalise a dtype given as a string, numpy dtype or marker; raise DTypeError if it is not
    one of `allowed`."""
    if type(dtype) is str and dtype in allowed:
        return dtype  # the common case, without numpy's (slow) dtype parsing: passes add many nodes
    if isinstance(dtype, DTypeMarker):
        name = dtype.dtype
    else:
        try:
            import numpy as np

            name = np.dtype(dtype).name
        except (TypeError, ValueError):  # not a dtype at all (numpy raises ValueError for some)
            name = str(dtype)
    if name not in allowed:
        raise DTypeError(f"unsupported dtype {dtype!r}: graphgrad supports {', '.join(allowed)}")
    return name


def check_shape(shape, what: str = "shape") -> tuple[int, ...]:
    """Normalise a shape to a tuple of non-negative ints; raise ShapeError otherwise."""
    if type(shape) is tuple:  # already canonical is the common case inside passes: a plain loop
        for d in shape:
            if type(d) is not int or not 0 <= d < 2 ** 63:
                break
        else:
            return shape
    if isinstance(shape, (int,)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise ShapeError(f"{what} must be a tuple of ints, got {shape!r}") from None
    out = []
    for d in dims:
        if isinstance(d, bool):
            raise ShapeError(f"{what} must be a tuple of ints, got {shape!r}")
        try:
            d = operator.index(d)
        except TypeError:
            raise ShapeError(f"{what} must be a tuple of ints, got {shape!r}") from None
        if d < 0:
            raise ShapeError(f"{what} has a negative dimension: {shape!r}")
        if d >= 2 ** 63:  # beyond what numpy (or any index) can hold
            raise ShapeError(f"{what} has a dimension too large to exist: {shape!r}")
        out.append(d)
    return tuple(out)


def check_size(shape: tuple, what: str = "shape") -> None:
    """The one limit on a value's size, applied when tracing, building and loading alike."""
    if len(shape) > MAX_NDIM or math.prod(shape) > MAX_ELEMENTS:
        raise ShapeError(f"{what} {shape} is too large (at most {MAX_NDIM} dimensions and "
                         f"{MAX_ELEMENTS} elements)")


@dataclass(frozen=True, init=False)
class TensorSpec:
    """The static type of a tensor: its shape (a tuple of ints) and dtype name."""

    shape: tuple
    dtype: str = "float64"

    def __init__(self, shape, dtype="float64"):
        """Validate and normalise (ShapeError/DTypeError); each field is set once (hot in passes)."""
        _set(self, "shape", check_shape(shape))
        _set(self, "dtype", check_dtype(dtype))

    @classmethod
    def trusted(cls, shape: tuple, dtype: str) -> "TensorSpec":
        """A TensorSpec built without validation (passes make many): only for op-table rules whose
        shape is computed from operand shapes (already valid tuples of ints) and whose dtype is an
        operand's. Everything else, user input above all, goes through the validating constructor.
        Equal specs are shared (they are immutable): fewer objects for the garbage collector."""
        key = (shape, dtype)
        spec = _SHARED.get(key)
        if spec is None:
            if len(_SHARED) >= _SHARED_MAX:
                _SHARED.clear()
            spec = _SHARED[key] = _new(cls)
            _set(spec, "shape", shape)
            _set(spec, "dtype", dtype)
        return spec

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __str__(self) -> str:
        return format_type(self.shape, self.dtype)


def format_type(shape: tuple, dtype: str) -> str:
    """The compact type text used by the printer and pictures, e.g. ``f64[64,100]``."""
    return f"{SHORT_DTYPE.get(dtype, dtype)}[{','.join(map(str, shape))}]"


class DTypeMarker:
    """`gg.f64[64, 1000]` builds `TensorSpec((64, 1000), "float64")`; `gg.f64[()]` a scalar."""

    def __init__(self, dtype: str):
        self.dtype = dtype

    def __getitem__(self, shape) -> TensorSpec:
        if not isinstance(shape, tuple):
            shape = (shape,)
        return TensorSpec(shape, self.dtype)

    def __repr__(self) -> str:
        return f"gg.{MARKER_NAMES.get(self.dtype, SHORT_DTYPE[self.dtype])}"


f32, f64 = DTypeMarker("float32"), DTypeMarker("float64")
i32, i64, bool_ = DTypeMarker("int32"), DTypeMarker("int64"), DTypeMarker("bool")
