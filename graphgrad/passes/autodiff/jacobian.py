"""The explicit Jacobian-transpose products of `style="jacobian"` (the seeds' view, written out).

Every product has one fixed form, which `passes.rewrite_jacobians` pattern-matches:

    dx = (Jᵀ @ vec(G)).reshape(x.shape)          vec(G) = G.reshape(-1), one node per cotangent

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


def elementwise_product(y, g, d):
    """diag(vec(d))ᵀ vec(G) for an elementwise y; the partial d is broadcast to y's shape first."""
    d = d if d.shape == y.shape else apply("broadcast_to", d, shape=y.shape)
    return transposed_product(apply("diag", d.reshape(-1)), g, y.shape)


def matmul_products(g, y, a, b, wants):
    """(dA, dB) for Y = A @ B with two matrices, through the Kronecker Jacobians."""
    def eye(n, dtype):
        return apply("eye", graph=g.graph, n=n, dtype=dtype)
    da = transposed_product(apply("kron", eye(a.shape[0], a.dtype), b.T), g, a.shape) if wants[0] else None
    db = transposed_product(apply("kron", a, eye(b.shape[1], b.dtype)), g, b.shape) if wants[1] else None
    return da, db
