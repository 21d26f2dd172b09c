"""Gathers and their transposes: `take`, `take_along_axis` and the scatter-adds their gradients
are (repeated indices sum, as `np.add.at`).

Index operands are integer tensors (inputs, or constants from numpy arrays). Out-of-range indices
raise IndexError in the evaluator and the numpy backend, as numpy does; jax does not raise (a
gather reads NaN there, a scatter-add drops the index: jax's documented out-of-bounds behaviour).
"""
from __future__ import annotations

import numpy as np

from . import kernels
from .attrs import INT, INTS, OPTIONAL_INT
from .errors import DTypeError, GraphError, ShapeError
from .optable import INTERNAL, OpDef, register
from .shapes import normalize_axis, same_float_dtype
from .spec import INT_DTYPES, TensorSpec, check_shape
from .tensor import Tensor, apply, as_tensor


def _indices(value, like: Tensor) -> Tensor:
    """An index operand as an integer tensor of `like`'s graph (a numpy int array becomes a
    constant); a float or bool index array is a DTypeError."""
    if not isinstance(value, Tensor):
        arr = index_array(value)
        if arr.dtype.kind not in "iu":
            raise DTypeError(f"indices must be integers, got a {arr.dtype} array")
        value = Tensor(like.graph.add("constant", (), {"value": arr.astype(np.int64)}), like.graph)
    return value


def index_array(value) -> np.ndarray:
    """A Python or numpy index array as a numpy array (GraphError for ragged nests and the like)."""
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as e:
        raise GraphError(f"cannot use {type(value).__name__} as an index array: {str(e)[:80]}") from None


def _check_indices(idx: TensorSpec, op: str) -> None:
    if idx.dtype not in INT_DTYPES:
        raise DTypeError(f"{op} indices must be an integer tensor ({', '.join(INT_DTYPES)}), "
                         f"got {idx.dtype}")


def take(a, indices, axis=None):
    """np.take: the elements of `a` at `indices` along `axis` (None: of a flattened)."""
    a = as_tensor(a)
    return apply("take", a, _indices(indices, a), axis=axis)


def _take_canon(specs, *, axis):
    return {"axis": None if axis is None else normalize_axis(axis, specs[0].ndim)}


def _take_infer(a, idx, *, axis):
    _check_indices(idx, "take")
    dtype = a.dtype
    if axis is None:
        return TensorSpec.trusted(idx.shape, dtype)
    return TensorSpec.trusted(a.shape[:axis] + idx.shape + a.shape[axis + 1:], dtype)


register(OpDef("take", 2, "gather", _take_infer, lambda a, idx, *, axis: np.take(a, idx, axis=axis),
               attrs={"axis": OPTIONAL_INT}, canon=_take_canon, api=take,
               doc="np.take: elements at integer indices along an axis"))


def _scatter_canon(specs, *, axis, shape):
    shape = check_shape(shape)
    return {"axis": None if axis is None else normalize_axis(axis, len(shape)), "shape": shape}


def _scatter_add_infer(g, idx, *, axis, shape):
    _check_indices(idx, "scatter_add")
    if _take_infer(TensorSpec(shape, g.dtype), idx, axis=axis).shape != g.shape:
        raise ShapeError(f"a gradient of shape {g.shape} does not fit take of {shape} at "
                         f"indices of shape {idx.shape}")
    return TensorSpec(shape, same_float_dtype([g]))


register(OpDef("scatter_add", 2, "gather", _scatter_add_infer,
               lambda g, idx, *, axis, shape: kernels.scatter_add(g, idx, axis, shape),
               attrs={"axis": OPTIONAL_INT, "shape": INTS}, canon=_scatter_canon, api=INTERNAL,
               doc="zeros of `shape` with g added at indices along axis: the transpose of take"))


def take_along_axis(a, indices, axis):
    """np.take_along_axis: along `axis`, the elements of `a` at `indices` (same number of dims)."""
    a = as_tensor(a)
    if axis is None:
        raise GraphError("take_along_axis needs an axis (numpy's axis=None flattens: use take)")
    return apply("take_along_axis", a, _indices(indices, a), axis=axis)


def _along_canon(specs, *, axis):
    return {"axis": normalize_axis(axis, specs[0].ndim)}


def along_shape(a_shape, idx_shape, axis) -> tuple:
    """take_along_axis's shape: the index array's, whose other axes equal a's or are 1."""
    if len(idx_shape) != len(a_shape):
        raise ShapeError(f"indices of shape {idx_shape} must have as many dimensions as {a_shape}")
    out = []
    for i, (d, k) in enumerate(zip(a_shape, idx_shape)):
        if i != axis and k not in (d, 1):
            raise ShapeError(f"indices of shape {idx_shape} do not fit {a_shape} on axis {i}")
        out.append(k if i == axis else d)
    return tuple(out)


def _along_infer(a, idx, *, axis):
    _check_indices(idx, "take_along_axis")
    return TensorSpec.trusted(along_shape(a.shape, idx.shape, axis), a.dtype)


register(OpDef("take_along_axis", 2, "gather", _along_infer,
               lambda a, idx, *, axis: np.take_along_axis(a, idx, axis),
               attrs={"axis": INT}, canon=_along_canon, api=take_along_axis,
               doc="np.take_along_axis: gathers along one axis with an index array of a's rank"))


def _scatter_along_canon(specs, *, axis, shape):
    shape = check_shape(shape)
    return {"axis": normalize_axis(axis, len(shape)), "shape": shape}


def _scatter_along_infer(g, idx, *, axis, shape):
    _check_indices(idx, "scatter_along_axis")
    if along_shape(shape, idx.shape, axis) != g.shape:
        raise ShapeError(f"a gradient of shape {g.shape} does not fit take_along_axis of {shape}")
    return TensorSpec(shape, same_float_dtype([g]))


register(OpDef("scatter_along_axis", 2, "gather", _scatter_along_infer,
               lambda g, idx, *, axis, shape: kernels.scatter_along_axis(g, idx, axis, shape),
               attrs={"axis": INT, "shape": INTS}, canon=_scatter_along_canon, api=INTERNAL,
               doc="zeros of `shape` with g added along axis at indices: take_along_axis's transpose"))
