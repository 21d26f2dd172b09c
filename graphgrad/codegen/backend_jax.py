"""The jax.numpy target: the shared spellings with `jnp`, jax.nn's stable sigmoid, relu and softmax,
and functional slice updates (`.at[...].set`) instead of in-place assignment."""
from __future__ import annotations

from .backend import SHARED, axis_text, index_text, shape_text

_HELPERS = {
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
                    helpers=_HELPERS, overrides={
    "sigmoid": "jax.nn.sigmoid({0})",
    "relu": "jax.nn.relu({0})",
    "softmax": lambda a, node, c: f"jax.nn.softmax({a[0].arg}, axis={node.attrs['axis']})",
    "log_softmax": lambda a, node, c: f"jax.nn.log_softmax({a[0].arg}, axis={node.attrs['axis']})",
    "unslice": _unslice,
    "logsumexp": lambda a, node, c: (f"jax.nn.logsumexp({a[0].arg}{axis_text(node.attrs['axis'])}"
                                     f"{', keepdims=True' if node.attrs['keepdims'] else ''})"),
    "scatter_add": _scatter_add,
    "scatter_along_axis": lambda a, node, c: (f"_scatter_along_axis({a[0].arg}, {a[1].arg}, "
                                              f"{node.attrs['axis']}, {shape_text(node.shape)})"),
})
