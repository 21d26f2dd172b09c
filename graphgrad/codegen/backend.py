"""What a code-generation target is (`Backend`), how a template becomes source, and the table of
spellings shared by the numpy-like targets.

A template is either a string with placeholders -- `{0}`, `{1}`, ... for operands, `{np}` for the
array module (`np`, `jnp`), `{dtype}` for the node's dtype (`np.float32`), `{zero}` for a zero of
that dtype -- or a function `(operands, node, ctx) -> str` for ops whose spelling depends on
attributes. Adding a target is one new table: `SHARED.derive(...)` with its overrides.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import functools
import re
from types import MappingProxyType

from .literals import ScalarLiteral, array_literal, dtype_text, shape_text, table_literal, \
    INLINE_ARRAY_LIMIT

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Backend:
    """One target: the array module's alias, its imports, op -> template, helper functions.

    `helpers` maps a private helper's name to (source, extra imports); the emitter adds a helper
    (and its imports) to a module only when some statement calls it.
    """

    name: str
    mod: str
    imports: tuple
    templates: MappingProxyType
    helpers: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def derive(self, name, *, mod=None, imports=None, overrides=(), helpers=()) -> "Backend":
        """A new backend: this table with `overrides` (op -> template) and extra helpers."""
        return Backend(name, mod or self.mod, tuple(imports or self.imports),
                       MappingProxyType({**self.templates, **dict(overrides)}),
                       MappingProxyType({**self.helpers, **dict(helpers)}))


class Ctx:
    """What a template function may ask for: the module alias and typed literals."""

    def __init__(self, backend: Backend, node):
        self.mod, self.node = backend.mod, node

    def dtype(self, dtype=None) -> str:
        return dtype_text(dtype or self.node.dtype, self.mod)

    def lit(self, value, dtype=None) -> ScalarLiteral:
        return ScalarLiteral(value, dtype or self.node.dtype, self.mod)

    def array(self, value) -> str:
        """A constant array as source: a literal when tiny, else a `_constant(...)` table entry."""
        if value.size <= INLINE_ARRAY_LIMIT:
            return array_literal(value, self.mod)
        return table_literal(value, "_constant")


@functools.lru_cache(maxsize=None)
def _parts(template: str) -> tuple:
    """A string template split into text and (placeholder, use) pairs, where the use says how an
    operand appears: 'obj' (x.T, x[i]), 'arg' (f(x)) or 'op' (an operand of an operator)."""
    parts, at = [], 0
    for m in _PLACEHOLDER.finditer(template):
        before, after = template[:m.start()], template[m.end():]
        if after.startswith((".", "[")):
            how = "obj"
        elif before.endswith(("(", ", ")) and after.startswith((")", ",")):
            how = "arg"
        else:
            how = "op"
        parts += [template[at:m.start()], (m.group(1), how)]
        at = m.end()
    return tuple(parts + [template[at:]])


def render(template, operands, node, backend: Backend) -> str:
    """The source expression of `node` from its template and its operands' texts."""
    if callable(template):
        return template(operands, node, Ctx(backend, node))
    out = []
    for part in _parts(template):
        if isinstance(part, str):
            out.append(part)
            continue
        key, how = part
        if key.isdigit():
            out.append(getattr(operands[int(key)], how))
        elif key == "np":
            out.append(backend.mod)
        elif key == "dtype":
            out.append(dtype_text(node.dtype, backend.mod))
        else:  # zero
            out.append(getattr(ScalarLiteral(0.0, node.dtype, backend.mod), how))
    return "".join(out)


# --- attribute spellings ----------------------------------------------------------------------

def axis_text(axis) -> str:
    """`, axis=1` or `, axis=(0, 2)`; empty for None (every axis)."""
    if axis is None:
        return ""
    return f", axis={axis[0]}" if len(axis) == 1 else f", axis={tuple(axis)!r}"


def index_text(index, shape) -> str:
    """A canonical slice index as `1:3, 0, ::-1` (trailing full slices dropped, `...` if none left)."""
    parts = []
    for entry, size in zip(index, shape):
        if isinstance(entry, int):
            parts.append(str(entry))
            continue
        start, stop, step = entry
        first, end = (0, size) if step > 0 else (size - 1, -1)
        text = ("" if start == first else str(start)) + ":" + \
            ("" if stop == end or stop < 0 else str(stop))
        parts.append(text + ("" if step == 1 else f":{step}"))
    while parts and parts[-1] == ":":
        parts.pop()
    return ", ".join(parts) or "..."


def _reduce(fn):
    return lambda a, node, c: (f"{c.mod}.{fn}({a[0].arg}{axis_text(node.attrs['axis'])}"
                               f"{', keepdims=True' if node.attrs['keepdims'] else ''})")


def _sum_to(a, node, c):
    """sum over the broadcast axes: leading ones dropped, size-1 ones kept."""
    shape = node.attrs["shape"]
    src = node.inputs[0].shape
    lead = len(src) - len(shape)
    ones = tuple(i + lead for i, d in enumerate(shape) if d == 1 and src[i + lead] != 1)
    if not ones:
        return f"{c.mod}.sum({a[0].arg}{axis_text(tuple(range(lead)))})" if lead else a[0].arg
    total = f"{c.mod}.sum({a[0].arg}{axis_text(tuple(range(lead)) + ones)}, keepdims=True)"
    return f"{total}.reshape({shape_text(shape)})" if lead else total


def _reshape(a, node, c):
    shape = node.attrs["shape"]
    return f"{a[0].obj}.reshape({', '.join(map(str, shape)) if shape else '()'})"


def _transpose(a, node, c):
    axes = node.attrs["axes"]
    if axes == tuple(range(len(axes))):
        return a[0].arg  # nothing moves: the value itself
    if len(axes) == 2:
        return f"{a[0].obj}.T"
    return f"{c.mod}.transpose({a[0].arg}, {axes!r})"


def _concatenate(a, node, c):
    items = ", ".join(x.arg for x in a) + ("," if len(a) == 1 else "")
    return f"{c.mod}.concatenate(({items}), axis={node.attrs['axis']})"


SHARED = Backend("shared", "np", ("import numpy as np",), MappingProxyType({
    # elementwise
    "negative": "-{0}", "exp": "{np}.exp({0})", "log": "{np}.log({0})", "sqrt": "{np}.sqrt({0})",
    "square": "{np}.square({0})", "abs": "{np}.abs({0})", "tanh": "{np}.tanh({0})",
    "sign": "{np}.sign({0})", "relu": "{np}.maximum({0}, {zero})",
    "power": lambda a, node, c: f"{a[0].op} ** {c.lit(node.attrs['exponent']).op}",
    "add": "{0} + {1}", "subtract": "{0} - {1}", "multiply": "{0} * {1}", "divide": "{0} / {1}",
    "maximum": "{np}.maximum({0}, {1})", "minimum": "{np}.minimum({0}, {1})",
    "less": "{0} < {1}", "less_equal": "{0} <= {1}", "greater": "{0} > {1}",
    "greater_equal": "{0} >= {1}", "equal": "{0} == {1}",
    "where": "{np}.where({0}, {1}, {2})", "cast": "{0}.astype({dtype})",
    # reductions
    "sum": _reduce("sum"), "mean": _reduce("mean"), "max": _reduce("max"), "sum_to": _sum_to,
    # shapes
    "reshape": _reshape, "transpose": _transpose, "concatenate": _concatenate,
    "broadcast_to": lambda a, node, c: f"{c.mod}.broadcast_to({a[0].arg}, {shape_text(node.shape)})",
    "slice": lambda a, node, c: f"{a[0].obj}[{index_text(node.attrs['index'], node.inputs[0].shape)}]",
    # linear algebra and explicit Jacobians
    "matmul": "{0} @ {1}", "kron": "{np}.kron({0}, {1})", "diag": "{np}.diag({0})",
    "eye": lambda a, node, c: f"{c.mod}.eye({node.attrs['n']}, dtype={c.dtype()})",
    # sources: the value of a constant that lives at module level
    "constant": lambda a, node, c: c.array(node.attrs["value"]),
}))
