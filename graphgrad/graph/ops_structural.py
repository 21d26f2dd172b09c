"""Structural ops: sources, reductions, shape manipulation, slicing, softmax, matmul, Jacobians.

As in ops_elementwise.py, each entry is the one definition of its op. `canon` steps normalise
attributes (negative axes, -1 in reshape, slice bounds) so that equal ops compare equal.
"""
from __future__ import annotations

import numpy as np

from .errors import ShapeError
from .optable import (OpDef, broadcast_shapes, normalize_axes, normalize_axis, register,
                      same_float_dtype, shape_size)
from .spec import TensorSpec, check_shape

# --- sources -------------------------------------------------------------------------------


def _constant_infer(*, value):
    return TensorSpec(value.shape, value.dtype.name)


register(OpDef("constant", 0, "source", _constant_infer, lambda *, value: value,
               attrs={"value": "array"}, doc="a constant array", differentiable=False))


def _eye_infer(*, n, dtype):
    if n < 0:
        raise ShapeError(f"eye size must be non-negative, got {n}")
    return TensorSpec((n, n), dtype)


register(OpDef("eye", 0, "jacobian", _eye_infer, lambda *, n, dtype: np.eye(n, dtype=dtype),
               attrs={"n": "int", "dtype": "dtype"}, doc="the identity I_n, a Kronecker factor",
               differentiable=False))

# --- reductions ----------------------------------------------------------------------------


def _reduce_canon(specs, *, axis, keepdims):
    return {"axis": normalize_axes(axis, specs[0].ndim), "keepdims": keepdims}


def reduced_shape(shape, axis, keepdims):
    """The shape of a reduction of `shape` over normalised `axis` (None: every axis)."""
    axes = range(len(shape)) if axis is None else axis
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _reduce_infer(x, *, axis, keepdims):
    return TensorSpec.trusted(reduced_shape(x.shape, axis, keepdims), same_float_dtype([x]))


def _max_infer(x, *, axis, keepdims):
    axes = range(x.ndim) if axis is None else axis
    if any(x.shape[i] == 0 for i in axes):
        raise ShapeError("max of an empty axis has no identity")
    return _reduce_infer(x, axis=axis, keepdims=keepdims)


_REDUCE_ATTRS = {"axis": "axes", "keepdims": "bool"}
for _name, _infer, _fn in (("sum", _reduce_infer, np.sum), ("mean", _reduce_infer, np.mean),
                           ("max", _max_infer, np.max)):
    register(OpDef(_name, 1, "reduction", _infer,
                   lambda x, *, axis, keepdims, _fn=_fn: np.asarray(_fn(x, axis=axis, keepdims=keepdims)),
                   attrs=dict(_REDUCE_ATTRS), canon=_reduce_canon, doc=f"numpy's {_name} over axis"))


def sum_to_axes(shape, target):
    """The axes that reduce `shape` to `target` in a sum-to-shape: (leading axes, size-1 axes)."""
    lead = len(shape) - len(target)
    ones = tuple(i + lead for i, d in enumerate(target) if d == 1 and shape[i + lead] != 1)
    return tuple(range(lead)), ones


def broadcasts_to(shape, target) -> bool:
    """Whether numpy can broadcast `shape` to exactly `target`."""
    try:
        return len(shape) <= len(target) and broadcast_shapes(shape, target) == target
    except ShapeError:
        return False


def _sum_to_infer(x, *, shape):
    if not broadcasts_to(shape, x.shape):
        raise ShapeError(f"cannot sum {x.shape} to {shape}: {shape} does not broadcast to {x.shape}")
    return TensorSpec(shape, same_float_dtype([x]))


def _sum_to_impl(x, *, shape):
    lead, ones = sum_to_axes(x.shape, shape)
    return np.sum(x, axis=lead + ones, keepdims=True).reshape(shape) if lead + ones else x


register(OpDef("sum_to", 1, "reduction", _sum_to_infer, _sum_to_impl, attrs={"shape": "ints"},
               doc="sum over broadcast axes so the result has `shape`: the transpose of broadcast_to"))

# --- shapes --------------------------------------------------------------------------------


def _reshape_canon(specs, *, shape):
    (x,) = specs
    if min(shape, default=0) >= 0 and shape_size(shape) == x.size:
        return {"shape": shape}  # already canonical: the common case inside passes
    if sum(d == -1 for d in shape) > 1:
        raise ShapeError(f"reshape to {shape}: only one dimension may be -1")
    if any(d < -1 for d in shape):
        raise ShapeError(f"reshape to {shape}: negative dimension")
    known = shape_size(d for d in shape if d != -1)
    if -1 in shape:
        if known == 0 or x.size % known:
            raise ShapeError(f"cannot reshape {x.shape} (size {x.size}) to {shape}")
        shape = tuple(x.size // known if d == -1 else d for d in shape)
    if shape_size(shape) != x.size:
        raise ShapeError(f"cannot reshape {x.shape} (size {x.size}) to {shape} (size {shape_size(shape)})")
    return {"shape": shape}


register(OpDef("reshape", 1, "shape", lambda x, *, shape: TensorSpec(shape, x.dtype),
               lambda x, *, shape: np.reshape(x, shape), attrs={"shape": "ints"},
               canon=_reshape_canon, doc="numpy reshape (row-major); -1 resolved when built"))


def _transpose_canon(specs, *, axes):
    ndim = specs[0].ndim
    if axes is None:
        return {"axes": tuple(reversed(range(ndim)))}
    if sorted(axes) == list(range(ndim)):
        return {"axes": axes}  # already canonical (a permutation of 0..ndim-1): the common case
    if len(axes) != ndim or sorted(a % ndim if ndim else a for a in axes) != list(range(ndim)) \
            or any(not -ndim <= a < ndim for a in axes):
        raise ShapeError(f"axes {axes} are not a permutation of the {ndim} axes")
    return {"axes": tuple(a % ndim for a in axes)}


register(OpDef("transpose", 1, "shape",
               lambda x, *, axes: TensorSpec.trusted(tuple([x.shape[a] for a in axes]), x.dtype),
               lambda x, *, axes: np.transpose(x, axes), attrs={"axes": "optional_ints"},
               canon=_transpose_canon, doc="permute axes (None reverses them, like .T)"))


def _broadcast_to_infer(x, *, shape):
    shape = check_shape(shape)
    if not broadcasts_to(x.shape, shape):
        raise ShapeError(f"cannot broadcast {x.shape} to {shape}")
    return TensorSpec.trusted(shape, x.dtype)


register(OpDef("broadcast_to", 1, "shape", _broadcast_to_infer,
               lambda x, *, shape: np.broadcast_to(x, shape), attrs={"shape": "ints"},
               doc="numpy broadcast_to"))


def _concatenate_canon(specs, *, axis):
    if not specs:
        raise ShapeError("concatenate needs at least one operand")
    if any(s.ndim == 0 for s in specs):
        raise ShapeError("zero-dimensional operands cannot be concatenated")
    return {"axis": normalize_axis(axis, specs[0].ndim)}


def _concatenate_infer(*xs, axis):
    first = xs[0]
    for x in xs[1:]:
        if x.ndim != first.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, first.shape))
                                       if i != axis):
            raise ShapeError(f"all dimensions except axis {axis} must match")
    shape = list(first.shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    return TensorSpec.trusted(tuple(shape), same_float_dtype(xs))


register(OpDef("concatenate", None, "shape", _concatenate_infer,
               lambda *xs, axis: np.concatenate(xs, axis=axis), attrs={"axis": "int"},
               canon=_concatenate_canon, doc="join operands along an existing axis"))

# --- basic slicing -------------------------------------------------------------------------


def index_to_slices(index) -> tuple:
    """A canonical index attribute as a tuple of ints and `slice` objects usable by numpy."""
    return tuple(e if isinstance(e, int) else slice(e[0], None if e[1] < 0 else e[1], e[2])
                 for e in index)


def _canon_index(shape, index):
    if len(index) > len(shape):
        raise ShapeError(f"too many indices ({len(index)}) for a {len(shape)}-d tensor")
    out = []
    for axis, (size, entry) in enumerate(zip(shape, tuple(index) + ((None, None, None),) * len(shape))):
        if isinstance(entry, int):
            if not -size <= entry < size:
                raise ShapeError(f"index {entry} is out of bounds for axis {axis} with size {size}")
            out.append(entry % size)
        else:
            out.append(_canon_triple(size, *entry))
    return tuple(out)


def _canon_triple(size, start, stop, step):
    """A (start, stop, step) triple as `range(size)[slice(...)]` gives it, and idempotent on that form.

    Triples follow Python's slice rules, with one exception that makes canonicalisation idempotent:
    a descending triple with stop -1 and start in [0, size) is taken as the canonical range it
    already is (running down to index 0), not as Python's always-empty slice `x[start:-1:-1]`;
    and every empty range is spelled (0, 0, step).
    The front end (`getitem`) canonicalises user slices before they get here, so `t[3:-1:-1]`
    keeps numpy's meaning.
    """
    if step == 0:
        raise ShapeError("slice step cannot be zero")
    if step is not None and step < 0 and stop == -1 and start is not None and 0 <= start < size:
        return (start, -1, step)
    r = range(size)[slice(start, stop, step)]
    return (r.start, r.stop, r.step) if len(r) else (0, 0, r.step)  # one spelling of "empty"


def sliced_shape(shape, index) -> tuple:
    """The shape left by a canonical index: ints drop their axis, triples keep a range's length."""
    return tuple(len(range(*e)) for e in index if not isinstance(e, int))


register(OpDef("slice", 1, "shape", lambda x, *, index: TensorSpec.trusted(sliced_shape(x.shape, index), x.dtype),
               lambda x, *, index: x[index_to_slices(index)], attrs={"index": "index"},
               canon=lambda specs, *, index: {"index": _canon_index(specs[0].shape, index)},
               doc="basic slicing x[i, a:b:c] with ints and slices"))


def _unslice_canon(specs, *, index, shape):
    shape = check_shape(shape)
    return {"index": _canon_index(shape, index), "shape": shape}


def _unslice_infer(g, *, index, shape):
    if sliced_shape(shape, index) != g.shape:
        raise ShapeError(f"a gradient of shape {g.shape} does not fit slice of {shape}")
    return TensorSpec(shape, same_float_dtype([g]))


def _unslice_impl(g, *, index, shape):
    out = np.zeros(shape, dtype=g.dtype)
    out[index_to_slices(index)] = g
    return out


register(OpDef("unslice", 1, "shape", _unslice_infer, _unslice_impl,
               attrs={"index": "index", "shape": "ints"}, canon=_unslice_canon,
               doc="zeros of `shape` with g written at `index`: the transpose of slice"))
