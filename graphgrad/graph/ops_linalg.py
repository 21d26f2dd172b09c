"""Linear-algebra ops: softmax family, `matmul` with np.matmul's semantics, and the explicit
Jacobian builders (`kron`, `diag`; `eye` lives with the sources) used by the Jacobian-style gradient.
"""
from __future__ import annotations

import numpy as np

from .errors import ShapeError
from .optable import OpDef, broadcast_shapes, normalize_axis, register, same_float_dtype
from .spec import TensorSpec


def _shift(x, axis):
    """The max along `axis` (kept); -inf over an empty axis, where numpy's max would raise."""
    return np.max(x, axis=axis, keepdims=True, initial=-np.inf)


def _softmax_impl(x, *, axis):
    e = np.exp(x - _shift(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax_impl(x, *, axis):
    shifted = x - _shift(x, axis)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _softmax_canon(specs, *, axis):
    return {"axis": normalize_axis(axis, specs[0].ndim)}


for _name, _fn in (("softmax", _softmax_impl), ("log_softmax", _log_softmax_impl)):
    register(OpDef(_name, 1, "reduction", lambda x, *, axis: TensorSpec.trusted(x.shape, same_float_dtype([x])),
                   _fn, attrs={"axis": "int"}, canon=_softmax_canon,
                   doc=f"{_name} along one axis, computed with the max subtracted"))


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


register(OpDef("matmul", 2, "linalg",
               lambda a, b: TensorSpec.trusted(matmul_shape(a.shape, b.shape), same_float_dtype([a, b])),
               np.matmul, doc="np.matmul: 1-d, 2-d and batched operands"))


def _kron_infer(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError("kron takes two matrices")
    return TensorSpec.trusted((a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]),
                              same_float_dtype([a, b]))


register(OpDef("kron", 2, "jacobian", _kron_infer, np.kron,
               doc="the Kronecker product A ⊗ B of two matrices (a matmul Jacobian)"))


def _diag_infer(v):
    if v.ndim != 1:
        raise ShapeError("diag takes a vector")
    return TensorSpec.trusted((v.shape[0], v.shape[0]), same_float_dtype([v]))


register(OpDef("diag", 1, "jacobian", _diag_infer, np.diag,
               doc="the diagonal matrix diag(v) (an elementwise op's Jacobian)"))
