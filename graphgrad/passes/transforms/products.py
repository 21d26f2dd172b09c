"""Jacobian matrices as graph values, by kind, and their products and sums.

A `Jac` is an n_rows × n_cols Jacobian of one of the kinds elimination.py prices: the identity
(no node at all), a diagonal (its vector d: the matrix is diag(d)), or dense (a matrix node, which
may be an explicit Kronecker product). Products are written the way `rewrite_jacobians` expects
them, so `gg.optimize` turns diag(d) · M into a row scaling and (A ⊗ B) · M into batched matmuls;
a pair that has no compact form is materialized first. `materialize` gives a plain matrix (no
Jacobian op), as an output needs.
"""
from __future__ import annotations

import numpy as np

from ...graph import Tensor, functions as f
from ...graph.tensor import apply
from .elimination import DENSE, DIAGONAL, IDENTITY


class Jac:
    """A Jacobian: `kind`, `rows`, `cols`, `dtype`, `value` (None, a vector or a matrix Tensor) and
    the `graph` it lives in."""

    __slots__ = ("kind", "rows", "cols", "dtype", "value", "graph")

    def __init__(self, kind, rows, cols, dtype, value, graph):
        self.kind, self.rows, self.cols, self.dtype, self.value = kind, rows, cols, dtype, value
        self.graph = graph

    def __repr__(self):
        return f"<Jac {self.kind} {self.rows}x{self.cols} {self.dtype}>"


def identity(n, dtype, graph) -> Jac:
    return Jac(IDENTITY, n, n, dtype, None, graph)


def diagonal(d) -> Jac:
    return Jac(DIAGONAL, d.shape[0], d.shape[0], d.dtype, d, d.graph)


def dense(m) -> Jac:
    return Jac(DENSE, m.shape[0], m.shape[1], m.dtype, m, m.graph)


def _op(t):
    return t.value.op


def _cast(j: Jac, dtype) -> Jac:
    if j.dtype == dtype or j.kind == IDENTITY:
        return Jac(j.kind, j.rows, j.cols, dtype, j.value, j.graph)
    return Jac(j.kind, j.rows, j.cols, dtype, j.value.astype(dtype), j.graph)


def _ones(n, dtype, graph):
    return f.broadcast_to(f.constant(np.ones((), dtype), graph=graph), (n,))


def _vector(j: Jac):
    """The diagonal of an identity or diagonal Jacobian."""
    return _ones(j.rows, j.dtype, j.graph) if j.kind == IDENTITY else j.value


def _unslice_diagonal(d):
    """diag(d) as a plain matrix: d written at every (n+1)-th place of zeros(n·n)."""
    n = d.shape[0]
    return apply("unslice", d, index=((0, n * n, n + 1),), shape=(n * n,)).reshape(n, n)


def _plain(factor):
    """A Kronecker factor as a plain matrix (an eye factor materialized)."""
    if _op(factor) == "eye":
        return _unslice_diagonal(_ones(factor.shape[0], factor.dtype, factor.graph))
    return factor


def materialize(j: Jac):
    """The Jacobian as a matrix node with no Jacobian op in it (what an output holds)."""
    if j.kind != DENSE:
        return _unslice_diagonal(_vector(j))
    m = j.value
    if _op(m) != "kron":
        return m
    a, b = (_plain(Tensor(v, m.graph)) for v in m.value.inputs)
    (p, q), (r, s) = a.shape, b.shape
    return (a.reshape(p, 1, q, 1) * b.reshape(1, r, 1, s)).reshape(p * r, q * s)


def _matmul(a, b):
    """a @ b with identity factors dropped as they are made."""
    if _op(a) == "eye":
        return b
    if _op(b) == "eye":
        return a
    return a @ b


def product(left: Jac, right: Jac) -> Jac:
    """left · right, in left's dtype (right is cast first when the dtypes differ)."""
    right = _cast(right, left.dtype)
    if left.kind == IDENTITY:
        return right
    if right.kind == IDENTITY:
        return left
    if left.kind == DIAGONAL and right.kind == DIAGONAL:
        return diagonal(left.value * right.value)
    a, b = left.value if left.kind == DENSE else None, right.value if right.kind == DENSE else None
    if a is not None and b is not None and _op(a) == "kron" and _op(b) == "kron":
        (a1, a2), (b1, b2) = a.value.inputs, b.value.inputs
        if a1.shape[1] == b1.shape[0] and a2.shape[1] == b2.shape[0]:  # (A⊗B)(C⊗D) = AC ⊗ BD
            g = a.graph
            return dense(apply("kron", _matmul(Tensor(a1, g), Tensor(b1, g)),
                               _matmul(Tensor(a2, g), Tensor(b2, g))))
        b = materialize(right)
    if left.kind == DIAGONAL:
        b = materialize(right) if _op(b) == "kron" else b
        return dense(apply("diag", left.value) @ b)
    if right.kind == DIAGONAL:
        a = materialize(left) if _op(a) == "kron" else a
        return dense(a @ apply("diag", right.value))
    return dense(a @ b)


def add(a: Jac, b: Jac) -> Jac:
    """a + b (two Jacobians of one shape and dtype)."""
    if a.kind != DENSE and b.kind != DENSE:
        return diagonal(_vector(a) + _vector(b))
    return dense(materialize(a) + materialize(b))
