"""Front-end functions that are compositions of ops, not ops of their own: their derivatives and
spellings come from the ops they are made of (numpy's signatures throughout)."""
from __future__ import annotations

import numbers

import numpy as np

from .attrs import INT
from .errors import DTypeError, GraphError, ShapeError
from .ops_elementwise import astype
from .ops_structural import concatenate, reshape
from .shapes import axes_argument, normalize_axis
from .spec import INT_DTYPES
from .tensor import Tensor, apply, as_tensor, lift


def expand_dims(x, axis):
    """x with new size-1 axes at `axis` (an int or a tuple, in the result's numbering)."""
    x = as_tensor(x)
    if axis is None:
        raise GraphError("expand_dims needs an axis (an int or a tuple of ints)")
    count = len(axis) if isinstance(axis, (list, tuple)) else 1
    axes = axes_argument(axis, x.ndim + count, "expand_dims")
    ndim = x.ndim + len(axes)
    shape, rest = [], iter(x.shape)
    for i in range(ndim):
        shape.append(1 if i in axes else next(rest))
    return reshape(x, tuple(shape))


def squeeze(x, axis=None):
    """x without size-1 axes (all of them, or those in `axis`, which must have size 1)."""
    x = as_tensor(x)
    axes = tuple(i for i, d in enumerate(x.shape) if d == 1) if axis is None \
        else axes_argument(axis, x.ndim, "squeeze")
    for a in axes:
        if x.shape[a] != 1:
            raise ShapeError(f"squeeze: axis {a} of a {x.shape} tensor has size {x.shape[a]}, not 1")
    return reshape(x, tuple(d for i, d in enumerate(x.shape) if i not in axes))


def stack(arrays, axis=0):
    """Join tensors of one shape along a new axis."""
    if isinstance(arrays, Tensor) or not isinstance(arrays, (list, tuple)) or not arrays:
        raise GraphError("stack takes a non-empty list or tuple of tensors")
    like = next((a for a in arrays if isinstance(a, Tensor)), None)
    if like is None:
        raise GraphError("stack needs at least one symbolic tensor")
    parts = [as_tensor(a, like=like) for a in arrays]
    shapes = {p.shape for p in parts}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all tensors must have one shape, got {sorted(shapes)}")
    axis = normalize_axis(INT.check(axis, "stack axis"), like.ndim + 1)
    return concatenate([expand_dims(p, axis) for p in parts], axis=axis)


def clip(x, a_min, a_max):
    """np.clip: minimum(maximum(x, a_min), a_max), either bound None (as jnp.clip computes it,
    so gradients at the bounds are jax's)."""
    x = as_tensor(x)
    if a_min is None and a_max is None:
        raise GraphError("clip needs a_min or a_max")
    if a_min is not None:
        x = apply("maximum", *lift(x, a_min))
    return x if a_max is None else apply("minimum", *lift(x, a_max))


def var(x, axis=None, ddof=0, keepdims=False):
    """Variance along `axis` with numpy's `ddof` (divisor N - ddof)."""
    x = as_tensor(x)
    axes = axes_argument(axis, x.ndim, "var")
    n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    if isinstance(ddof, bool) or not isinstance(ddof, numbers.Integral) or not 0 <= ddof < max(n, 1):
        raise GraphError(f"var: ddof must be an int in [0, {n}) for {n} elements, got {ddof!r}")
    centered = x - apply("mean", x, axis=axis, keepdims=True)
    return apply("sum", centered * centered, axis=axis, keepdims=keepdims) / (n - ddof)


def std(x, axis=None, ddof=0, keepdims=False):
    """Standard deviation: sqrt(var(x, axis, ddof))."""
    return apply("sqrt", var(x, axis=axis, ddof=ddof, keepdims=keepdims))


def one_hot(labels, n, *, dtype="float64"):
    """A float (or `dtype`) array with a 1 at each label's position along a new last axis."""
    labels = as_tensor(labels)
    if labels.dtype not in INT_DTYPES:
        raise DTypeError(f"one_hot needs integer labels, got {labels.dtype}")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise GraphError(f"one_hot: n must be a non-negative int, got {n!r}")
    classes = Tensor(labels.graph.add("constant", (), {"value": np.arange(n, dtype=labels.dtype)}),
                     labels.graph)
    return astype(apply("equal", expand_dims(labels, -1), classes), dtype)


COMPOSITES = [expand_dims, squeeze, stack, clip, var, std, one_hot]
