"""The shape and dtype rules the op table shares: broadcasting, axes, reductions, float dtypes.

Rules whose result comes from operands' (already valid) shapes build it with `TensorSpec.trusted`:
they run for every node that every pass creates.
"""
from __future__ import annotations

import math

from .errors import DTypeError, ShapeError
from .spec import FLOAT_DTYPES, INT_DTYPES

NUMERIC_DTYPES = FLOAT_DTYPES + INT_DTYPES


def broadcast_shapes(*shapes: tuple) -> tuple:
    """numpy's broadcasting rule; ShapeError when two dimensions differ and neither is 1."""
    if shapes and type(shapes[0]) is tuple:  # equal shapes, the common case: nothing to work out
        for s in shapes:
            if s != shapes[0]:
                break
        else:
            return shapes[0]
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        dims = {s[len(s) - ndim + i] for s in shapes if len(s) - ndim + i >= 0}
        dims.discard(1)
        if len(dims) > 1:
            raise ShapeError(f"shapes do not broadcast (axis {i - ndim}: sizes {sorted(dims)})")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def broadcasts_to(shape, target) -> bool:
    """Whether numpy can broadcast `shape` to exactly `target`."""
    try:
        return len(shape) <= len(target) and broadcast_shapes(shape, target) == target
    except ShapeError:
        return False


def sum_to_axes(shape, target):
    """The axes that reduce `shape` to `target` in a sum-to-shape: (leading axes, size-1 axes)."""
    lead = len(shape) - len(target)
    ones = tuple(i + lead for i, d in enumerate(target) if d == 1 and shape[i + lead] != 1)
    return tuple(range(lead)), ones


def normalize_axis(axis: int, ndim: int) -> int:
    """A possibly negative axis as a non-negative one; ShapeError when out of range."""
    if not -ndim <= axis < ndim:
        raise ShapeError(f"axis {axis} is out of range for {ndim}-d operand")
    return axis % ndim


def normalize_axes(axis, ndim: int):
    """None, an int or a tuple of ints as None or a sorted tuple of distinct non-negative axes."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    norm = tuple(sorted(normalize_axis(a, ndim) for a in axes))
    if len(set(norm)) != len(norm):
        raise ShapeError(f"repeated axis in {axis!r}")
    return norm


def axes_argument(axis, ndim: int, what: str):
    """A user's `axis` argument (None, an int or a sequence of ints) checked and normalised, for
    front-end functions that take one without building an op with an axis attribute."""
    from .attrs import AXES

    return normalize_axes(AXES.check(axis, f"{what} axis"), ndim)


def reduced_shape(shape, axis, keepdims):
    """The shape of a reduction of `shape` over normalised `axis` (None: every axis)."""
    axes = range(len(shape)) if axis is None else axis
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def same_dtype(specs, allowed=NUMERIC_DTYPES, what="a number") -> str:
    """The one dtype of the operands, which must be one of `allowed`; DTypeError otherwise
    (graphgrad never promotes between tensors: cast one with .astype(...))."""
    if specs:  # one allowed dtype throughout, the common case
        first = specs[0].dtype
        for s in specs:
            if s.dtype != first:
                break
        else:
            if first in allowed:
                return first
    dtypes = [s.dtype for s in specs]
    for d in dtypes:
        if d not in allowed:
            raise DTypeError(f"operand of dtype {d!r} where {what} is required ({', '.join(allowed)})")
    raise DTypeError(f"mixed dtypes {', '.join(dtypes)}; cast one operand with .astype(...)")


def same_float_dtype(specs) -> str:
    """The common float dtype of the operands; DTypeError for ints, bool or mixed dtypes."""
    return same_dtype(specs, FLOAT_DTYPES, "a float")


def shape_size(shape) -> int:
    """Number of elements of a shape."""
    return math.prod(shape)
