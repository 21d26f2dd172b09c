"""The numpy target: the shared spellings, with the helpers whose source is the op table's own
numpy reference (graph/kernels.py), so that generated code and the evaluator run the same lines."""
from __future__ import annotations

from ..graph import kernels
from . import finite
from .backend import SHARED, _einsum, axis_text, index_text, kernel, shape_text

_HELPERS = {
    "_check_arg": ('''\
def _check_arg(name, value, shape, dtype):
    """Input `name` as an array of `shape` and `dtype`, or a ValueError saying what came instead."""
    value = np.asarray(value)
    if value.shape != shape:
        raise ValueError(f"input {name!r}: expected shape {shape}, got {value.shape}")
    if value.dtype != dtype:
        raise ValueError(f"input {name!r}: expected dtype {dtype}, got {value.dtype} "
                         f"(shape {value.shape}); convert it with .astype({dtype!r})")
    return value
''', ()),
    "_sigmoid": kernel(kernels.sigmoid),
    "_softmax": kernel(kernels.softmax),
    "_log_softmax": kernel(kernels.log_softmax),
    "_unslice": kernel(kernels.unslice),
    "_logsumexp": kernel(kernels.logsumexp),
    **{f"_{fn.__name__}": kernel(fn) for fn in (kernels.windows, kernels.unwindows, kernels.patches, kernels.conv,
                                                 kernels.conv_input_grad, kernels.conv_filter_grad,
                                                 kernels.max_pool, kernels.avg_pool)},
    "_scatter_add": kernel(kernels.scatter_add),
    "_scatter_along_axis": kernel(kernels.scatter_along_axis),
    "_constant": ('''\
def _constant(data, dtype, shape):
    """A constant array decoded from base64 raw bytes of the given dtype (read-only)."""
    return np.frombuffer(base64.b64decode(data), dtype=dtype).reshape(shape)
''', ("import base64",)),
}


def _axis(axis):
    return "None" if axis is None else repr(axis[0] if len(axis) == 1 else tuple(axis))


def _unslice(a, node, c):
    index = index_text(node.attrs["index"], node.shape)
    return f"_unslice({a[0].arg}, {shape_text(node.shape)}, np.s_[{index}])"


NUMPY = SHARED.derive("numpy", mod="np", imports=("import numpy as np",), helpers={**_HELPERS, **finite.helpers("np")}, overrides={
    "sigmoid": "_sigmoid({0})",
    "softmax": lambda a, node, c: f"_softmax({a[0].arg}, axis={node.attrs['axis']})",
    "log_softmax": lambda a, node, c: f"_log_softmax({a[0].arg}, axis={node.attrs['axis']})",
    "unslice": _unslice,
    "logsumexp": lambda a, node, c: (f"_logsumexp({a[0].arg}, {_axis(node.attrs['axis'])}, "
                                     f"{node.attrs['keepdims']})"),
    # a contraction path given up front: BLAS for two operands, no path search per call
    "einsum": lambda a, node, c: _einsum(a, node, c, "" if len(a) < 2 else
                                         f", optimize={['einsum_path', *[(0, 1)] * (len(a) - 1)]!r}"),
    "scatter_add": lambda a, node, c: (f"_scatter_add({a[0].arg}, {a[1].arg}, {node.attrs['axis']}, "
                                       f"{shape_text(node.shape)})"),
    "scatter_along_axis": lambda a, node, c: (f"_scatter_along_axis({a[0].arg}, {a[1].arg}, "
                                              f"{node.attrs['axis']}, {shape_text(node.shape)})"),
})
