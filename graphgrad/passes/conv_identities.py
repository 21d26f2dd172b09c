"""The im2col identities: a convolution written as patches times a matrix, as the Jacobian-style
gradient writes it, is the convolution op again. After the Kronecker identities, the Jacobian
route of a convolution holds, with cols(X) = reshape(transpose(im2col(X))) (N·P, C·K),
mat(G) = reshape(transpose(G)) (N·P, O) and W2 = reshape(W) (O, C·K):

    col2im(unmat(mat(G) · W2))        = conv_input_grad(G, W)      (dX: the transposed convolution)
    reshape((cols(X)ᵀ · mat(G))ᵀ)     = conv_filter_grad(X, G)     (dW: the correlation of X with G)
    unmat(cols(X) · W2ᵀ)              = conv(X, W)                 (forward mode: J · vec(T))

so both gradient routes of a CNN end in the same three ops.
"""
from __future__ import annotations

from .patterns import Rule


def _nd(m):
    return len(m.x.shape) - 2 if "x" in m.__dict__ else len(m.g.shape) - 2


def _cols_perm(nd):  # (N, C, *out, *K) -> (N, *out, C, *K)
    return (0,) + tuple(range(2, 2 + nd)) + (1,) + tuple(range(2 + nd, 2 + 2 * nd))


def _mat_perm(nd):  # (N, O, *out) -> (N, *out, O)
    return (0,) + tuple(range(2, 2 + nd)) + (1,)


def _inverse(perm):
    out = [0] * len(perm)
    for i, p in enumerate(perm):
        out[p] = i
    return tuple(out)


def _window(node):
    return {k: node.attrs[k] for k in ("stride", "padding", "dilation")}


def _is_mat(t, g, nd):
    return len(g.shape) == nd + 2 and t.attrs["axes"] == _mat_perm(nd)


def _input_grad_fits(m):
    nd = len(m.c.attrs["kernel"])
    return (_is_mat(m.t1, m.g, nd) and m.t2.attrs["axes"] == _inverse(_cols_perm(nd))
            and len(m.w.shape) == nd + 2 and m.w.shape[2:] == m.c.attrs["kernel"]
            and m.w.shape[0] == m.g.shape[1] and m.w.shape[1] == m.c.shape[1])


def _filter_grad_fits(m):
    nd = len(m.p.attrs["kernel"])
    o, c = m.g.shape[1], m.x.shape[1]
    return (_is_mat(m.tg, m.g, nd) and m.tp.attrs["axes"] == _cols_perm(nd)
            and m.t.attrs["axes"] == (1, 0) and m.shape == (o, c) + m.p.attrs["kernel"])


def _conv_fits(m):
    nd = len(m.p.attrs["kernel"])
    return (m.tp.attrs["axes"] == _cols_perm(nd) and m.tw.attrs["axes"] == (1, 0)
            and m.attrs["axes"] == _inverse(_mat_perm(nd)) and len(m.w.shape) == nd + 2
            and m.w.shape[2:] == m.p.attrs["kernel"] and m.w.shape[1] == m.x.shape[1])


CONV = (
    Rule("col2im(unmat(mat(G) · W2)) = conv_input_grad(G, W)",
         ("col2im=c", ("transpose=t2", ("reshape", ("matmul", ("reshape", ("transpose=t1", "g")),
                                                   ("reshape", "w"))))),
         lambda m: m.make("conv_input_grad", m.g, m.w, shape=m.shape, groups=1, **_window(m.c)),
         _input_grad_fits),
    Rule("reshape((cols(X)ᵀ · mat(G))ᵀ) = conv_filter_grad(X, G)",
         ("reshape", ("transpose=t", ("matmul", ("transpose", ("reshape", ("transpose=tp", ("im2col=p", "x")))),
                                      ("reshape", ("transpose=tg", "g"))))),
         lambda m: m.make("conv_filter_grad", m.x, m.g, shape=m.shape, groups=1, **_window(m.p)),
         _filter_grad_fits),
    Rule("unmat(cols(X) · W2ᵀ) = conv(X, W)",
         ("transpose", ("reshape", ("matmul", ("reshape", ("transpose=tp", ("im2col=p", "x"))),
                                    ("transpose=tw", ("reshape", "w"))))),
         lambda m: m.make("conv", m.x, m.w, groups=1, **_window(m.p)), _conv_fits),
)
