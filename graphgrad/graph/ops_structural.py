"""Structural ops: sources, reductions, shape manipulation and basic slicing.

As in ops_elementwise.py, each entry is the one definition of its op, beside its front-end
function. `canon` steps normalise attributes (negative axes, -1 in reshape, slice bounds) so that
equal ops compare equal.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import kernels
from .attrs import ARRAY, AXES, BOOL, DTYPE, INDEX, INT, INTS, OPTIONAL_INTS
from .errors import GraphError, ShapeError
from .ops_index import index_array, take
from .optable import INTERNAL, OpDef, register
from .shapes import (broadcasts_to, normalize_axes, normalize_axis, reduced_shape, same_float_dtype,
                     shape_size, sum_to_axes)
from .spec import TensorSpec, check_shape
from .tensor import Tensor, apply, as_tensor, constant_array, current_graph

# --- sources -------------------------------------------------------------------------------


def constant(value, dtype=None, *, graph=None):
    """A constant tensor in `graph` (default: the graph being traced)."""
    graph = graph if graph is not None else current_graph()
    if graph is None:
        raise GraphError("gg.constant needs a graph: call it inside @gg.function, `with graph:`, "
                         "or pass graph=")
    return Tensor(graph.add("constant", (), {"value": constant_array(value, dtype)}), graph)


register(OpDef("constant", 0, "source", lambda *, value: TensorSpec(value.shape, value.dtype.name),
               lambda *, value: value, attrs={"value": ARRAY}, doc="a constant array", api=constant))


def _eye_infer(*, n, dtype):
    if n < 0:
        raise ShapeError(f"eye size must be non-negative, got {n}")
    return TensorSpec((n, n), dtype)


register(OpDef("eye", 0, "jacobian", _eye_infer, lambda *, n, dtype: np.eye(n, dtype=dtype),
               attrs={"n": INT, "dtype": DTYPE}, doc="the identity I_n, a Kronecker factor",
               api=INTERNAL))

# --- reductions ----------------------------------------------------------------------------


def _reduce_canon(specs, *, axis, keepdims):
    return {"axis": normalize_axes(axis, specs[0].ndim), "keepdims": keepdims}


def _reduce_infer(x, *, axis, keepdims):
    return TensorSpec.trusted(reduced_shape(x.shape, axis, keepdims), same_float_dtype([x]))


def _max_infer(x, *, axis, keepdims):
    axes = range(x.ndim) if axis is None else axis
    if any(x.shape[i] == 0 for i in axes):
        raise ShapeError("max of an empty axis has no identity")
    return _reduce_infer(x, axis=axis, keepdims=keepdims)


def _reduction(op):
    def fn(x, axis=None, keepdims=False):
        return apply(op, as_tensor(x), axis=axis, keepdims=keepdims)

    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"numpy's `{op}` over `axis` (None, an int or a tuple; negative allowed)."
    return fn


for _name, _infer, _fn in (("sum", _reduce_infer, np.sum), ("mean", _reduce_infer, np.mean),
                           ("max", _max_infer, np.max)):
    register(OpDef(_name, 1, "reduction", _infer,
                   lambda x, *, axis, keepdims, _fn=_fn: np.asarray(_fn(x, axis=axis, keepdims=keepdims)),
                   attrs={"axis": AXES, "keepdims": BOOL}, canon=_reduce_canon,
                   doc=f"numpy's {_name} over axis", api=_reduction(_name)))


def _sum_to_infer(x, *, shape):
    if not broadcasts_to(shape, x.shape):
        raise ShapeError(f"cannot sum {x.shape} to {shape}: {shape} does not broadcast to {x.shape}")
    return TensorSpec(shape, same_float_dtype([x]))


def _sum_to_impl(x, *, shape):
    lead, ones = sum_to_axes(x.shape, shape)
    return np.sum(x, axis=lead + ones, keepdims=True).reshape(shape) if lead + ones else x


register(OpDef("sum_to", 1, "reduction", _sum_to_infer, _sum_to_impl, attrs={"shape": INTS},
               doc="sum over broadcast axes so the result has `shape`: the transpose of broadcast_to",
               api=INTERNAL))

# --- shapes --------------------------------------------------------------------------------


def reshape(x, shape):
    """Row-major reshape; one dimension may be -1."""
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    return apply("reshape", as_tensor(x), shape=shape)


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
               lambda x, *, shape: np.reshape(x, shape), attrs={"shape": INTS},
               canon=_reshape_canon, doc="numpy reshape (row-major); -1 resolved when built",
               api=reshape))


def transpose(x, axes=None):
    """Permute axes; None reverses them (numpy's `.T`)."""
    if isinstance(axes, numbers.Integral):
        axes = (axes,)
    return apply("transpose", as_tensor(x), axes=axes)


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
               lambda x, *, axes: np.transpose(x, axes), attrs={"axes": OPTIONAL_INTS},
               canon=_transpose_canon, doc="permute axes (None reverses them, like .T)", api=transpose))


def broadcast_to(x, shape):
    """Broadcast x to `shape` with numpy's rules."""
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    return apply("broadcast_to", as_tensor(x), shape=shape)


def _broadcast_to_infer(x, *, shape):
    shape = check_shape(shape)
    if not broadcasts_to(x.shape, shape):
        raise ShapeError(f"cannot broadcast {x.shape} to {shape}")
    return TensorSpec.trusted(shape, x.dtype)


register(OpDef("broadcast_to", 1, "shape", _broadcast_to_infer,
               lambda x, *, shape: np.broadcast_to(x, shape), attrs={"shape": INTS},
               doc="numpy broadcast_to", api=broadcast_to))


def concatenate(arrays, axis=0):
    """Join a sequence of tensors along an existing axis."""
    if isinstance(arrays, Tensor) or not isinstance(arrays, (list, tuple)):
        raise GraphError(f"concatenate takes a list or tuple of tensors, got {type(arrays).__name__}")
    arrays = list(arrays)
    if not arrays:
        raise GraphError("concatenate needs at least one array")
    like = next((a for a in arrays if isinstance(a, Tensor)), None)
    if like is None:
        raise GraphError("concatenate needs at least one symbolic tensor")
    return apply("concatenate", *[as_tensor(a, like=like) for a in arrays], axis=axis)


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
               lambda *xs, axis: np.concatenate(xs, axis=axis), attrs={"axis": INT},
               canon=_concatenate_canon, doc="join operands along an existing axis", api=concatenate))

# --- basic slicing -------------------------------------------------------------------------


def getitem(x, key):
    """Indexing as numpy does it: ints, slices (with steps and negative bounds), one Ellipsis,
    and at most one integer index array (a tensor or a numpy array: a gather, see `take`)."""
    x = as_tensor(x)
    key = key if isinstance(key, tuple) else (key,)
    ellipses = [i for i, k in enumerate(key) if k is Ellipsis]  # `in` would compare arrays with ==
    if len(ellipses) > 1:
        raise GraphError("an index can have only one Ellipsis")
    if ellipses:
        at = ellipses[0]
        key = key[:at] + (slice(None),) * (x.ndim - len(key) + 1) + key[at + 1:]
    arrays = [i for i, k in enumerate(key) if _is_index_array(k)]
    if len(arrays) > 1:
        raise GraphError("graphgrad supports one integer index array per index (use take or "
                         "take_along_axis for more)")
    entries = []
    for axis, k in enumerate(key):
        if isinstance(k, slice) or axis in arrays:
            entries.append(_slice_entry(slice(None) if axis in arrays else k,
                                        x.shape[axis] if axis < x.ndim else None))
        elif isinstance(k, numbers.Integral) and not isinstance(k, bool):
            entries.append(int(k))
        else:
            raise GraphError(f"unsupported index {k!r}: graphgrad supports ints, slices, ... and "
                             "one integer index array")
    if not arrays:
        return apply("slice", x, index=tuple(entries))
    rest = [k for i, k in enumerate(key) if i != arrays[0]]
    basic = x if all(k == slice(None) for k in rest) else apply("slice", x, index=tuple(entries))
    axis = sum(1 for k in key[:arrays[0]] if not isinstance(k, numbers.Integral))
    out = take(basic, key[arrays[0]], axis=axis)
    advanced = sorted([i for i, k in enumerate(key) if isinstance(k, numbers.Integral)] + arrays)
    if axis and advanced != list(range(advanced[0], advanced[-1] + 1)):
        # numpy: ints count as advanced indices beside an array; apart from it, their dims go first
        n = out.ndim - basic.ndim + 1
        order = tuple(range(axis, axis + n)) + tuple(i for i in range(out.ndim) if not axis <= i < axis + n)
        out = transpose(out, order)
    return out


def _is_index_array(k) -> bool:
    """A tensor, numpy array or list used as an index (not an int, slice or Ellipsis)."""
    if isinstance(k, Tensor):
        if k.dtype == "bool":
            raise GraphError("boolean mask indexing gives a data-dependent shape; use gg.where")
        return True
    if isinstance(k, (list, np.ndarray)):
        if index_array(k).dtype == bool:
            raise GraphError("boolean mask indexing gives a data-dependent shape; use gg.where")
        return True
    return False


def _slice_entry(k: slice, size):
    """A slice as the triple `range(size)` gives it (numpy's meaning, fixed before the op's canon
    step sees it); left raw when it is invalid, so that the op reports the mistake."""
    if size is not None:
        try:
            r = range(size)[k]
        except (TypeError, ValueError):
            pass
        else:
            return (r.start, r.stop, r.step)
    return (k.start, k.stop, k.step)


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
               lambda x, *, index: x[index_to_slices(index)], attrs={"index": INDEX},
               canon=lambda specs, *, index: {"index": _canon_index(specs[0].shape, index)},
               doc="basic slicing x[i, a:b:c] with ints and slices", api=getitem))


def _unslice_canon(specs, *, index, shape):
    shape = check_shape(shape)
    return {"index": _canon_index(shape, index), "shape": shape}


def _unslice_infer(g, *, index, shape):
    if sliced_shape(shape, index) != g.shape:
        raise ShapeError(f"a gradient of shape {g.shape} does not fit slice of {shape}")
    return TensorSpec(shape, same_float_dtype([g]))


register(OpDef("unslice", 1, "shape", _unslice_infer,
               lambda g, *, index, shape: kernels.unslice(g, shape, index_to_slices(index)),
               attrs={"index": INDEX, "shape": INTS}, canon=_unslice_canon,
               doc="zeros of `shape` with g written at `index`: the transpose of slice", api=INTERNAL))
