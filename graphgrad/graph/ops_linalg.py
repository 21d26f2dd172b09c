"""Linear-algebra ops: the softmax family, `matmul` with np.matmul's semantics, and the explicit
Jacobian builders (`kron`, `diag`; `eye` lives with the sources) of the Jacobian-style gradient.
"""
from __future__ import annotations

import numpy as np

from . import kernels
from .attrs import INT
from .errors import ShapeError
from .optable import INTERNAL, OpDef, register
from .shapes import broadcast_shapes, normalize_axis, same_float_dtype
from .spec import TensorSpec
from .tensor import apply, as_tensor, lift


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`, computed stably."""
    return apply("softmax", as_tensor(x), axis=axis)


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along `axis`, computed stably."""
    return apply("log_softmax", as_tensor(x), axis=axis)


def _softmax_canon(specs, *, axis):
    return {"axis": normalize_axis(axis, specs[0].ndim)}


for _api, _kernel in ((softmax, kernels.softmax), (log_softmax, kernels.log_softmax)):
    register(OpDef(_api.__name__, 1, "reduction",
                   lambda x, *, axis: TensorSpec.trusted(x.shape, same_float_dtype([x])),
                   lambda x, *, axis, _kernel=_kernel: _kernel(x, axis), attrs={"axis": INT},
                   canon=_softmax_canon, doc=f"{_api.__name__} along one axis, computed with the max "
                   "subtracted", api=_api))


def matmul_shape(a: tuple, b: tuple) -> tuple:
    """np.matmul's shape rule: 1-D operands promoted then squeezed, batch dimensions broadcast."""
    if len(a) == 2 and len(b) == 2 and a[1] == b[0]:
        return (a[0], b[1])  # two matrices, the common case
    if not a or not b:
        raise ShapeError("matmul operands must be at least 1-d (use multiply for scalars)")
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise ShapeError(f"inner dimensions differ ({a2[-1]} vs {b2[-2]})")
    batch = broadcast_shapes(a2[:-2], b2[:-2])
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def matmul(a, b):
    """np.matmul: matrix product, with 1-d and batched operands."""
    return apply("matmul", *lift(a, b))


register(OpDef("matmul", 2, "linalg",
               lambda a, b: TensorSpec.trusted(matmul_shape(a.shape, b.shape), same_float_dtype([a, b])),
               np.matmul, doc="np.matmul: 1-d, 2-d and batched operands", api=matmul))


def _kron_infer(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError("kron takes two matrices")
    return TensorSpec.trusted((a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]),
                              same_float_dtype([a, b]))


register(OpDef("kron", 2, "jacobian", _kron_infer, np.kron, api=INTERNAL,
               doc="the Kronecker product A ⊗ B of two matrices (a matmul Jacobian)"))


def _diag_infer(v):
    if v.ndim != 1:
        raise ShapeError("diag takes a vector")
    return TensorSpec.trusted((v.shape[0], v.shape[0]), same_float_dtype([v]))


register(OpDef("diag", 1, "jacobian", _diag_infer, np.diag, api=INTERNAL,
               doc="the diagonal matrix diag(v) (an elementwise op's Jacobian)"))
