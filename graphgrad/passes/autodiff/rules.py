"""The derivative rule table: one entry per op of the op table, both directions side by side,
written in graphgrad's own ops.

A `Rule` has `vjp(g, y, xs, wants, attrs, style)` -> one cotangent contribution per operand (None
where nothing flows or the operand is not wanted; the driver sums them to the operand's shape and
over fan-in), and `jvp(ts, y, xs, attrs, style)` -> the output's tangent from the operands'
tangents `ts` (None for an operand without one). Entries are built by three constructors:

- `partials(f1, f2, ...)`: an elementwise y = f(x1, ...), one ∂y/∂xi per operand, given
  `(x1, ..., y, **attrs)` (or the number 1 or -1). Reverse: `g * d`; forward: `d * t`, summed.
  The Jacobian style writes the products with `diag(vec(d))` instead (jacobian.py).
- `linear(f1, f2, ...)`: an op linear in its operands: forward mode applies the op itself to the
  tangents; each fi is the transpose for one operand, given `(g, y, x1, ..., **attrs)`.
- `Rule(vjp(f1, ...), jvp_function)`: any other op, both directions written out.

Values at kinks and ties are jax's: relu'(0) = 0, abs'(0) = 1, maximum/minimum split a tie
evenly, a `max` reduction shares its gradient among tied maxima. Matmul of two matrices uses
Kronecker Jacobians in the Jacobian style; `NO_GRADIENT` marks ops through which nothing flows.
kron and diag, the explicit Jacobians, have rules too, so tangents flow through a Jacobian-style
gradient (hvp) and a Jacobian that is not a product can be differentiated.
"""
from __future__ import annotations

import numpy as np

from ... import graph as gg
from ...graph.ops_contract import letter_sizes, parse_subscripts
from ...graph.ops_linalg import matmul_shape
from ...graph.tensor import apply
from .constructors import (NO_GRADIENT, Rule, bilinear, broadcast, keep, linear, mT, partials, reshape,
                           sum_to, vjp, zeros)
from .jacobian import matmul_products, matmul_tangent
from .rules_conv import CONV_RULES

__all__ = ["NO_GRADIENT", "RULES", "Rule", "linear", "missing_rules", "partials", "sum_to", "vjp", "zeros"]


def _matmul_vjp(g, y, xs, wants, attrs, style):
    """Y = A @ B: dA = G Bᵀ, dB = Aᵀ G; 1-d operands promoted as np.matmul does, batch dims summed."""
    a, b = xs
    if style == "jacobian" and a.ndim == b.ndim == 2:
        return matmul_products(g, y, a, b, wants)
    a2 = reshape(a, (1,) + a.shape) if a.ndim == 1 else a
    b2 = reshape(b, b.shape + (1,)) if b.ndim == 1 else b
    g2 = reshape(g, matmul_shape(a2.shape, b2.shape))
    da = g2 @ mT(b2) if wants[0] else None
    db = mT(a2) @ g2 if wants[1] else None
    return (reshape(da, a.shape) if da is not None and a.ndim == 1 and da.ndim == 2 else da,
            reshape(db, db.shape[:-1]) if db is not None and b.ndim == 1 else db)


def _matmul_jvp(ts, y, xs, attrs, style):
    """d(A @ B) = dA @ B + A @ dB (bilinear); the explicit J · vec(dA) for two matrices."""
    a, b = xs
    if style != "jacobian" or a.ndim != 2 or b.ndim != 2:
        return bilinear("matmul")(ts, y, xs, attrs, style)
    return matmul_tangent(ts, y, a, b)


def _at_max(y, x, axis):
    """1 where x holds its maximum along `axis`, shared evenly among ties (jax's reduce_max)."""
    hit = gg.equal(x, keep(y, x, axis)).astype(x.dtype)
    return hit / gg.sum(hit, axis, keepdims=True)


def _concatenate(g, y, xs, wants, attrs, style):
    """Each operand's gradient is its slab of g along the axis."""
    axis, start, parts = attrs["axis"], 0, []
    for x, wanted in zip(xs, wants):
        stop = start + x.shape[axis]
        index = tuple((start, stop, 1) if i == axis else (0, d, 1) for i, d in enumerate(y.shape))
        parts.append(apply("slice", g, index=index) if wanted else None)
        start = stop
    return tuple(parts)


def _einsum_vjp(g, y, xs, wants, attrs, style):
    """The gradient of an operand is an einsum of the cotangent with the other operands, onto
    the operand's letters (a repeated letter through an identity, a summed-only one through ones)."""
    terms, out = parse_subscripts(attrs["subscripts"], len(xs))
    sizes = letter_sizes(terms, [x.spec for x in xs])
    fresh = iter(sorted(set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") - set("".join(terms))))
    results = []
    for i, (term, x, wanted) in enumerate(zip(terms, xs, wants)):
        if not wanted:
            results.append(None)
            continue
        others = [(t, v) for j, (t, v) in enumerate(zip(terms, xs)) if j != i]
        available = set(out).union(*(set(t) for t, _ in others))
        target, subs, operands = [], [out] + [t for t, _ in others], [g] + [v for _, v in others]
        for c in term:
            if c in target:  # the diagonal of a repeated letter: I[c, d] onto a fresh letter d
                d = next(fresh)
                target.append(d)
                subs.append(c + d)
                operands.append(gg.constant(np.eye(sizes[c], dtype=x.dtype), graph=x.graph))
            else:
                target.append(c)
                if c not in available:  # summed only here: broadcast by ones
                    subs.append(c)
                    operands.append(gg.constant(np.ones(sizes[c], dtype=x.dtype), graph=x.graph))
        results.append(gg.einsum(",".join(subs) + "->" + "".join(target), *operands))
    return tuple(results)


def _kron_vjp(g, y, a, b):
    """Y = A ⊗ B, Y[i·r + k, j·s + l] = A[i, j] B[k, l]: G seen as (p, r, q, s) is contracted with
    B over (r, s) for dA, and with A over (p, q) for dB."""
    (p, q), (r, s) = a.shape, b.shape
    g4 = g.reshape(p, r, q, s)
    return (gg.sum(g4 * b.reshape(1, r, 1, s), (1, 3)), gg.sum(g4 * a.reshape(p, 1, q, 1), (0, 2)))


def _diagonal(g):
    """The diagonal of a square matrix: every (n+1)-th element of vec(G) (diag's transpose)."""
    n = g.shape[0]
    return apply("slice", g.reshape(n * n), index=((0, n * n, n + 1),))


def _mean_count(x, y) -> int:
    return x.size // max(y.size, 1)


RULES = {
    # elementwise: ∂y/∂x given (x..., y)
    "negative": partials(-1),
    "exp": partials(lambda x, y: y),
    "log": partials(lambda x, y: 1 / x),
    "sqrt": partials(lambda x, y: 0.5 / y),
    "square": partials(lambda x, y: 2 * x),
    "abs": partials(lambda x, y: 2 * (x >= 0).astype(x.dtype) - 1),  # +1 where x >= 0, else -1
    "tanh": partials(lambda x, y: 1 - y ** 2),
    "sigmoid": partials(lambda x, y: y * (1 - y)),
    "relu": partials(lambda x, y: (x > 0).astype(x.dtype)),
    "sin": partials(lambda x, y: gg.cos(x)),
    "cos": partials(lambda x, y: -gg.sin(x)),
    "log1p": partials(lambda x, y: 1 / (1 + x)),
    "expm1": partials(lambda x, y: y + 1),
    "power": partials(lambda x, y, exponent: exponent * x ** (exponent - 1)),
    "add": partials(1, 1),
    "subtract": partials(1, -1),
    "multiply": partials(lambda a, b, y: b, lambda a, b, y: a),
    "divide": partials(lambda a, b, y: 1 / b, lambda a, b, y: -y / b),
    "maximum": partials(lambda a, b, y: 0.5 * (1 + gg.sign(a - b)), lambda a, b, y: 0.5 * (1 - gg.sign(a - b))),
    "minimum": partials(lambda a, b, y: 0.5 * (1 - gg.sign(a - b)), lambda a, b, y: 0.5 * (1 + gg.sign(a - b))),
    "where": linear(None, lambda g, y, c, a, b: gg.where(c, g, 0), lambda g, y, c, a, b: gg.where(c, 0, g)),
    # linear ops: forward mode applies the op to the tangents; reverse mode is its transpose
    "cast": linear(lambda g, y, x, dtype: None if x.dtype == "bool" else g.astype(x.dtype)),
    "sum": linear(lambda g, y, x, axis, keepdims: broadcast(keep(g, x, axis), x.shape)),
    "mean": linear(lambda g, y, x, axis, keepdims: broadcast(keep(g, x, axis) / _mean_count(x, y), x.shape)),
    "sum_to": linear(lambda g, y, x, shape: broadcast(g, x.shape)),
    "reshape": linear(lambda g, y, x, shape: reshape(g, x.shape)),
    "transpose": linear(lambda g, y, x, axes: g.transpose(tuple(int(i) for i in np.argsort(axes)))),
    "broadcast_to": linear(lambda g, y, x, shape: sum_to(g, x.shape)),
    "concatenate": Rule(_concatenate, linear().jvp),
    "slice": linear(lambda g, y, x, index: apply("unslice", g, index=index, shape=x.shape)),
    "unslice": linear(lambda g, y, x, index, shape: apply("slice", g, index=index)),
    # gathers and scatter-adds: linear in the values, the indices held fixed
    "take": linear(lambda g, y, a, i, axis: apply("scatter_add", g, i, axis=axis, shape=a.shape), None),
    "scatter_add": linear(lambda g, y, x, i, axis, shape: apply("take", g, i, axis=axis), None),
    "take_along_axis": linear(lambda g, y, a, i, axis: apply("scatter_along_axis", g, i, axis=axis,
                                                             shape=a.shape), None),
    "scatter_along_axis": linear(lambda g, y, x, i, axis, shape: apply("take_along_axis", g, i, axis=axis),
                                 None),
    # everything else, both directions written out
    "max": Rule(vjp(lambda g, y, x, axis, keepdims: _at_max(y, x, axis) * keep(g, x, axis)),
                lambda ts, y, xs, attrs, style: reshape(gg.sum(_at_max(y, xs[0], attrs["axis"]) * ts[0],
                                                               attrs["axis"]), y.shape),
                doc="G shared among the maxima"),
    "softmax": Rule(vjp(lambda g, y, x, axis: y * (g - gg.sum(g * y, axis, keepdims=True))),
                    lambda ts, y, xs, attrs, style: y * (ts[0] - gg.sum(ts[0] * y, attrs["axis"], keepdims=True)),
                    doc="y ⊙ (G − Σ G⊙y)"),
    "log_softmax": Rule(vjp(lambda g, y, x, axis: g - gg.exp(y) * gg.sum(g, axis, keepdims=True)),
                        lambda ts, y, xs, attrs, style: ts[0] - gg.sum(gg.exp(y) * ts[0], attrs["axis"],
                                                                        keepdims=True),
                        doc="G − exp(y)·Σ G"),
    "matmul": Rule(_matmul_vjp, _matmul_jvp, doc=("G·Bᵀ", "Aᵀ·G"),
                   jacobian=("(I ⊗ Bᵀ)ᵀ·vec(G)", "(A ⊗ I)ᵀ·vec(G)")),
    "einsum": Rule(_einsum_vjp, bilinear("einsum"), doc="einsum of G with the other operands"),  # multilinear: one tangent at a time
    "logsumexp": Rule(vjp(lambda g, y, x, axis, keepdims: keep(g, x, axis) * gg.exp(x - keep(y, x, axis))),
                      lambda ts, y, xs, attrs, style: gg.sum(ts[0] * gg.exp(xs[0] - keep(y, xs[0], attrs["axis"])),
                                                             attrs["axis"], keepdims=attrs["keepdims"]),
                      doc="G ⊙ softmax(x)"),
    # nothing flows
    **dict.fromkeys(("constant", "eye", "sign", "less", "less_equal", "greater", "greater_equal",
                     "equal"), NO_GRADIENT),
    # the explicit Jacobians themselves: kron is bilinear, diag linear (grad of grad, hvp)
    "kron": Rule(vjp(lambda g, y, a, b: _kron_vjp(g, y, a, b)[0], lambda g, y, a, b: _kron_vjp(g, y, a, b)[1]),
                 bilinear("kron")),
    "diag": linear(lambda g, y, v: _diagonal(g)),
    **CONV_RULES,
}


def missing_rules() -> list:
    """The ops of the op table without an entry here (the tests require none)."""
    return [op for op in gg.OPS if op not in RULES]
