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

import numpy as np

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


def matmul_tangent(ts, y, a, b):
    """J_A · vec(T_A) + J_B · vec(T_B) for Y = A @ B with two matrices (None: no tangent)."""
    parts = [product(matmul_jacobian(y, a, b, i), t, (a.shape[0], b.shape[1]))
             for i, t in enumerate(ts) if t is not None]
    return sum(parts[1:], parts[0])


class ConvAsMatmul:
    """A convolution (groups 1) as one matrix product, the seeds' view once more:
    Y2 = cols(X) @ W2 with cols(X) (N·P, C·K) the patches (im2col) and W2 (C·K, O) the weight, P
    the output positions; `cols` and `w2` map tensors to those matrices, the `un*` maps back."""

    def __init__(self, x, w, y, attrs):
        self.nd, (self.n, self.c), self.o = x.ndim - 2, x.shape[:2], w.shape[0]
        self.out, self.p = y.shape[2:], int(np.prod(y.shape[2:]))
        self.x_shape, self.w_shape = x.shape, w.shape
        self.window = dict(kernel=w.shape[2:], stride=attrs["stride"], padding=attrs["padding"],
                           dilation=attrs["dilation"])
        self.k = int(np.prod(w.shape[2:]))

    def _perm(self):  # (N, C, *out, *K) -> (N, *out, C, *K)
        nd = self.nd
        return (0,) + tuple(range(2, 2 + nd)) + (1,) + tuple(range(2 + nd, 2 + 2 * nd))

    def cols(self, t):
        p = apply("im2col", t, **self.window)
        return p.transpose(self._perm()).reshape(self.n * self.p, self.c * self.k)

    def uncols(self, m):
        p = m.reshape((self.n,) + self.out + (self.c,) + self.window["kernel"])
        return apply("col2im", p.transpose(tuple(np.argsort(self._perm()))), shape=self.x_shape,
                     **self.window)

    def w2(self, t):
        return t.reshape(self.o, self.c * self.k).T

    def unw2(self, m):
        return m.T.reshape(self.w_shape)

    def y2(self, g):  # (N, O, *out) -> (N·P, O)
        return g.transpose((0,) + tuple(range(2, 2 + self.nd)) + (1,)).reshape(self.n * self.p, self.o)

    def uny2(self, m):
        out = m.reshape((self.n,) + self.out + (self.o,))
        return out.transpose((0, 1 + self.nd) + tuple(range(1, 1 + self.nd)))


def conv_products(g, y, x, w, wants, attrs):
    """(dX, dW) of a convolution: its matmul's Kronecker products on G2, dX then col2im
    (im2col's transposed Jacobian) of the patches' cotangent, dW the weight's reshaped back."""
    conv = ConvAsMatmul(x, w, y, attrs)
    dcols, dw2 = matmul_products(conv.y2(g), y, conv.cols(x), conv.w2(w), wants)
    return (None if dcols is None else conv.uncols(dcols), None if dw2 is None else conv.unw2(dw2))


def conv_tangent(ts, y, x, w, attrs):
    """J · vec(T) of a convolution in the same view: its matmul's tangent on cols(Tx) and W2(Tw)."""
    conv = ConvAsMatmul(x, w, y, attrs)
    cols, w2 = conv.cols(x), conv.w2(w)
    tangents = (None if ts[0] is None else conv.cols(ts[0]), None if ts[1] is None else conv.w2(ts[1]))
    return conv.uny2(matmul_tangent(tangents, y, cols, w2))
