"""Label text for pictures: escaping of user text, subscripts, type text and Jacobian formulas.

Every label is a Graphviz HTML-like label (`<...>`). User text (names, titles) goes through
`escape`, which turns `& < > "` into entities and control characters into visible `\\n`-style
text, so no name can close the label or inject DOT statements.
"""
from __future__ import annotations

import numpy as np

from ..graph.printer import format_attr
from ..graph.spec import format_type

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_MAX_TEXT = 48  # user text longer than this is cut with an ellipsis
_MAX_FORMULA = 30  # a diag(...) argument longer than this is abbreviated
_MAX_FACTOR = 18  # likewise a Kronecker factor
_SYMBOLS = {"add": "+", "subtract": "−", "multiply": "⊙", "divide": "/", "matmul": "·",
            "less": "<", "less_equal": "≤", "greater": ">", "greater_equal": "≥", "equal": "="}
_TRANSPARENT = ("reshape", "broadcast_to", "cast")  # flattening is implicit in the notation


def escape(text, limit: int = _MAX_TEXT) -> str:
    """User text as safe content of an HTML-like label: entities for `& < > "`, control
    characters shown as escapes (a backslash entity, so Graphviz never interprets them)."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    out = []
    for ch in text:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == '"':
            out.append("&quot;")
        elif ch == "\\":
            out.append("&#92;")
        elif not ch.isprintable():
            out.append("&#92;" + repr(ch)[2:-1])
        else:
            out.append(ch)
    return "".join(out)


def subscript(n: int) -> str:
    """`100` as `₁₀₀`."""
    return str(n).translate(_SUBSCRIPTS)


def type_text(value) -> str:
    """`f64[64,100]`: the compact type of a value, as the printer writes it."""
    return format_type(value.shape, value.dtype)


def size_text(nbytes: int) -> str:
    """A byte count for people: `800 B`, `51.2 kB`, `5.1 GB` (decimal units)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} B"


def attrs_text(node, limit: int = 40) -> str:
    """The node's attributes as one short line (`axis=(1,) keepdims=True`), values as printed;
    attributes that only repeat the output type or a default (`keepdims=False`) are left out."""
    if node.op in ("constant", "eye") + INDEXED:
        return ""
    shown = [k for k in sorted(node.attrs) if not _implied(node, k, node.attrs[k])]
    text = " ".join(f"{k}={format_attr(node.attrs[k])}" for k in shown)
    return text if len(text) <= limit else text[:limit - 1] + "…"


INDEXED = ("slice", "unslice")  # ops whose `index` attribute is drawn as Python spells it


def index_text(index, shape, variants=()) -> str:
    """A canonical slice index as the code spells it: `[:, 2:, 1:7]`, `[3]`, `[::-1]`.

    `shape` is the sliced tensor's. `variants` are the indexes of the copies a drawn node
    stands for (in a collapsed view); an entry that differs among them is shown as its range
    (`[0…19]`) or as `…`. Trailing full slices are left out, as people write them.
    """
    entries = []
    for axis, entry in enumerate(index):
        seen = [v[axis] for v in variants if len(v) > axis] or [entry]
        if any(v != entry for v in seen):
            ints = all(isinstance(v, int) for v in seen)
            entries.append(f"{seen[0]}…{seen[-1]}" if ints else "…")
        else:
            entries.append(_entry_text(entry, shape[axis]))
    while entries and entries[-1] == ":":
        entries.pop()
    return "[" + (", ".join(entries) or ":") + "]"


def _entry_text(entry, size) -> str:
    """One canonical entry: an int, or a (start, stop, step) triple with the defaults left out."""
    if isinstance(entry, int):
        return str(entry)
    start, stop, step = entry
    if step > 0:
        first, last = ("" if start == 0 else str(start)), ("" if stop >= size else str(stop))
    else:
        first, last = ("" if start == size - 1 else str(start)), ("" if stop == -1 else str(stop))
    return f"{first}:{last}" + ("" if step == 1 else f":{step}")


def _implied(node, key, value) -> bool:
    """Whether an attribute says nothing that the label's type line and op do not say."""
    if key == "shape" and node.op in ("reshape", "broadcast_to"):
        return tuple(value) == tuple(node.shape)
    if key == "axes" and node.op == "transpose":
        return tuple(value) == tuple(reversed(range(len(value))))
    if key == "dtype" and node.op == "cast":
        return value == node.dtype
    return (key, value) in (("keepdims", False), ("axis", None))


def constant_text(node) -> str:
    """A constant's value when it is small (`0.0`, `[1.0, 2.0]`), else `const`."""
    value = node.attrs["value"]
    if value.size == 1:
        return _number(value)
    return format_attr(value) if value.size <= 4 else "const"


def _number(value: np.ndarray) -> str:
    x = value.reshape(()).item()
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


def expression(value, depth: int = 3) -> str:
    """A short formula for a value from its operands' names: `w2ᵀ`, `I₁₀₀`, `h > 0`.

    Inputs and named nodes are their names; reshapes are transparent (a Jacobian's operand is
    a flattened tensor); deeper than `depth` ops, a value is its `%id`.
    """
    if value.op == "input" or value.name:
        return value.name
    op, args = value.op, value.inputs
    if op == "eye":
        return "I" + subscript(value.attrs["n"])
    if op == "constant":
        return constant_text(value)
    if op in _TRANSPARENT:
        return expression(args[0], depth)
    if depth <= 0:
        return value.ref
    if op == "transpose" and len(value.shape) == 2:
        return _atom(expression(args[0], depth - 1)) + "ᵀ"
    if op in _SYMBOLS and len(args) == 2:
        a, b = (_atom(expression(v, depth - 1)) for v in args)
        return f"{a} {_SYMBOLS[op]} {b}"
    return f"{op}({', '.join(expression(v, depth - 1) for v in args)})"


def _atom(text: str) -> str:
    return f"({text})" if " " in text else text


def jacobian_formula(node) -> str:
    """The formula of an explicit Jacobian node: `x ⊗ I₁₀₀`, `I₆₄ ⊗ w2ᵀ`, `diag(f′(h))`, `I₁₀₀`."""
    if node.op == "eye":
        return "I" + subscript(node.attrs["n"])
    if node.op == "kron":
        a, b = (_atom(_factor(v)) for v in node.inputs)
        return f"{a} ⊗ {b}"
    if node.op == "diag":
        inner = expression(node.inputs[0])
        if len(inner) > _MAX_FORMULA or "%" in inner:  # too long, or cut short at an %id
            names = _named_sources(node.inputs[0])
            inner = f"f′({names[0]})" if len(names) == 1 else "v"
        return f"diag({inner})"
    return node.op


def _factor(value) -> str:
    """A Kronecker factor: its full formula when short and complete, else one level of it
    (`tanh(%596)`), else its `%id`."""
    for depth in (3, 1):
        text = expression(value, depth)
        if len(text) <= _MAX_FACTOR and ("%" not in text or depth == 1):
            return text
    return value.ref


def _named_sources(value, limit: int = 64) -> list:
    """The distinct names (inputs and named nodes) that an unnamed value is computed from."""
    names, stack, seen = [], [value], 0
    while stack and seen < limit:
        v = stack.pop()
        seen += 1
        if v.op == "input" or (v.name and v is not value):
            if v.name not in names:
                names.append(v.name)
            continue
        stack.extend(reversed(v.inputs))
    return names
