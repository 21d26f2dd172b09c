"""Attribute kinds: small objects that check, key, encode and decode one kind of op attribute.

The op table declares each op's attributes by kind (`{"axis": AXES, "keepdims": BOOL}`); building
a node checks values through the kind (`check`, skipped when `is_canonical` already holds), CSE
and hash-consing key them (`key`), and JSON writes and reads them (`encode`, `decode`). `decode`
validates JSON data and returns canonical values, so a loaded node is not checked twice.
"""
from __future__ import annotations

import base64
import binascii
import math
import operator

import numpy as np

from .errors import GraphError
from .jsondata import (LIST_LIMIT, MAX_NDIM, float_in, float_out, json_dtype, json_int, json_keys,
                       json_list, json_shape, short)
from .spec import ARRAY_DTYPES, DTYPES, check_dtype


def as_int(value, what) -> int:
    """A Python or numpy integer as an int (bools refused), else GraphError."""
    if isinstance(value, bool):
        raise GraphError(f"{what} must be an int, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise GraphError(f"{what} must be an int, got {short(value)}") from None


def _plain_ints(value) -> bool:
    if type(value) is not tuple:
        return False
    for v in value:
        if type(v) is not int:
            return False
    return True


class AttrKind:
    """One kind of attribute. Subclasses define `check` (user value -> canonical value or
    GraphError), `is_canonical`, `encode` (canonical value -> JSON data) and `decode` (JSON data
    -> canonical value or GraphError); `key` makes a canonical value hashable."""

    name = "?"

    def check(self, value, what):
        raise NotImplementedError

    def is_canonical(self, value) -> bool:
        return False

    def encode(self, value):
        return value

    def decode(self, data, where):
        raise NotImplementedError

    def key(self, value):
        return value

    def __repr__(self) -> str:
        return self.name.upper()


class Int(AttrKind):
    name = "int"

    def check(self, value, what):
        return as_int(value, what)

    def is_canonical(self, value):
        return type(value) is int

    def decode(self, data, where):
        return json_int(data, where)


class Ints(AttrKind):
    """A tuple of ints (a shape, a permutation)."""

    name = "ints"

    def check(self, value, what):
        if _plain_ints(value):
            return value
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise GraphError(f"{what} must be a tuple of ints, got {short(value)}")
        return tuple(as_int(v, what) for v in value)

    def is_canonical(self, value):
        return _plain_ints(value)

    def encode(self, value):
        return list(value)

    def decode(self, data, where):
        return tuple(json_int(v, where) for v in json_list(data, where, MAX_NDIM))


class Optional(AttrKind):
    """None or a value of another kind (`optional_ints`: transpose's axes)."""

    def __init__(self, inner: AttrKind):
        self.inner, self.name = inner, f"optional_{inner.name}"

    def check(self, value, what):
        return None if value is None else self.inner.check(value, what)

    def is_canonical(self, value):
        return value is None or self.inner.is_canonical(value)

    def encode(self, value):
        return None if value is None else self.inner.encode(value)

    def decode(self, data, where):
        return None if data is None else self.inner.decode(data, where)


class Axes(AttrKind):
    """A reduction's axis: None (every axis), an int, or a tuple of ints."""

    name = "axes"

    def check(self, value, what):
        if value is None:
            return None
        if isinstance(value, (list, tuple)):
            return INTS.check(value, what)
        return as_int(value, what)

    def is_canonical(self, value):
        return value is None or type(value) is int or _plain_ints(value)

    def encode(self, value):
        return value if value is None or type(value) is int else list(value)

    def decode(self, data, where):
        if data is None:
            return None
        return json_int(data, where) if type(data) is int else INTS.decode(data, where)


class Bool(AttrKind):
    name = "bool"

    def check(self, value, what):
        if not isinstance(value, (bool, np.bool_)):
            raise GraphError(f"{what} must be a bool, got {short(value)}")
        return bool(value)

    def is_canonical(self, value):
        return type(value) is bool

    def decode(self, data, where):
        if not isinstance(data, bool):
            raise GraphError(f"{where} must be a bool, got {short(data)}")
        return data


class Float(AttrKind):
    """A finite Python float (power's exponent), or with `infinite` also ±inf (a pad value)."""

    def __init__(self, infinite=False):
        self.infinite, self.name = infinite, "number" if infinite else "float"

    def _ok(self, value: float) -> bool:
        return math.isfinite(value) or (self.infinite and not math.isnan(value))

    def check(self, value, what):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise GraphError(f"{what} must be a number, got {short(value)}")
        value = float(value)
        if not self._ok(value):
            raise GraphError(f"{what} must be {'a number, not NaN' if self.infinite else 'finite'}, "
                             f"got {value!r}")
        return value

    def is_canonical(self, value):
        return type(value) is float and self._ok(value)

    def encode(self, value):
        return float_out(value)

    def decode(self, data, where):
        return self.check(float_in(data, where), where)


class DType(AttrKind):
    name = "dtype"

    def check(self, value, what):
        return check_dtype(value)

    def is_canonical(self, value):
        return type(value) is str and value in DTYPES

    def decode(self, data, where):
        return json_dtype(data, where, DTYPES)


class Index(AttrKind):
    """Basic indexing: a tuple of ints and (start, stop, step) triples (ints or None)."""

    name = "index"

    def check(self, value, what):
        if not isinstance(value, (list, tuple)):
            raise GraphError(f"{what} must be a tuple of ints and (start, stop, step) triples")
        return tuple(self._entry(v, what) for v in value)

    @staticmethod
    def _entry(value, what):
        if isinstance(value, (list, tuple)) and len(value) == 3:
            return tuple(None if v is None else as_int(v, what) for v in value)
        return as_int(value, what)

    def is_canonical(self, value):
        if type(value) is not tuple:
            return False
        for e in value:
            if type(e) is not int and not (type(e) is tuple and len(e) == 3 and
                                           all(v is None or type(v) is int for v in e)):
                return False
        return True

    def encode(self, value):
        return [e if isinstance(e, int) else list(e) for e in value]

    def decode(self, data, where):
        out = []
        for e in json_list(data, where, MAX_NDIM):
            if isinstance(e, list) and len(e) == 3:
                out.append(tuple(None if v is None else json_int(v, where) for v in e))
            elif type(e) is int:
                out.append(e)
            else:
                raise GraphError(f"{where}: an index entry is an int or [start, stop, step], "
                                 f"got {short(e)}")
        return tuple(out)


class Str(AttrKind):
    """A short string (einsum's subscripts); the op's canon step says which ones are valid."""

    name = "str"
    LIMIT = 256

    def check(self, value, what):
        if not isinstance(value, str) or len(value) > self.LIMIT:
            raise GraphError(f"{what} must be a string of at most {self.LIMIT} characters, "
                             f"got {short(value)}")
        return value

    def is_canonical(self, value):
        return type(value) is str and len(value) <= self.LIMIT

    def decode(self, data, where):
        return self.check(data, where)


class Array(AttrKind):
    """A constant: a private, read-only numpy array of a supported dtype."""

    name = "array"

    def check(self, value, what):
        if not isinstance(value, np.ndarray) or value.dtype.name not in ARRAY_DTYPES:
            raise GraphError(f"{what} must be a numpy array of dtype {', '.join(ARRAY_DTYPES)}")
        value = np.array(value)  # private copy, then read-only
        value.flags.writeable = False
        return value

    def is_canonical(self, value):
        return type(value) is np.ndarray and not value.flags.writeable and value.base is None \
            and value.dtype.name in ARRAY_DTYPES

    def key(self, value):
        return ("array", value.dtype.str, value.shape, np.ascontiguousarray(value).tobytes())

    def encode(self, value):
        out = {"dtype": value.dtype.name, "shape": list(value.shape)}
        if value.size <= LIST_LIMIT:
            flat = value.ravel().tolist()
            data = [float_out(v) for v in flat] if value.dtype.kind == "f" else flat
            return {**out, "encoding": "list", "data": data}
        raw = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")).tobytes()
        return {**out, "encoding": "base64", "data": base64.b64encode(raw).decode("ascii")}

    def decode(self, data, where):
        json_keys(data, where, required=("dtype", "shape", "encoding", "data"))
        dtype = json_dtype(data["dtype"], f"{where} dtype", ARRAY_DTYPES)
        shape = json_shape(data["shape"], f"{where} shape")
        size, encoding, items = math.prod(shape), data["encoding"], data["data"]
        if encoding == "list":
            flat = _list_data(json_list(items, f"{where} data"), dtype, size, shape, where)
        elif encoding == "base64":
            if not isinstance(items, str):
                raise GraphError(f"{where} data must be a string, got {type(items).__name__}")
            flat = _base64_data(items, dtype, size, shape, where)
        else:
            raise GraphError(f"{where}: encoding must be 'list' or 'base64', got {short(encoding)}")
        value = np.array(flat.reshape(shape))  # owns its data
        value.flags.writeable = False
        return value


def _list_data(items, dtype, size, shape, where) -> np.ndarray:
    """A flat list of numbers (floats may be "nan", "inf", "-inf") or bools of `dtype`."""
    if len(items) != size:
        raise GraphError(f"{where}: {len(items)} data element(s) for shape {shape} ({size})")
    if dtype == "bool":
        if not all(isinstance(v, bool) for v in items):
            raise GraphError(f"{where}: bool data must be true or false")
        return np.array(items, dtype=bool)
    if np.dtype(dtype).kind == "i":
        info = np.iinfo(dtype)
        return np.array([json_int(v, f"{where} data", int(info.min), int(info.max)) for v in items],
                        dtype=dtype)
    wide = np.array([float_in(v, f"{where} data") for v in items], dtype=np.float64)
    if dtype == "float64":
        return wide
    with np.errstate(over="ignore"):
        flat = wide.astype(dtype)
    if np.any(np.isfinite(wide) & ~np.isfinite(flat)):
        raise GraphError(f"{where}: a value is out of the {dtype} range")
    return flat


def _base64_data(text, dtype, size, shape, where) -> np.ndarray:
    """Raw little-endian bytes, base64-encoded, that must fill exactly `shape`."""
    itemsize = np.dtype(dtype).itemsize
    if len(text) > 4 * (size * itemsize + 2) // 3 + 4:
        raise GraphError(f"{where}: base64 data is longer than shape {shape} needs")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise GraphError(f"{where}: data is not valid base64") from None
    if len(raw) != size * itemsize:
        raise GraphError(f"{where}: {len(raw)} bytes of data for shape {shape} ({size} x {itemsize})")
    if dtype == "bool" and raw.translate(None, b"\x00\x01"):
        raise GraphError(f"{where}: bool data bytes must be 0 or 1")
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)


INT, INTS, AXES, BOOL, FLOAT, DTYPE, INDEX, ARRAY, STR = (Int(), Ints(), Axes(), Bool(), Float(), DType(),
                                                          Index(), Array(), Str())
NUMBER = Float(infinite=True)
OPTIONAL_INTS, OPTIONAL_INT = Optional(INTS), Optional(INT)
KINDS = {k.name: k for k in (INT, INTS, AXES, BOOL, FLOAT, NUMBER, DTYPE, INDEX, ARRAY, STR,
                            OPTIONAL_INTS, OPTIONAL_INT)}


def attrs_key(kinds: dict, attrs: dict) -> tuple:
    """A node's attributes as a hashable key (equal exactly when the values are), in declared order."""
    if not attrs:
        return ()
    return tuple([kinds[k].key(v) for k, v in attrs.items()])
