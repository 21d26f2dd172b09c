"""The explicit Jacobian-transpose products of `style="jacobian"` (the seeds' view, written out).

Every product has the same fixed form, which `passes.rewrite_jacobians` pattern-matches:

    vecG = reshape(G, (N,))                       # one per cotangent (Emitter.vec)
    dx   = reshape(matmul(transpose(J, axes=(1, 0)), vecG), x_shape)

with J, in row-major (numpy) order,

    Y = A @ B, A (m,n), B (n,k):  d vec(Y)/d vec(B) = kron(A, eye(k))      -> dB = Aᵀ G
                                  d vec(Y)/d vec(A) = kron(eye(m), Bᵀ)     -> dA = G Bᵀ
    y = f(x) elementwise:         d vec(y)/d vec(x) = diag(vec(f'(x)))     -> dx = f'(x) ⊙ G

The Bᵀ inside kron is the very `transpose(B)` node the VJP rule would build, so after the rewrite
and CSE both styles coincide. Like vec(G), each eye(n) is one node per size and dtype
(Emitter.eye). Which ops use which form is tabled in rules.py.
"""
from __future__ import annotations


def jacobian_product(em, jac, g, shape):
    """reshape(matmul(transpose(J), vec(g)), shape): the transposed Jacobian applied to g."""
    jt = em.add("transpose", (jac,), {"axes": (1, 0)})
    return em.add("reshape", (em.add("matmul", (jt, em.vec(g))),), {"shape": tuple(shape)})


def elementwise_product(em, node, g, d):
    """diag(vec(d))ᵀ vec(G), reshaped to the output's shape; d is broadcast to it first."""
    d_full = d if d.shape == node.shape else em.add("broadcast_to", (d,), {"shape": node.shape})
    size = 1
    for dim in node.shape:
        size *= dim
    flat = em.add("reshape", (d_full,), {"shape": (size,)})
    return jacobian_product(em, em.add("diag", (flat,)), g, node.shape)


def matmul_products(em, node, g, wants):
    """(dA, dB) for Y = A @ B with two matrices, through the Kronecker Jacobians."""
    a, b = node.inputs
    (m, n), k = a.shape, b.shape[1]
    da = db = None
    if wants[0]:
        bt = em.swap_last(b)
        da = jacobian_product(em, em.add("kron", (em.eye(m, a.dtype), bt)), g, (m, n))
    if wants[1]:
        db = jacobian_product(em, em.add("kron", (a, em.eye(k, b.dtype))), g, (n, k))
    return da, db
