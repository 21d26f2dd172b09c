"""Elementwise ops: unary and binary float ops with numpy broadcasting, comparisons, `where`, casts.

Each entry is the single definition of the op: arity, attributes, shape/dtype rule and numpy
reference implementation. Derivatives live in passes/autodiff, spellings in codegen's tables.
"""
from __future__ import annotations

import numpy as np

from .errors import DTypeError
from .optable import OpDef, broadcast_shapes, register, same_float_dtype
from .spec import TensorSpec


# Rules whose shape comes from the operands' (already valid) shapes build their result with
# TensorSpec.trusted: these run for every node every pass creates.

def _unary_infer(x: TensorSpec, **_) -> TensorSpec:
    return TensorSpec.trusted(x.shape, same_float_dtype([x]))


def _binary_infer(a: TensorSpec, b: TensorSpec) -> TensorSpec:
    return TensorSpec.trusted(broadcast_shapes(a.shape, b.shape), same_float_dtype([a, b]))


def _compare_infer(a: TensorSpec, b: TensorSpec) -> TensorSpec:
    same_float_dtype([a, b])
    return TensorSpec.trusted(broadcast_shapes(a.shape, b.shape), "bool")


def _sigmoid(x):
    return np.exp(-np.logaddexp(0, -x)).astype(x.dtype, copy=False)


def _sign(x):
    return np.sign(x)


UNARY = {
    "negative": (np.negative, "-x"),
    "exp": (np.exp, "e^x"),
    "log": (np.log, "natural logarithm"),
    "sqrt": (np.sqrt, "square root"),
    "square": (np.square, "x*x"),
    "abs": (np.abs, "absolute value"),
    "tanh": (np.tanh, "hyperbolic tangent"),
    "sigmoid": (_sigmoid, "1 / (1 + e^-x), computed stably"),
    "relu": (lambda x: np.maximum(x, x.dtype.type(0)), "max(x, 0)"),
    "sign": (_sign, "-1, 0 or 1 (no gradient flows)"),
}

BINARY = {
    "add": (np.add, "a + b"),
    "subtract": (np.subtract, "a - b"),
    "multiply": (np.multiply, "a * b"),
    "divide": (np.divide, "a / b"),
    "maximum": (np.maximum, "elementwise max (a tie splits the gradient evenly)"),
    "minimum": (np.minimum, "elementwise min (a tie splits the gradient evenly)"),
}

COMPARE = {
    "less": (np.less, "a < b"),
    "less_equal": (np.less_equal, "a <= b"),
    "greater": (np.greater, "a > b"),
    "greater_equal": (np.greater_equal, "a >= b"),
    "equal": (np.equal, "a == b"),
}

for _name, (_fn, _doc) in UNARY.items():
    register(OpDef(_name, 1, "unary", _unary_infer, _fn, doc=_doc, differentiable=_name != "sign"))
for _name, (_fn, _doc) in BINARY.items():
    register(OpDef(_name, 2, "binary", _binary_infer, _fn, doc=_doc))
for _name, (_fn, _doc) in COMPARE.items():
    register(OpDef(_name, 2, "compare", _compare_infer, _fn, doc=_doc, differentiable=False))


def _power_impl(x, *, exponent):
    return np.power(x, x.dtype.type(exponent))


register(OpDef("power", 1, "unary", _unary_infer, _power_impl, attrs={"exponent": "float"},
               doc="x ** exponent, the exponent a Python number"))


def _cast_infer(x: TensorSpec, *, dtype: str) -> TensorSpec:
    return TensorSpec(x.shape, dtype)


register(OpDef("cast", 1, "cast", _cast_infer, lambda x, *, dtype: x.astype(dtype),
               attrs={"dtype": "dtype"}, doc="x.astype(dtype); gradients flow between float dtypes"))


def _where_infer(cond: TensorSpec, a: TensorSpec, b: TensorSpec) -> TensorSpec:
    if cond.dtype != "bool":
        raise DTypeError(f"the condition must be a bool tensor (from a comparison), got {cond.dtype}")
    return TensorSpec.trusted(broadcast_shapes(cond.shape, a.shape, b.shape), same_float_dtype([a, b]))


register(OpDef("where", 3, "select", _where_infer, np.where,
               doc="where(cond, a, b): a where cond holds, else b"))
