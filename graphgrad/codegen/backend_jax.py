"""The jax.numpy target: the shared spellings with `jnp`, jax.nn's stable sigmoid, relu and softmax,
and functional slice updates (`.at[...].set`) instead of in-place assignment."""
from __future__ import annotations

from . import finite
from .backend import SHARED, axis_text, index_text, shape_text, sum_spelling

_HELPERS = {
    "_check_arg": ('''\
def _check_arg(name, value, shape, dtype):
    """Input `name` as an array of `shape` and `dtype`, or a ValueError saying what came instead."""
    value = jnp.asarray(value)
    if value.shape != shape:
        raise ValueError(f"input {name!r}: expected shape {shape}, got {value.shape}")
    if value.dtype != dtype:
        raise ValueError(f"input {name!r}: expected dtype {dtype}, got {value.dtype} "
                         f"(shape {value.shape}); convert it with .astype({dtype!r})")
    return value
''', ()),
    "_conv": ('''\
def _conv(x, w, stride, padding, dilation, groups):
    """Convolution (cross-correlation) of x (N, C, *spatial) with w (O, C // groups, *kernel)."""
    pairs = [(padding[i], padding[i + 1]) for i in range(0, len(padding), 2)]
    return jax.lax.conv_general_dilated(x, w, stride, pairs, rhs_dilation=dilation,
                                        feature_group_count=groups)
''', ()),
    "_conv_input_grad": ('''\
def _conv_input_grad(g, w, shape, stride, padding, dilation, groups):
    """The transpose of _conv in its input (the transposed convolution of g with w)."""
    def conv(x):
        return _conv(x, w, stride, padding, dilation, groups)
    return jax.linear_transpose(conv, jax.ShapeDtypeStruct(shape, g.dtype))(g)[0]
''', ()),
    "_conv_filter_grad": ('''\
def _conv_filter_grad(x, g, shape, stride, padding, dilation, groups):
    """The transpose of _conv in its weight (the correlation of x with g)."""
    def conv(w):
        return _conv(x, w, stride, padding, dilation, groups)
    return jax.linear_transpose(conv, jax.ShapeDtypeStruct(shape, g.dtype))(g)[0]
''', ()),
    "_windows": ('''\
def _windows(x, kernel, stride, padding, dilation):
    """The sliding windows of x (N, C, *spatial) as (N, C, *out, *kernel): a reshape when they
    tile x (stride = kernel, as in pooling), else one strided slice per kernel tap (a gather, so
    that -inf padding stays -inf)."""
    pairs = ((0, 0), (0, 0)) + tuple((padding[i], padding[i + 1]) for i in range(0, len(padding), 2))
    xp = jnp.pad(x, pairs)
    out = [(n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(xp.shape[2:], kernel, stride, dilation)]
    if tuple(stride) == tuple(kernel) and all(d == 1 for d in dilation):  # the windows tile x
        nd = len(kernel)
        xp = xp[(slice(None),) * 2 + tuple(slice(0, o * k) for o, k in zip(out, kernel))]
        split = xp.reshape(x.shape[:2] + tuple(v for o, k in zip(out, kernel) for v in (o, k)))
        return split.transpose((0, 1) + tuple(range(2, 2 + 2 * nd, 2)) + tuple(range(3, 3 + 2 * nd, 2)))
    taps = [xp[(slice(None),) * 2 + tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                                          for t, d, s, o in zip(tap, dilation, stride, out))]
            for tap in itertools.product(*map(range, kernel))]
    return jnp.stack(taps, axis=-1).reshape(x.shape[:2] + tuple(out) + tuple(kernel))
''', ("import itertools",)),
    "_unwindows": ('''\
def _unwindows(p, shape, stride, padding, dilation):
    """The transpose of _windows: each window added back into zeros of `shape`."""
    def windows(x):
        return _windows(x, p.shape[len(shape):], stride, padding, dilation)
    return jax.linear_transpose(windows, jax.ShapeDtypeStruct(shape, p.dtype))(p)[0]
''', ()),
    "_max_pool": ('''\
def _max_pool(x, kernel, stride, padding):
    """The maximum over each window of x (N, C, *spatial), padding as -inf."""
    pairs = ((0, 0), (0, 0)) + tuple((padding[i], padding[i + 1]) for i in range(0, len(padding), 2))
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1) + kernel, (1, 1) + stride, pairs)
''', ()),
    "_avg_pool": ('''\
def _avg_pool(x, kernel, stride, padding):
    """The mean over each window of x (N, C, *spatial), padding counted as zeros."""
    pairs = ((0, 0), (0, 0)) + tuple((padding[i], padding[i + 1]) for i in range(0, len(padding), 2))
    total = jax.lax.reduce_window(x, 0.0, jax.lax.add, (1, 1) + kernel, (1, 1) + stride, pairs)
    return total / math.prod(kernel)
''', ("import math",)),
    "_scatter_along_axis": ('''\
def _scatter_along_axis(g, indices, axis, shape):
    """Zeros of `shape` with `g` added along `axis` at `indices` (the transpose of take_along_axis)."""
    index = list(jnp.ix_(*[jnp.arange(d) for d in g.shape]))
    index[axis] = indices
    return jnp.zeros(shape, g.dtype).at[tuple(index)].add(g)
''', ()),
    "_constant": ('''\
def _constant(data, dtype, shape):
    """A constant array decoded from base64 raw bytes of the given dtype."""
    return jnp.frombuffer(base64.b64decode(data), dtype=dtype).reshape(shape)
''', ("import base64",)),
}


def _scatter_add(a, node, c):
    """zeros(shape).at[:, ..., indices].add(g); flattened first when take had no axis."""
    axis, shape = node.attrs["axis"], node.shape
    if axis is None:
        size = 1
        for d in shape:
            size *= d
        return (f"jnp.zeros(({size},), dtype={c.dtype()}).at[{a[1].arg}].add({a[0].arg})"
                f".reshape({shape_text(shape)})")
    index = ":, " * axis + a[1].arg
    return f"jnp.zeros({shape_text(shape)}, dtype={c.dtype()}).at[{index}].add({a[0].arg})"


def _unslice(a, node, c):
    index = index_text(node.attrs["index"], node.shape)
    return f"jnp.zeros({shape_text(node.shape)}, dtype={c.dtype()}).at[{index}].set({a[0].arg})"


JAX = SHARED.derive("jax", mod="jnp", imports=("import jax", "import jax.numpy as jnp"),
                    helpers={**_HELPERS, **finite.helpers("jnp")}, overrides={
    "sigmoid": "jax.nn.sigmoid({0})",
    "relu": "jax.nn.relu({0})",
    "sum": sum_spelling(leading=True),  # XLA's CPU reduce over a short leading axis is slow too
    "softmax": lambda a, node, c: f"jax.nn.softmax({a[0].arg}, axis={node.attrs['axis']})",
    "log_softmax": lambda a, node, c: f"jax.nn.log_softmax({a[0].arg}, axis={node.attrs['axis']})",
    "unslice": _unslice,
    "logsumexp": lambda a, node, c: (f"jax.nn.logsumexp({a[0].arg}{axis_text(node.attrs['axis'])}"
                                     f"{', keepdims=True' if node.attrs['keepdims'] else ''})"),
    "scatter_add": _scatter_add,
    "scatter_along_axis": lambda a, node, c: (f"_scatter_along_axis({a[0].arg}, {a[1].arg}, "
                                              f"{node.attrs['axis']}, {shape_text(node.shape)})"),
})
