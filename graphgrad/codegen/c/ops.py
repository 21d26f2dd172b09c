"""The C backend's op table: how each op of `graphgrad.graph.OPS` is written in C.

One entry per op, of one of these kinds:
- `Map(spell)`: elementwise; `spell(c, *args)` returns the C expression (a `Term`) of one element
  from its operands' terms. Chains of these fuse into one loop nest.
- `View(fn)`: no code; `fn(access, node)` is the operand's access seen through the op (strides),
  or None when the data must be copied first (a reshape of a non-contiguous view).
- `Reduce(kind)`: a sum, mean or max over axes; the chain that feeds it fuses into its loop.
- `Lower(fn)`: its own loop nests or BLAS calls, written by `fn(lowering, node)` (kernels.py;
  gathers, scatters, pad, logsumexp, einsum in kernels_index.py; convolutions in kernels_conv.py).
- `Source()`: constants (inline literals or static const tables).
An op missing from `C_OPS` makes the emitter raise one GraphError naming it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import access as views
from . import kernels, kernels_conv, kernels_index


@dataclass(frozen=True)
class Map:
    spell: Callable
    helper: str = ""  # the static helper its spelling calls, if any (rows.py hoists polynomials)


@dataclass(frozen=True)
class View:
    view: Callable


@dataclass(frozen=True)
class Reduce:
    kind: str


@dataclass(frozen=True)
class Lower:
    lower: Callable


@dataclass(frozen=True)
class Source:
    pass


def _call(fn):
    return Map(lambda c, a: c.call(fn, a))


def _helper(fn):
    return Map(lambda c, a, *rest: c.helper(fn, a, *rest), fn)


def _binary(symbol):
    return Map(lambda c, a, b: c.binary(symbol, a, b))


def _power(c, a):
    e = c.node.attrs["exponent"]
    if e == 1.0:
        return a
    if e == 2.0:  # numpy's x ** 2 is x * x
        a = c.once(a)
        return c.binary("*", a, a)
    if e == 0.5:
        return c.call("sqrt", a)
    if e == -1.0:
        return c.binary("/", c.lit(1.0), a)
    if e in (3.0, 4.0):  # within 2 ulp of pow, and a tenth of its cost
        a = c.once(a)
        if e == 3.0:
            return c.binary("*", c.binary("*", a, a), a)
        square = c.once(c.binary("*", a, a))
        return c.binary("*", square, square)
    return c.call("pow", a, c.lit(e))


def _square(c, a):
    a = c.once(a)
    return c.binary("*", a, a)


def _cast(c, a):
    src, dst = c.arg_dtypes[0], c.node.attrs["dtype"]
    if src == dst:
        return a
    if dst == "bool":  # numpy: nonzero (NaN included) is True
        return c.binary("!=", a, c.lit(0.0, src))
    return c.cast(a, dst)


C_OPS = {
    # elementwise
    "negative": Map(lambda c, a: c.unary("-", a)),
    "exp": _helper("gg_exp"), "log": _helper("gg_log"), "sin": _call("sin"), "cos": _call("cos"),
    "log1p": _call("log1p"), "expm1": _call("expm1"), "sqrt": _call("sqrt"), "abs": _call("fabs"),
    "square": Map(_square), "tanh": _helper("gg_tanh"), "sigmoid": _helper("gg_sigmoid"),
    "relu": Map(lambda c, a: c.helper("gg_max", a, c.lit(0.0))), "sign": _helper("gg_sign"),
    "power": Map(_power),
    "add": _binary("+"), "subtract": _binary("-"), "multiply": _binary("*"), "divide": _binary("/"),
    "maximum": _helper("gg_max"), "minimum": _helper("gg_min"),
    "less": _binary("<"), "less_equal": _binary("<="), "greater": _binary(">"),
    "greater_equal": _binary(">="), "equal": _binary("=="),
    "where": Map(lambda c, cond, a, b: c.select(cond, a, b)), "cast": Map(_cast),
    # sources
    "constant": Source(),
    "eye": Lower(kernels.lower_eye),
    # reductions
    "sum": Reduce("sum"), "mean": Reduce("mean"), "max": Reduce("max"), "sum_to": Reduce("sum"),
    "softmax": Lower(kernels.lower_softmax), "log_softmax": Lower(kernels.lower_softmax),
    "logsumexp": Lower(kernels_index.lower_logsumexp),
    # shapes: views where strides can say it, copies otherwise
    "reshape": View(lambda a, node: views.reshape(a, node.attrs["shape"])),
    "transpose": View(lambda a, node: views.transpose(a, node.attrs["axes"])),
    "broadcast_to": View(lambda a, node: views.broadcast(a, node.attrs["shape"])),
    "slice": View(lambda a, node: views.slice_view(a, node.attrs["index"])),
    "concatenate": Lower(kernels.lower_concatenate),
    "unslice": Lower(kernels.lower_unslice),
    "pad": Lower(kernels_index.lower_pad),
    # gathers and their transposes (indices wrapped once, then clamped: kernels_index.py)
    "take": Lower(kernels_index.lower_take),
    "take_along_axis": Lower(kernels_index.lower_take_along_axis),
    "scatter_add": Lower(kernels_index.lower_scatter_add),
    "scatter_along_axis": Lower(kernels_index.lower_scatter_along_axis),
    # convolution, patches and pooling: direct loop nests (kernels_conv.py)
    "conv": Lower(kernels_conv.lower_conv),
    "conv_input_grad": Lower(kernels_conv.lower_conv_input_grad),
    "conv_filter_grad": Lower(kernels_conv.lower_conv_filter_grad),
    "im2col": Lower(kernels_conv.lower_im2col),
    "col2im": Lower(kernels_conv.lower_col2im),
    "max_pool": Lower(kernels_conv.lower_max_pool),
    "avg_pool": Lower(kernels_conv.lower_avg_pool),
    # linear algebra and explicit Jacobians
    "matmul": Lower(kernels.lower_matmul),
    "einsum": Lower(kernels_index.lower_einsum),
    "kron": Lower(kernels.lower_kron),
    "diag": Lower(kernels.lower_diag),
}

# Ops that cannot be written in C at all (none today); the emitter names them in its GraphError.
UNSPELLABLE = frozenset()


def lookup_c(node):
    """The C table entry of a node's op, or None."""
    return C_OPS.get(node.op)
