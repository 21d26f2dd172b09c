"""What a code-generation target is (`Backend`), how a template becomes source, and the table of
spellings shared by the numpy-like targets.

A template is a string with explicit markers — `{0}` an operand as a function argument,
`{0:op}` as an operand of a Python operator (parenthesized when compound), `{0:obj}` as the
receiver of `.T`, `.reshape` or indexing; `{np}` the array module, `{dtype}` the node's dtype,
`{zero}` a zero of it — or a function `(operands, node, ctx) -> str` for ops whose spelling
depends on attributes (return an `Operator` for a Python-operator expression). An op whose numpy
reference is a ufunc that jax.numpy also has needs no entry: its name is its spelling.
Adding a target is one new table: `SHARED.derive(...)` with its overrides.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import functools
import inspect
import itertools
import math
import re
from types import MappingProxyType

import numpy as np

from ..graph import OPS
from ..graph.shapes import sum_to_axes
from .literals import INLINE_ARRAY_LIMIT, ScalarLiteral, array_literal, dtype_text, shape_text, \
    table_literal

_MARKER = re.compile(r"\{(\w+)(?::(op|obj))?\}")
# Python's operator precedence (higher binds tighter), for the operators templates use
ATOM, POWER, UNARY, MUL, ADD, COMPARE = 100, 14, 13, 12, 11, 6
_OPERATORS = {"**": POWER, "*": MUL, "/": MUL, "@": MUL, "+": ADD, "-": ADD,
              "<": COMPARE, "<=": COMPARE, ">": COMPARE, ">=": COMPARE, "==": COMPARE}


class Operator(str):
    """The text of a template function's result that is a Python-operator expression (`a ** 2`),
    with the precedence of its operator, so that it is parenthesized where it must be."""

    def __new__(cls, text, prec=POWER):
        self = super().__new__(cls, text)
        self.prec = prec
        return self


class Expr:
    """An operand's source text and its precedence; `arg`, `op` and `obj` are the forms a
    template may ask for (`op` and `obj` parenthesize what is not atomic)."""

    __slots__ = ("arg", "prec")

    def __init__(self, text: str, prec: int = ATOM):
        self.arg, self.prec = text, prec

    @property
    def op(self) -> str:
        return self.arg if self.prec == ATOM else f"({self.arg})"

    obj = op

    def operand(self, prec: int, right: bool) -> str:
        """The text as an operand of an operator of precedence `prec` (left or right of it)."""
        tight = self.prec > prec or (self.prec == prec and not right and prec not in (POWER, COMPARE))
        return self.arg if tight else f"({self.arg})"


@dataclass(frozen=True)
class Backend:
    """One target: the array module's alias, its imports, op -> template, helper functions.

    `helpers` maps a private helper's name to (source, extra imports); the emitter adds a helper
    (and its imports) to a module only when some statement calls it. `in_place`, for a target
    whose arrays are mutable, is `(operands, node, ctx, out) -> str or None`: the spelling of an
    elementwise node that writes its result into the buffer of variable `out` (an operand that
    dies there), or None where the op has none (the emitter decides when it is safe).
    """

    name: str
    mod: str
    imports: tuple
    spellings: MappingProxyType  # op -> template, for the ops whose ufunc name does not fit
    helpers: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    in_place: object = None

    def derive(self, name, *, mod=None, imports=None, overrides=(), helpers=(), in_place=None) -> "Backend":
        """A new backend: this table with `overrides` (op -> template) and extra helpers."""
        return Backend(name, mod or self.mod, tuple(imports or self.imports),
                       MappingProxyType({**self.spellings, **dict(overrides)}),
                       MappingProxyType({**self.helpers, **dict(helpers)}), in_place or self.in_place)

    def template(self, op: str):
        """The template of `op`: its own spelling, else its numpy ufunc's name, else None."""
        found = self.spellings.get(op)
        return found if found is not None else ufunc_spelling(op)

    @property
    def templates(self) -> dict:
        """Every op of the op table that this backend can spell -> its template."""
        return {op: t for op in OPS if (t := self.template(op)) is not None}


def missing_spellings(backend: Backend) -> list:
    """The ops of the op table that `backend` cannot spell (the tests require none)."""
    return [op for op in OPS if backend.template(op) is None]


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
    """A string template split into text and (key, form) pairs, and the precedence of the
    expression it makes: that of its operator, when its operands are marked `:op`."""
    parts, at = [], 0
    for m in _MARKER.finditer(template):
        parts += [template[at:m.start()], (m.group(1), m.group(2) or "arg")]
        at = m.end()
    parts.append(template[at:])
    prec = ATOM
    if any(isinstance(p, tuple) and p[1] == "op" for p in parts):
        symbols = [t.strip() for t in parts if isinstance(t, str) and t.strip()]
        prec = UNARY if template.startswith("-") else _OPERATORS[symbols[0]]
    return tuple(parts), prec


def render(template, operands, node, backend: Backend) -> Expr:
    """The source expression of `node` from its template and its operands' Exprs."""
    if all(isinstance(v, ScalarLiteral) for v in operands) and operands:
        operands = [v.typed() for v in operands]  # literals alone: keep numpy's scalar types
    if callable(template):
        text = template(operands, node, Ctx(backend, node))
        return Expr(str(text), text.prec if isinstance(text, Operator) else ATOM)
    parts, prec = _parts(template)
    out, position = [], 0
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        key, form = part
        if key in ("np", "dtype"):
            out.append(backend.mod if key == "np" else dtype_text(node.dtype, backend.mod))
            continue
        value = operands[int(key)] if key.isdigit() else ScalarLiteral(0.0, node.dtype, backend.mod)
        if form == "op":
            out.append(value.operand(prec, right=position > 0 or prec == UNARY))
            position += 1
        else:
            out.append(getattr(value, form))
    return Expr("".join(out), prec)


def kernel(fn) -> tuple:
    """A graph/kernels.py function as a helper of generated numpy code: (source, imports), the
    function and the kernels it calls renamed with a leading underscore, so that they cannot
    clash with the user's names (the emitter adds the helpers a helper calls)."""
    from ..graph import kernels

    source = inspect.getsource(fn)
    names = [n for n, f in vars(kernels).items() if inspect.isfunction(f) and f.__module__ == kernels.__name__]
    return re.sub(rf"(?<![\w.])({'|'.join(names)})\(", r"_\1(", source), ()


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


def _axis_kw(axis) -> str:
    return "" if axis is None else f", axis={axis}"


def _pairs(flat) -> str:
    """(lo, hi, lo, hi) as ((lo, hi), (lo, hi))."""
    pairs = [f"({flat[i]}, {flat[i + 1]})" for i in range(0, len(flat), 2)]
    return f"({pairs[0]},)" if len(pairs) == 1 else f"({', '.join(pairs)})"


def window_args(node, *names) -> str:
    """`stride=(2, 2), padding=(1, 1, 1, 1), ...`: the named attributes as keyword arguments."""
    return ", ".join(f"{n}={shape_text(node.attrs[n]) if n != 'groups' else node.attrs[n]}" for n in names)


def _helper_call(name, *names, shape=False):
    """A template calling helper `name` on the operands and the node's window attributes."""
    def template(a, node, c):
        args = [x.arg for x in a] + ([f"shape={shape_text(node.shape)}"] if shape else [])
        return f"{name}({', '.join(args + [window_args(node, *names)])})"
    return template


CONV = ("stride", "padding", "dilation", "groups")
WINDOW = ("kernel", "stride", "padding", "dilation")
POOL = ("kernel", "stride", "padding")


def _pad(a, node, c):
    pw, value = node.attrs["pad_width"], node.attrs["value"]
    return (f"{c.mod}.pad({a[0].arg}, {_pairs(pw)}, constant_values={c.lit(value).arg})")


def _einsum(a, node, c, options):
    args = ", ".join(x.arg for x in a)
    return f"{c.mod}.einsum({node.attrs['subscripts']!r}, {args}{options})"


def _reduce(fn):
    return lambda a, node, c: (f"{c.mod}.{fn}({a[0].arg}{axis_text(node.attrs['axis'])}"
                               f"{', keepdims=True' if node.attrs['keepdims'] else ''})")


SMALL_SUM_TAPS = 16        # a sum over at most this many elements per result ...
SMALL_SUM_SIZE = 1 << 15   # ... of an operand of at least this many is written as slice adds


def sum_spelling(leading: bool):
    """`sum` as a reduction call, or, over a few elements of a large variable, as the sum of its
    slices (`x[:, :1] + x[:, 1:]`): numpy's and XLA's CPU reductions over short axes are 5-10x
    slower than a few strided adds (the 2x2 tiles of a max pool's gradient), except numpy's over a
    leading block of axes, unrolled only when `leading`. Only a variable: an inlined expression
    would be computed once per slice."""
    reduce = _reduce("sum")

    def template(a, node, c):
        shape = node.inputs[0].shape
        axes = node.attrs["axis"]
        axes = tuple(range(len(shape))) if axes is None else axes
        taps = math.prod(shape[i] for i in axes)
        if not (1 < taps <= SMALL_SUM_TAPS and math.prod(shape) >= SMALL_SUM_SIZE
                and a[0].arg.isidentifier() and (leading or axes != tuple(range(len(axes))))):
            return reduce(a, node, c)
        terms = []
        for tap in itertools.product(*(range(shape[i]) for i in axes)):
            index = [(0, d, 1) for d in shape]
            for i, t in zip(axes, tap):
                index[i] = (t, t + 1, 1) if node.attrs["keepdims"] else t
            terms.append(f"{a[0].obj}[{index_text(index, shape)}]")
        return Operator(" + ".join(terms), ADD)
    return template


def _sum_to(a, node, c):
    """sum over the broadcast axes: leading ones dropped, size-1 ones kept."""
    shape = node.attrs["shape"]
    lead, ones = sum_to_axes(node.inputs[0].shape, shape)
    if not ones:
        return f"{c.mod}.sum({a[0].arg}{axis_text(lead)})" if lead else a[0].arg
    total = f"{c.mod}.sum({a[0].arg}{axis_text(lead + ones)}, keepdims=True)"
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


def ufunc_spelling(op: str):
    """`{np}.<ufunc>(...)` for an op whose numpy reference is a ufunc, else None."""
    opdef = OPS.get(op)
    if opdef is None or not isinstance(opdef.impl, np.ufunc) or opdef.arity not in (1, 2):
        return None
    return f"{{np}}.{opdef.impl.__name__}({', '.join(f'{{{i}}}' for i in range(opdef.arity))})"


SHARED = Backend("shared", "np", ("import numpy as np",), MappingProxyType({
    # elementwise: operators read better than the ufunc names
    "negative": "-{0:op}", "abs": "{np}.abs({0})", "relu": "{np}.maximum({0}, {zero})",
    "power": lambda a, node, c: Operator(f"{a[0].operand(POWER, False)} ** "
                                         f"{c.lit(node.attrs['exponent']).operand(POWER, True)}"),
    "add": "{0:op} + {1:op}", "subtract": "{0:op} - {1:op}", "multiply": "{0:op} * {1:op}",
    "divide": "{0:op} / {1:op}",
    "less": "{0:op} < {1:op}", "less_equal": "{0:op} <= {1:op}", "greater": "{0:op} > {1:op}",
    "greater_equal": "{0:op} >= {1:op}", "equal": "{0:op} == {1:op}",
    "where": "{np}.where({0}, {1}, {2})", "cast": "{0:obj}.astype({dtype})",
    # reductions
    "sum": sum_spelling(leading=False), "mean": _reduce("mean"), "max": _reduce("max"), "sum_to": _sum_to,
    # shapes
    "reshape": _reshape, "transpose": _transpose, "concatenate": _concatenate,
    "broadcast_to": lambda a, node, c: f"{c.mod}.broadcast_to({a[0].arg}, {shape_text(node.shape)})",
    "slice": lambda a, node, c: f"{a[0].obj}[{index_text(node.attrs['index'], node.inputs[0].shape)}]",
    # gathers
    "take": lambda a, node, c: f"{c.mod}.take({a[0].arg}, {a[1].arg}{_axis_kw(node.attrs['axis'])})",
    "take_along_axis": lambda a, node, c: f"{c.mod}.take_along_axis({a[0].arg}, {a[1].arg}, "
                                         f"axis={node.attrs['axis']})",
    "einsum": lambda a, node, c: _einsum(a, node, c, ""),
    # convolution, patches, pooling: helpers of each backend, called with the window attributes
    "conv": _helper_call("_conv", *CONV),
    "conv_input_grad": _helper_call("_conv_input_grad", *CONV, shape=True),
    "conv_filter_grad": _helper_call("_conv_filter_grad", *CONV, shape=True),
    "im2col": _helper_call("_windows", *WINDOW),
    "col2im": _helper_call("_unwindows", "stride", "padding", "dilation", shape=True),
    "max_pool": _helper_call("_max_pool", *POOL),
    "avg_pool": _helper_call("_avg_pool", *POOL),
    "pad": _pad,
    # linear algebra and explicit Jacobians
    "matmul": "{0:op} @ {1:op}", "kron": "{np}.kron({0}, {1})", "diag": "{np}.diag({0})",
    "eye": lambda a, node, c: f"{c.mod}.eye({node.attrs['n']}, dtype={c.dtype()})",
    # sources: the value of a constant that lives at module level
    "constant": lambda a, node, c: c.array(node.attrs["value"]),
}))
