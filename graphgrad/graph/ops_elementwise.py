"""Elementwise ops: unary and binary float ops with numpy broadcasting, comparisons, `where`, casts.

Each entry is the single definition of the op: arity, attributes, shape/dtype rule, numpy
reference and front-end function (generated for unary, binary and compare ops). Derivatives live
in passes/autodiff/rules.py, spellings in codegen's tables.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import kernels
from .attrs import DTYPE, FLOAT
from .errors import DTypeError, GraphError
from .optable import OpDef, register
from .shapes import broadcast_shapes, same_dtype, same_float_dtype
from .spec import TensorSpec, check_dtype
from .tensor import Tensor, apply, as_tensor, constant_array, lift


def _unary_infer(x: TensorSpec, **_) -> TensorSpec:
    return TensorSpec.trusted(x.shape, same_float_dtype([x]))


def _numeric_unary_infer(x: TensorSpec) -> TensorSpec:
    return TensorSpec.trusted(x.shape, same_dtype([x]))


def _binary_infer(a: TensorSpec, b: TensorSpec) -> TensorSpec:
    return TensorSpec.trusted(broadcast_shapes(a.shape, b.shape), same_float_dtype([a, b]))


def _numeric_binary_infer(a: TensorSpec, b: TensorSpec) -> TensorSpec:
    return TensorSpec.trusted(broadcast_shapes(a.shape, b.shape), same_dtype([a, b]))


def _compare_infer(a: TensorSpec, b: TensorSpec) -> TensorSpec:
    same_dtype([a, b])
    return TensorSpec.trusted(broadcast_shapes(a.shape, b.shape), "bool")


def _relu(x):
    return np.maximum(x, x.dtype.type(0))


UNARY = {  # name: (numpy reference, what it computes); float operands only
    "exp": (np.exp, "e^x"),
    "log": (np.log, "natural logarithm"),
    "sqrt": (np.sqrt, "square root"),
    "tanh": (np.tanh, "hyperbolic tangent"),
    "sigmoid": (kernels.sigmoid, "1 / (1 + e^-x), computed stably"),
    "sin": (np.sin, "sine"),
    "cos": (np.cos, "cosine"),
    "log1p": (np.log1p, "log(1 + x), exact for small x"),
    "expm1": (np.expm1, "e^x - 1, exact for small x"),
}

NUMERIC_UNARY = {  # integer operands too, as numpy allows on index tensors
    "negative": (np.negative, "-x"),
    "abs": (np.abs, "absolute value"),
    "square": (np.square, "x*x"),
    "relu": (_relu, "max(x, 0)"),
    "sign": (np.sign, "-1, 0 or 1 (no gradient flows)"),
}

BINARY = {"divide": (np.divide, "a / b")}  # float operands only

NUMERIC_BINARY = {
    "add": (np.add, "a + b"),
    "subtract": (np.subtract, "a - b"),
    "multiply": (np.multiply, "a * b"),
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

for _name, (_fn, _doc) in NUMERIC_UNARY.items():
    register(OpDef(_name, 1, "unary", _numeric_unary_infer, _fn, doc=_doc))
for _name, (_fn, _doc) in UNARY.items():
    register(OpDef(_name, 1, "unary", _unary_infer, _fn, doc=_doc))
for _name, (_fn, _doc) in NUMERIC_BINARY.items():
    register(OpDef(_name, 2, "binary", _numeric_binary_infer, _fn, doc=_doc))
for _name, (_fn, _doc) in BINARY.items():
    register(OpDef(_name, 2, "binary", _binary_infer, _fn, doc=_doc))
for _name, (_fn, _doc) in COMPARE.items():
    register(OpDef(_name, 2, "compare", _compare_infer, _fn, doc=_doc))


def power(x, exponent):
    """x ** exponent for a Python-number exponent (x ** 2 becomes `square`, x ** 1 is x)."""
    if isinstance(exponent, Tensor):
        raise GraphError("power takes a Python number as exponent; write gg.exp(y * gg.log(x)) "
                         "for a tensor exponent")
    if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
        raise GraphError(f"power takes a Python number as exponent, got {type(exponent).__name__}")
    x = as_tensor(x)
    if exponent == 2:
        return apply("square", x)
    if exponent == 1:
        return x
    return apply("power", x, exponent=float(exponent))


register(OpDef("power", 1, "unary", _unary_infer,
               lambda x, *, exponent: np.power(x, x.dtype.type(exponent)), attrs={"exponent": FLOAT},
               doc="x ** exponent, the exponent a Python number", api=power))


def astype(x, dtype):
    """Cast to float32, float64 (gradients flow) or bool."""
    x = as_tensor(x)
    if check_dtype(dtype) == x.dtype:  # a no-op cast adds nothing
        return x
    return apply("cast", x, dtype=dtype)


register(OpDef("cast", 1, "cast", lambda x, *, dtype: TensorSpec(x.shape, dtype),
               lambda x, *, dtype: x.astype(dtype), attrs={"dtype": DTYPE},
               doc="x.astype(dtype); gradients flow between float dtypes", api=astype))


def where(condition, x, y):
    """Elements of x where condition holds, else of y (condition from a comparison)."""
    like = next((v for v in (x, y, condition) if isinstance(v, Tensor)), None)
    if like is None:
        raise GraphError("where needs at least one symbolic tensor")
    cond = as_tensor(condition, like=like)
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = Tensor(cond.graph.add("constant", (), {"value": constant_array(x, "float64")}), cond.graph)
    x, y = lift(x, y)
    return apply("where", cond, x, y)


def _where_infer(cond: TensorSpec, a: TensorSpec, b: TensorSpec) -> TensorSpec:
    if cond.dtype != "bool":
        raise DTypeError(f"the condition must be a bool tensor (from a comparison), got {cond.dtype}")
    return TensorSpec.trusted(broadcast_shapes(cond.shape, a.shape, b.shape), same_dtype([a, b]))


register(OpDef("where", 3, "select", _where_infer, np.where,
               doc="where(cond, a, b): a where cond holds, else b", api=where))
