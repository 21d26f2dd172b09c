"""The constructors and helpers the rule tables are written with (see rules.py): `Rule`,
`partials`, `linear`, `vjp`, and the small shape helpers rules share."""
from __future__ import annotations

import numpy as np

from ... import graph as gg
from ...graph.shapes import reduced_shape
from ...graph.tensor import apply
from .jacobian import elementwise_product, elementwise_tangent

NO_GRADIENT = None  # the rule of an op through which no gradient flows


class Rule:
    """Both derivatives of one op (see the module docstring for the two signatures), and `doc`:
    the formula of each operand's contribution in the compact style (a string for all operands,
    or one per operand), and `jacobian` the explicit product it comes from in the Jacobian style,
    for comments in generated code."""

    __slots__ = ("vjp", "jvp", "doc", "jacobian")

    def __init__(self, vjp, jvp, doc="", jacobian=None):
        self.vjp, self.jvp, self.doc, self.jacobian = vjp, jvp, doc, jacobian

    def describe(self, operand: int, style: str) -> str:
        """The formula of operand `operand`'s contribution, as generated code's comments say it."""
        pick = (lambda d: d[operand] if isinstance(d, tuple) else d)
        text = pick(self.doc)
        if style == "jacobian" and self.jacobian:
            text += f", from {pick(self.jacobian)}"
        return text


def partials(*fs) -> Rule:
    def derivative(f, x, xs, y, attrs):
        if isinstance(f, int):  # the partial is the constant 1 or -1
            return f
        d = f(*xs, y, **attrs)
        _name_partial(d, y, x)
        return d

    def reverse(g, y, xs, wants, attrs, style):
        def contribution(f, x):
            d = derivative(f, x, xs, y, attrs)
            if isinstance(d, int):
                return g if d == 1 else -g
            return elementwise_product(y, g, d) if style == "jacobian" else g * d
        return tuple(contribution(f, x) if w else None for f, x, w in zip(fs, xs, wants))

    def forward(ts, y, xs, attrs, style):
        total = None
        for f, x, t in zip(fs, xs, ts):
            if t is None:
                continue
            d = derivative(f, x, xs, y, attrs)
            if isinstance(d, int):
                part = broadcast(t if d == 1 else -t, y.shape)
            else:
                part = elementwise_tangent(y, t, d) if style == "jacobian" else broadcast(d * t, y.shape)
            total = part if total is None else total + part
        return total
    return Rule(reverse, forward, doc="G ⊙ ∂y/∂x", jacobian="diag(vec(∂y/∂x))ᵀ·vec(G)")


def _name_partial(d, y, x) -> None:
    """∂y/∂x of named values reads as `dy_dx` in generated code."""
    d, y, x = d.value, y.value, x.value
    if d.role == "backward" and d.name is None and y.name and x.name:
        d.name = f"d{y.name}_d{x.name}"


def vjp(*fs):
    def reverse(g, y, xs, wants, attrs, style):
        return tuple(f(g, y, *xs, **attrs) if w and f is not None else None for f, w in zip(fs, wants))
    return reverse


def linear(*fs) -> Rule:
    """An op linear in every operand whose f is given (an operand with f None — a condition, an
    index array — is held fixed: forward mode passes it through as it is)."""
    def forward(ts, y, xs, attrs, style):
        filled = [x if fs and fs[i] is None else (t if t is not None else zeros(x))
                  for i, (x, t) in enumerate(zip(xs, ts))]
        return apply(y.value.op, *filled, **attrs)
    return Rule(vjp(*fs), forward, doc="the op's transpose applied to G")


def zeros(x):
    return broadcast(gg.constant(np.zeros((), x.dtype), graph=x.graph), x.shape)


def reshape(t, shape):
    """t reshaped to `shape`, or t itself when it has that shape already."""
    return t if t.shape == tuple(shape) else t.reshape(shape)


def broadcast(t, shape):
    return t if t.shape == tuple(shape) else gg.broadcast_to(t, shape)


def sum_to(t, shape):
    """Undo a broadcast: sum `t` down to `shape` (the driver's fan-in rule, and broadcast_to's)."""
    return t if t.shape == tuple(shape) else apply("sum_to", t, shape=tuple(shape))


def keep(t, x, axis):
    """t (a reduction's output or its cotangent) with the reduced axes kept, so it broadcasts on x."""
    return reshape(t, reduced_shape(x.shape, axis, True))


def mT(t):
    """t with its last two axes swapped (a matrix transpose, batched)."""
    return t.transpose(tuple(range(t.ndim - 2)) + (t.ndim - 1, t.ndim - 2))


def bilinear(op):
    """The tangent of an op linear in each operand separately (a product): the sum, over the
    operands that have a tangent, of the op with that tangent in its place."""
    def forward(ts, y, xs, attrs, style):
        parts = [apply(op, *xs[:i], t, *xs[i + 1:], **attrs) for i, t in enumerate(ts) if t is not None]
        return sum(parts[1:], parts[0])
    return forward
