"""Constants as source text: exact float literals, tiny array literals, base64 tables for the rest.

Floats are written with `repr` of a Python float (shortest text that reads back to the same bits;
float32 values get their shortest float32 text when it reads back exactly), NaN and infinities as
`np.nan` / `np.inf`, and float32 values wrapped in `np.float32(...)` so that generated float32 code
stays float32 under every numpy promotion rule. Nothing is written through an arbitrary `repr`.
"""
from __future__ import annotations

import base64
import math

import numpy as np

INLINE_ARRAY_LIMIT = 16  # arrays with at most this many elements are written as literals
_B64_LINE = 76


def float_text(value, dtype: str, mod: str) -> str:
    """The exact literal of one float of `dtype` (no wrapper): '2.0', '-0.5', 'np.inf', 'np.nan'."""
    value = float(value)
    if math.isnan(value):
        return f"{mod}.nan"
    if math.isinf(value):
        return f"{mod}.inf" if value > 0 else f"-{mod}.inf"
    if dtype == "float32":
        short = str(np.float32(value))
        if _reads_back(short, value):
            return short
    return repr(value)


def _reads_back(text: str, value: float) -> bool:
    try:
        return np.float32(float(text)) == np.float32(value) and "n" not in text
    except ValueError:
        return False


def dtype_text(dtype: str, mod: str) -> str:
    """`np.float64`, `np.float32` or `np.bool_` (with `jnp` for jax)."""
    return f"{mod}.bool_" if dtype == "bool" else f"{mod}.{dtype}"


class ScalarLiteral:
    """A 0-d constant written inline, in the form each place needs.

    `arg` suits a function argument, `op` an operand of a Python operator (negative numbers in
    parentheses), `obj` a receiver of `.T`/`.reshape`/indexing (a typed numpy scalar).
    """

    def __init__(self, value, dtype: str, mod: str):
        if dtype == "bool":
            self.arg = "True" if bool(value) else "False"
            self.obj = f"{mod}.bool_({self.arg})"
        elif dtype.startswith("int"):
            self.arg = str(int(value))  # a Python int: numpy keeps the array's integer dtype
            self.obj = f"{dtype_text(dtype, mod)}({self.arg})"
        else:
            text = float_text(value, dtype, mod)
            self.obj = f"{dtype_text(dtype, mod)}({text})"
            self.arg = self.obj if dtype == "float32" else text
        self.op = f"({self.arg})" if self.arg.startswith("-") else self.arg
        self.prec = 13 if self.arg.startswith("-") else 100  # a negative number is a unary minus

    def operand(self, prec: int, right: bool) -> str:
        """The literal as an operand of an operator of precedence `prec`."""
        return self.op if self.prec < 100 else self.arg

    def typed(self) -> "ScalarLiteral":
        """The same literal written as a numpy scalar in every form (`np.float64(2.0)`), for an
        expression of literals alone, which Python would otherwise compute as a bare float."""
        out = object.__new__(ScalarLiteral)
        out.arg = out.op = out.obj = self.obj
        out.prec = 100
        return out


def array_literal(value: np.ndarray, mod: str) -> str:
    """A small array as `np.array([[1.0, 2.0], ...], dtype=np.float64)`; an empty one as
    `np.zeros(shape, ...)`, since nested lists cannot spell a shape like (0, 1)."""
    dtype = value.dtype.name
    if value.size == 0:
        return f"{mod}.zeros({shape_text(value.shape)}, dtype={dtype_text(dtype, mod)})"

    def item(v):
        if dtype == "bool":
            return "True" if v else "False"
        if dtype.startswith("int"):
            return str(int(v))
        return float_text(v, dtype, mod)

    def nested(a):
        if a.ndim == 0:
            return item(a.item())
        inner = ", ".join(nested(sub) for sub in a)
        return f"[{inner}]"

    return f"{mod}.array({nested(value)}, dtype={dtype_text(dtype, mod)})"


def table_literal(value: np.ndarray, helper: str) -> str:
    """A large array as a call of the `_constant` helper on its little-endian raw bytes."""
    code = value.dtype.newbyteorder("<").str if value.dtype.kind in "fi" else "|b1"
    raw = np.ascontiguousarray(value, dtype=code).tobytes()
    text = base64.b64encode(raw).decode("ascii")
    chunks = [text[i:i + _B64_LINE] for i in range(0, len(text), _B64_LINE)] or [""]
    body = "\n".join(f'    "{c}"' for c in chunks)
    return f'{helper}(\n{body},\n    "{code}", {shape_text(value.shape)})'


def shape_text(shape) -> str:
    """A shape tuple as Python source: `()`, `(3,)`, `(64, 100)`."""
    shape = tuple(int(d) for d in shape)
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(map(str, shape)) + ")"
