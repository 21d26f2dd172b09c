"""Strict readers for JSON data (graph documents): exact types, bounds, and bounded excerpts of
the offending value in every message. Shared by the attribute kinds and the document loader."""
from __future__ import annotations

import math

from .errors import GraphError
from .spec import MAX_ELEMENTS, MAX_NDIM, check_size

INT_LIMIT = 2 ** 62      # bound on any integer read from a document
LIST_LIMIT = 64          # constants with at most this many elements are written as readable lists
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def short(value, limit=60) -> str:
    """A bounded excerpt of a (possibly huge or deeply nested) value for an error message."""
    if isinstance(value, (list, dict)) and len(value) > 8:
        return f"a {type(value).__name__} of {len(value)} items"
    try:
        text = repr(value)
    except RecursionError:
        return f"a deeply nested {type(value).__name__}"
    return text if len(text) <= limit else text[:limit] + "..."


def json_int(value, where, lo=-INT_LIMIT, hi=INT_LIMIT) -> int:
    """An int read from JSON data, within [lo, hi]."""
    if type(value) is not int or not lo <= value <= hi:
        raise GraphError(f"{where} must be an int in [{lo}, {hi}], got {short(value)}")
    return value


def json_list(value, where, limit=None) -> list:
    if not isinstance(value, list):
        raise GraphError(f"{where} must be a list, got {type(value).__name__} {short(value)}")
    if limit is not None and len(value) > limit:
        raise GraphError(f"{where} has {len(value)} entries (at most {limit})")
    return value


def json_keys(obj, where, required=(), optional=()) -> None:
    """`obj` must be a JSON object with every `required` key and no key outside `optional`."""
    if not isinstance(obj, dict):
        raise GraphError(f"{where} must be a JSON object, got {type(obj).__name__}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise GraphError(f"{where} lacks {', '.join(map(repr, missing))}")
    unknown = sorted(k for k in obj if k not in required and k not in optional)
    if unknown:
        raise GraphError(f"{where} has unknown key(s) {', '.join(short(k) for k in unknown)}")


def json_dtype(value, where, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise GraphError(f"{where} must be one of {', '.join(allowed)}, got {short(value)}")
    return value


def json_shape(value, where) -> tuple:
    """A shape: at most MAX_NDIM non-negative ints holding at most MAX_ELEMENTS elements."""
    dims = json_list(value, where)
    if len(dims) > MAX_NDIM:
        raise GraphError(f"{where} has {len(dims)} dimensions (at most {MAX_NDIM})")
    shape = tuple(json_int(d, where, 0, MAX_ELEMENTS) for d in dims)
    check_size(shape, where)
    return shape


def float_out(value):
    """A float as JSON data: the number, or "nan", "inf", "-inf"."""
    value = float(value)
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def float_in(data, where) -> float:
    """The inverse of `float_out`, refusing anything that is not a number."""
    if isinstance(data, str) and data in _NONFINITE:
        return _NONFINITE[data]
    if isinstance(data, bool) or not isinstance(data, (int, float)):
        raise GraphError(f"{where} must be a number or 'nan', 'inf', '-inf', got {short(data)}")
    try:
        return float(data)
    except OverflowError:
        raise GraphError(f"{where}: {short(data)} is out of the float range") from None
