"""C types and literals: `double`, `float`, `unsigned char` (bools) and `int64_t`/`int32_t`
(index arrays), exact float literals, and the initializers of constant tables.

Floats are written with the shortest text that reads back to the same bits (Python's `repr` for
float64, the shortest float32 text with an `f` suffix for float32); infinities and NaN as math.h's
`INFINITY` and `NAN`.
"""
from __future__ import annotations

import math

import numpy as np

from ...graph.errors import DTypeError

CTYPES = {"float64": "double", "float32": "float", "bool": "unsigned char",
          "int64": "int64_t", "int32": "int32_t"}  # integers: index arrays (stdint.h)
TAGS = {"float64": "f64", "float32": "f32", "bool": "bool", "int64": "i64", "int32": "i32"}
INT_CTYPES = ("int64_t", "int32_t")


def ctype(dtype: str) -> str:
    """The C element type of a dtype (DTypeError for one the C backend cannot store)."""
    try:
        return CTYPES[dtype]
    except KeyError:
        raise DTypeError(f"the C backend has no element type for dtype {dtype!r}") from None


def float_literal(value, dtype: str) -> str:
    """One float as exact C source: `2.0`, `-0.5`, `0.1f`, `INFINITY`, `-INFINITY`, `NAN`."""
    value = float(value)
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "-INFINITY"
    if dtype == "float32":
        text = str(np.float32(value))
        if np.float32(float(text)) != np.float32(value):  # pragma: no cover - numpy's str is exact
            text = repr(float(np.float32(value)))
        return text + "f"
    return repr(value)


def literal(value, dtype: str) -> str:
    """A scalar of `dtype` as C source (bools as 1 and 0)."""
    if dtype == "bool":
        return "1" if bool(value) else "0"
    if dtype in ("int64", "int32"):
        v = int(value)
        return f"({v + 1} - 1)" if v == -2 ** 63 else str(v)  # INT64_MIN has no literal
    return float_literal(value, dtype)


def table_lines(values: np.ndarray, dtype: str, width: int = 99, indent: str = "    ") -> list:
    """The comma-separated items of a constant table's initializer, wrapped to `width` columns."""
    items = [literal(v, dtype) for v in np.asarray(values).reshape(-1).tolist()] or ["0"]
    lines, line = [], ""
    for item in items:
        piece = item + ","
        if line and len(indent) + len(line) + 1 + len(piece) > width:
            lines.append(indent + line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    lines.append(indent + line.rstrip(","))
    return lines
