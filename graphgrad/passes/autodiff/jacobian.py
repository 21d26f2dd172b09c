"""The explicit Jacobian-transpose products of `style="jacobian"` (the seeds' view, written out).

Every product has one fixed form, which `passes.rewrite_jacobians` pattern-matches:

    dx = (Jᵀ @ vec(G)).reshape(x.shape)          vec(G) = G.reshape(-1), one node per cotangent
    dy = (J @ vec(T)).reshape(y.shape)           forward mode: the Jacobian applied to a tangent

with J, in row-major (numpy) order,

    Y = A @ B, A (m,n), B (n,k):  d vec(Y)/d vec(B) = kron(A, eye(k))      -> dB = Aᵀ G
                                  d vec(Y)/d vec(A) = kron(eye(m), Bᵀ)     -> dA = G Bᵀ
    y = f(x) elementwise:         d vec(y)/d vec(x) = diag(vec(f'(x)))     -> dx = f'(x) ⊙ G

The Bᵀ inside kron is the very `b.T` node of the VJP rule (the backward scope shares equal
nodes), so after the rewrite and CSE both styles coincide.
"""
from __future__ import annotations

from ...graph.tensor import apply


def transposed_product(jac, g, shape):
    """Jᵀ · vec(G), reshaped to `shape`: the transposed Jacobian applied to the cotangent."""
    return (jac.T @ g.reshape(-1)).reshape(shape)


def product(jac, t, shape):
    """J · vec(T), reshaped to `shape`: the Jacobian applied to a tangent."""
    return (jac @ t.reshape(-1)).reshape(shape)


def _full(t, shape):
    return t if t.shape == shape else apply("broadcast_to", t, shape=shape)


def _diag(d, y):
    """diag(vec(d)): an elementwise op's Jacobian, its partial d broadcast to y's shape first."""
    return apply("diag", _full(d, y.shape).reshape(-1))


def elementwise_product(y, g, d):
    """diag(vec(d))ᵀ vec(G) for an elementwise y."""
    return transposed_product(_diag(d, y), g, y.shape)


def elementwise_tangent(y, t, d):
    """diag(vec(d)) · vec(T) for an elementwise y, the tangent T broadcast to y's shape first."""
    return product(_diag(d, y), _full(t, y.shape), y.shape)


def matmul_jacobian(y, a, b, operand: int):
    """d vec(A @ B) / d vec(A) = I_m ⊗ Bᵀ (operand 0) or d vec(A @ B) / d vec(B) = A ⊗ I_k
    (operand 1), for matrices A (m, n) and B (n, k)."""
    if operand == 0:
        return apply("kron", apply("eye", graph=y.graph, n=a.shape[0], dtype=a.dtype), b.T)
    return apply("kron", a, apply("eye", graph=y.graph, n=b.shape[1], dtype=b.dtype))


def matmul_products(g, y, a, b, wants):
    """(dA, dB) for Y = A @ B with two matrices, through the Kronecker Jacobians."""
    return tuple(transposed_product(matmul_jacobian(y, a, b, i), g, x.shape) if wanted else None
                 for i, (x, wanted) in enumerate(zip((a, b), wants)))
