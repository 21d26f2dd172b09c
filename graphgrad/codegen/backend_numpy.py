"""The numpy target: the shared numpy spellings plus numpy's stable sigmoid, softmax and the
helpers some ops need (`_unslice`, `_softmax`, `_log_softmax`, `_constant`)."""
from __future__ import annotations

from .backend import SHARED, index_text, shape_text

_HELPERS = {
    "_softmax": ('''\
def _softmax(x, axis):
    """softmax along `axis`, with the max subtracted so that exp cannot overflow."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
''', ()),
    "_log_softmax": ('''\
def _log_softmax(x, axis):
    """log_softmax along `axis`: x - max - log(sum(exp(x - max)))."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
''', ()),
    "_unslice": ('''\
def _unslice(g, shape, index):
    """Zeros of `shape` with `g` written at `index`: the gradient of a slice."""
    out = np.zeros(shape, dtype=g.dtype)
    out[index] = g
    return out
''', ()),
    "_constant": ('''\
def _constant(data, dtype, shape):
    """A constant array decoded from base64 raw bytes of the given dtype (read-only)."""
    return np.frombuffer(base64.b64decode(data), dtype=dtype).reshape(shape)
''', ("import base64",)),
}


def _unslice(a, node, c):
    index = index_text(node.attrs["index"], node.shape)
    return f"_unslice({a[0].obj}, {shape_text(node.shape)}, np.s_[{index}])"


NUMPY = SHARED.derive("numpy", mod="np", imports=("import numpy as np",), helpers=_HELPERS, overrides={
    "sigmoid": "np.exp(-np.logaddexp({zero}, -{0}))",
    "softmax": lambda a, node, c: f"_softmax({a[0].arg}, axis={node.attrs['axis']})",
    "log_softmax": lambda a, node, c: f"_log_softmax({a[0].arg}, axis={node.attrs['axis']})",
    "unslice": _unslice,
})
