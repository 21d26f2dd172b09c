"""Elementwise partial derivatives: the one table both gradient styles read.

For an elementwise op y = f(x1, x2, ...), `PARTIALS[op](em, node, wants)` returns one entry per
operand: `ONE` or `MINUS_ONE` when the partial is the constant +1 or -1 (the cotangent passes
through, or is negated), a graph value d (of the operand's, the output's or a broadcastable shape)
holding the partial derivative dy/dxi elementwise, or None where the operand is not wanted. The
VJP style multiplies `multiply(G, d)`; the Jacobian style builds `diag(vec(d))` — so after the
Jacobian rewrite both styles hold the same `multiply(G, d)` node.

At kinks and ties the values are jax's (checked by tests/passes/test_autodiff_kinks.py):
relu'(0) = 0; abs'(x) = +1 for x >= 0 (so abs'(0) = 1, as `jax.grad(jnp.abs)(0.)`);
maximum/minimum split a tie evenly (0.5 to each operand); power uses p * x**(p-1) everywhere.
"""
from __future__ import annotations

ONE = "+1"        # the partial is the constant +1: the contribution is G itself
MINUS_ONE = "-1"  # the partial is the constant -1: the contribution is negative(G)


def _each(wants, *makers):
    """Evaluate the maker of each wanted operand (makers are thunks or markers)."""
    return tuple((m() if callable(m) else m) if w else None for w, m in zip(wants, makers))


def _negative(em, node, wants):
    return _each(wants, MINUS_ONE)


def _exp(em, node, wants):  # d exp(x) = exp(x) = y
    return _each(wants, node)


def _log(em, node, wants):  # d log(x) = 1 / x
    (x,) = node.inputs
    return _each(wants, lambda: em.add("divide", (em.const(1, x.dtype), x)))


def _sqrt(em, node, wants):  # d sqrt(x) = 0.5 / sqrt(x) = 0.5 / y
    return _each(wants, lambda: em.add("divide", (em.const(0.5, node.dtype), node)))


def _square(em, node, wants):  # d x^2 = 2 x
    (x,) = node.inputs
    return _each(wants, lambda: em.add("multiply", (em.const(2, x.dtype), x)))


def _abs(em, node, wants):  # d |x| = +1 where x >= 0 (jax: abs'(0) = 1), else -1
    (x,) = node.inputs

    def d():
        nonneg = em.add("greater_equal", (x, em.const(0, x.dtype)))
        return em.add("where", (nonneg, em.const(1, x.dtype), em.const(-1, x.dtype)))
    return _each(wants, d)


def _tanh(em, node, wants):  # d tanh(x) = 1 - tanh(x)^2 = 1 - y^2
    return _each(wants, lambda: em.add("subtract", (em.const(1, node.dtype), em.add("square", (node,)))))


def _sigmoid(em, node, wants):  # d s(x) = s(x) (1 - s(x)) = y (1 - y)
    def d():
        return em.add("multiply", (node, em.add("subtract", (em.const(1, node.dtype), node))))
    return _each(wants, d)


def _relu(em, node, wants):  # d relu(x) = [x > 0] (relu'(0) = 0, as jax.nn.relu)
    (x,) = node.inputs
    return _each(wants, lambda: em.add("cast", (em.add("greater", (x, em.const(0, x.dtype))),),
                                       {"dtype": x.dtype}))


def _power(em, node, wants):  # d x^p = p x^(p-1)
    (x,) = node.inputs
    p = node.attrs["exponent"]

    def d():
        base = x if p - 1 == 1 else em.add("power", (x,), {"exponent": p - 1})
        return em.add("multiply", (em.const(p, x.dtype), base))
    return _each(wants, d)


def _add(em, node, wants):
    return _each(wants, ONE, ONE)


def _subtract(em, node, wants):
    return _each(wants, ONE, MINUS_ONE)


def _multiply(em, node, wants):  # d(ab)/da = b, d(ab)/db = a
    a, b = node.inputs
    return _each(wants, b, a)


def _divide(em, node, wants):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(y/b)
    a, b = node.inputs
    return _each(wants, lambda: em.add("divide", (em.const(1, b.dtype), b)),
                 lambda: em.add("negative", (em.add("divide", (node, b)),)))


def _select_halves(em, node, wants, first_sign):
    """maximum/minimum: (1 ± sign(a - b)) / 2 gives 1 to the chosen operand, 0.5 each on a tie."""
    a, b = node.inputs
    if not any(wants):
        return (None, None)
    s = em.add("sign", (em.add("subtract", (a, b)),))
    half, one = em.const(0.5, node.dtype), em.const(1, node.dtype)
    ops = ("add", "subtract") if first_sign > 0 else ("subtract", "add")
    return _each(wants, *(lambda op=op: em.add("multiply", (half, em.add(op, (one, s)))) for op in ops))


def _maximum(em, node, wants):  # d max(a,b)/da = [a > b] + [a == b]/2 = (1 + sign(a-b)) / 2
    return _select_halves(em, node, wants, +1)


def _minimum(em, node, wants):  # d min(a,b)/da = [a < b] + [a == b]/2 = (1 - sign(a-b)) / 2
    return _select_halves(em, node, wants, -1)


PARTIALS = {
    "negative": _negative, "exp": _exp, "log": _log, "sqrt": _sqrt, "square": _square,
    "abs": _abs, "tanh": _tanh, "sigmoid": _sigmoid, "relu": _relu, "power": _power,
    "add": _add, "subtract": _subtract, "multiply": _multiply, "divide": _divide,
    "maximum": _maximum, "minimum": _minimum,
}
