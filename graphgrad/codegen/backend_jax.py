"""The jax.numpy target: the shared spellings with `jnp`, jax.nn's stable sigmoid, relu and softmax,
and functional slice updates (`.at[...].set`) instead of in-place assignment."""
from __future__ import annotations

from .backend import SHARED, index_text, shape_text

_HELPERS = {
    "_constant": ('''\
def _constant(data, dtype, shape):
    """A constant array decoded from base64 raw bytes of the given dtype."""
    return jnp.frombuffer(base64.b64decode(data), dtype=dtype).reshape(shape)
''', ("import base64",)),
}


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
})
