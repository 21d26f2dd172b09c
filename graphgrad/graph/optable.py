"""The op table's machinery: `OpDef`, the registry, attribute kinds and the shared shape rules.

Every op is defined once (in `ops_elementwise.py` or `ops_structural.py`) with its arity, its
attributes, a `canon` step that normalises attributes, an `infer` rule giving the output
`TensorSpec`, and a reference numpy implementation used by the evaluator.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import math
import operator
from typing import Callable

import numpy as np

from .errors import DTypeError, GraphError, ShapeError
from .spec import DTYPES, FLOAT_DTYPES, TensorSpec, check_dtype, check_shape

OPS: dict[str, "OpDef"] = {}


@dataclass(frozen=True)
class OpDef:
    """One op: name, arity (None for variadic), attribute kinds, shape/dtype rule, numpy reference.

    `category` groups ops for the layers above: "source", "unary", "binary", "compare",
    "reduction", "shape", "linalg", "jacobian", "cast", "select".
    """

    name: str
    arity: int | None
    category: str
    infer: Callable[..., TensorSpec]
    impl: Callable[..., np.ndarray]
    attrs: dict = field(default_factory=dict)
    canon: Callable[..., dict] | None = None
    doc: str = ""
    differentiable: bool = True


def register(op: OpDef) -> OpDef:
    """Add an op to the table; a name may be defined only once."""
    if op.name in OPS:
        raise RuntimeError(f"op {op.name!r} is defined twice")
    OPS[op.name] = op
    return op


def lookup(name: str) -> OpDef:
    """The definition of op `name`, or a GraphError naming the unknown op."""
    try:
        return OPS[name]
    except (KeyError, TypeError):
        raise GraphError(f"unknown op {name!r}") from None


# --- attribute kinds -------------------------------------------------------------------------

def _int(value, what):
    if isinstance(value, bool):
        raise GraphError(f"{what} must be an int, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise GraphError(f"{what} must be an int, got {value!r}") from None


def _ints(value, what):
    if type(value) is tuple and all(type(v) is int for v in value):
        return value  # already canonical: the common case inside passes
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise GraphError(f"{what} must be a tuple of ints, got {value!r}")
    return tuple(_int(v, what) for v in value)


def _axes(value, what):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return _ints(value, what)
    return _int(value, what)


def _index_entry(value, what):
    if isinstance(value, (list, tuple)) and len(value) == 3:
        return tuple(None if v is None else _int(v, what) for v in value)
    return _int(value, what)


def _check_attr(kind: str, value, what: str):
    """Check an attribute's Python type against its declared kind; return the normalised value."""
    if kind == "int":
        return _int(value, what)
    if kind == "ints":
        return _ints(value, what)
    if kind == "axes":
        return _axes(value, what)
    if kind == "optional_ints":
        return None if value is None else _ints(value, what)
    if kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise GraphError(f"{what} must be a bool, got {value!r}")
        return bool(value)
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise GraphError(f"{what} must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise GraphError(f"{what} must be finite, got {value!r}")
        return value
    if kind == "dtype":
        return check_dtype(value, allow_bool=True)
    if kind == "array":
        if not isinstance(value, np.ndarray) or value.dtype.name not in FLOAT_DTYPES + ("bool",):
            raise GraphError(f"{what} must be a float or bool numpy array")
        value = np.array(value)  # private, read-only copy
        value.flags.writeable = False
        return value
    if kind == "index":
        if not isinstance(value, (list, tuple)):
            raise GraphError(f"{what} must be a tuple of ints and (start, stop, step) triples")
        return tuple(_index_entry(v, what) for v in value)
    raise RuntimeError(f"unknown attribute kind {kind!r}")


def _plain_ints(value) -> bool:
    """Whether `value` is already a tuple of plain ints (which `_ints` would return as it is)."""
    if type(value) is not tuple:
        return False
    for v in value:
        if type(v) is not int:
            return False
    return True


# kind -> whether a value is already exactly what _check_attr would return: passes rebuild
# nodes whose attributes are canonical, and skipping the check (and its message) halves the cost.
_ALREADY_CHECKED = {
    "int": lambda v: type(v) is int,
    "ints": _plain_ints,
    "axes": lambda v: v is None or type(v) is int or _plain_ints(v),
    "optional_ints": lambda v: v is None or _plain_ints(v),
    "bool": lambda v: type(v) is bool,
    "dtype": lambda v: type(v) is str and v in DTYPES,
}


def prepare_attrs(op: OpDef, specs: tuple, attrs: dict) -> dict:
    """Check attribute names and kinds, then apply the op's `canon` step (which sees the operands)."""
    kinds = op.attrs
    if attrs.keys() != kinds.keys():
        unknown = sorted(set(attrs) - set(kinds))
        if unknown:
            raise GraphError(f"{op.name}: unknown attribute(s) {', '.join(map(repr, unknown))}")
        missing = sorted(set(kinds) - set(attrs))
        if missing:
            raise GraphError(f"{op.name}: missing attribute(s) {', '.join(map(repr, missing))}")
    checked = {}
    for k, kind in kinds.items():
        value, done = attrs[k], _ALREADY_CHECKED.get(kind)
        checked[k] = value if done is not None and done(value) else \
            _check_attr(kind, value, f"{op.name} attribute {k!r}")
    return op.canon(specs, **checked) if op.canon else checked


# --- shared shape and dtype rules ------------------------------------------------------------

def broadcast_shapes(*shapes: tuple) -> tuple:
    """numpy's broadcasting rule; ShapeError when two dimensions differ and neither is 1."""
    if shapes and type(shapes[0]) is tuple:  # equal shapes, the common case: nothing to work out
        for s in shapes:
            if s != shapes[0]:
                break
        else:
            return shapes[0]
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        dims = {s[len(s) - ndim + i] for s in shapes if len(s) - ndim + i >= 0}
        dims.discard(1)
        if len(dims) > 1:
            raise ShapeError(f"shapes do not broadcast (axis {i - ndim}: sizes {sorted(dims)})")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def normalize_axis(axis: int, ndim: int) -> int:
    """A possibly negative axis as a non-negative one; ShapeError when out of range."""
    if not -ndim <= axis < ndim:
        raise ShapeError(f"axis {axis} is out of range for {ndim}-d operand")
    return axis % ndim


def normalize_axes(axis, ndim: int):
    """None, an int or a tuple of ints as None or a sorted tuple of distinct non-negative axes."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    norm = tuple(sorted(normalize_axis(a, ndim) for a in axes))
    if len(set(norm)) != len(norm):
        raise ShapeError(f"repeated axis in {axis!r}")
    return norm


def same_float_dtype(specs) -> str:
    """The common float dtype of the operands; DTypeError for bool or mixed float32/float64."""
    if specs:  # one float dtype throughout, the common case
        first = specs[0].dtype
        for s in specs:
            if s.dtype != first:
                break
        else:
            if first in FLOAT_DTYPES:
                return first
    dtypes = [s.dtype for s in specs]
    for d in dtypes:
        if d not in FLOAT_DTYPES:
            raise DTypeError(f"operand of dtype {d!r} where a float is required")
    if len(set(dtypes)) > 1:
        raise DTypeError(f"mixed dtypes {', '.join(dtypes)}; cast one operand with .astype(...)")
    return dtypes[0]


def shape_size(shape: tuple) -> int:
    """Number of elements of a shape."""
    return math.prod(shape)


def check_shape_attr(shape, what="shape") -> tuple:
    """A shape attribute as a tuple of non-negative ints (ShapeError otherwise)."""
    return check_shape(shape, what)
