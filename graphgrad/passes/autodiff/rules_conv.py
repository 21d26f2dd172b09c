"""The rule table's entries for convolution, patches, pooling and padding (merged into RULES).

conv is bilinear: dX = conv_input_grad(G, W) (the transposed convolution), dW =
conv_filter_grad(X, G) (the correlation of X with G), and each of those is again bilinear, so
every order of derivative stays within these three ops. In the Jacobian style a convolution of
groups 1 is im2col followed by a matmul with Kronecker Jacobians (jacobian.ConvAsMatmul).
Pooling is written with im2col/col2im: a window's maximum takes the gradient, shared evenly
among ties (as the `max` reduction); an average spreads it evenly over the window.
"""
from __future__ import annotations

import numpy as np

from ... import graph as gg
from ...graph.tensor import apply
from .constructors import Rule, bilinear, linear, vjp
from .jacobian import conv_products, conv_tangent


def _conv(attrs) -> dict:
    return {k: attrs[k] for k in ("stride", "padding", "dilation", "groups")}


def _conv_vjp(g, y, xs, wants, attrs, style):
    x, w = xs
    if style == "jacobian" and attrs["groups"] == 1:
        return conv_products(g, y, x, w, wants, attrs)
    return (apply("conv_input_grad", g, w, shape=x.shape, **attrs) if wants[0] else None,
            apply("conv_filter_grad", x, g, shape=w.shape, **attrs) if wants[1] else None)


def _conv_jvp(ts, y, xs, attrs, style):
    if style == "jacobian" and attrs["groups"] == 1:
        return conv_tangent(ts, y, *xs, attrs)
    return bilinear("conv")(ts, y, xs, attrs, style)


def _windows(kernel, stride, padding):
    """im2col/col2im's attributes for pooling windows (no dilation)."""
    return dict(kernel=kernel, stride=stride, padding=padding, dilation=(1,) * len(kernel))


def _per_window(t, nd):
    """t (N, C, *out) with size-1 window axes added, to broadcast against patches."""
    return t.reshape(t.shape + (1,) * nd)


def _padded(t, padding, value=0.0):
    """t (N, C, *spatial) padded by `padding` (before and after each spatial axis in turn)."""
    return gg.pad(t, [(0, 0)] * 2 + [(padding[2 * i], padding[2 * i + 1]) for i in range(t.ndim - 2)],
                  value=value)


def _max_share(y, x, kernel, stride, padding):
    """(share, padded x): 1 at each window's maximum, shared among ties; windows of x padded -inf."""
    nd = len(kernel)
    padded = _padded(x, padding, -np.inf)
    patches = apply("im2col", padded, **_windows(kernel, stride, (0,) * (2 * nd)))
    hit = gg.equal(patches, _per_window(y, nd)).astype(x.dtype)
    return hit / gg.sum(hit, tuple(range(-nd, 0)), keepdims=True), padded


def _tiles(kernel, stride, padding) -> bool:
    """Whether the windows tile x without overlap or padding (the usual 2×2 pool of stride 2)."""
    return tuple(stride) == tuple(kernel) and not any(padding)


def _tile_hits(y, x, kernel):
    """(hits, counts, covered x) for tiling windows, in x's own layout: x seen as (N, C, o1, k1,
    o2, k2, …) against y as (N, C, o1, 1, o2, 1, …), so no patches are copied; hits are 1 at each
    window's maxima, counts their number per window. Rows and columns past the last whole window
    get no gradient."""
    nd, out = len(kernel), y.shape[2:]
    covered = x[(slice(None),) * 2 + tuple(slice(0, o * k) for o, k in zip(out, kernel))]
    split = x.shape[:2] + tuple(d for o, k in zip(out, kernel) for d in (o, k))
    hits = gg.equal(covered.reshape(split), _per_tile(y, nd)).astype(x.dtype)
    return hits, gg.sum(hits, tuple(range(3, 3 + 2 * nd, 2)), keepdims=True), covered


def _per_tile(t, nd):
    """t (N, C, o1, o2, …) as (N, C, o1, 1, o2, 1, …), to broadcast against x seen as tiles."""
    return t.reshape(t.shape[:2] + tuple(d for o in t.shape[2:] for d in (o, 1)))


def _untile(t, covered, x):
    """A tensor of tiles back in x's layout, zero past the last whole window."""
    flat = t.reshape(covered.shape)
    if covered.shape == x.shape:
        return flat
    return gg.pad(flat, [(0, d - c) for c, d in zip(covered.shape, x.shape)])


def _max_pool_vjp(g, y, x, *, kernel, stride, padding):
    nd = len(kernel)
    if _tiles(kernel, stride, padding):
        hits, counts, covered = _tile_hits(y, x, kernel)
        return _untile(hits * (_per_tile(g, nd) / counts), covered, x)
    share, padded = _max_share(y, x, kernel, stride, padding)
    spread = apply("col2im", share * _per_window(g, nd), shape=padded.shape,
                   **_windows(kernel, stride, (0,) * (2 * nd)))
    return spread[(slice(None),) * 2 + tuple(slice(padding[2 * i], padding[2 * i] + x.shape[2 + i])
                                              for i in range(nd))]


def _max_pool_jvp(ts, y, xs, attrs, style):
    nd = len(attrs["kernel"])
    if _tiles(attrs["kernel"], attrs["stride"], attrs["padding"]):
        hits, counts, covered = _tile_hits(y, xs[0], attrs["kernel"])
        t = ts[0][(slice(None),) * 2 + tuple(slice(0, d) for d in covered.shape[2:])]
        return gg.sum(hits * t.reshape(hits.shape), tuple(range(3, 3 + 2 * nd, 2))) / counts.reshape(y.shape)
    share, _ = _max_share(y, xs[0], attrs["kernel"], attrs["stride"], attrs["padding"])
    patches = apply("im2col", _padded(ts[0], attrs["padding"]),
                    **_windows(attrs["kernel"], attrs["stride"], (0,) * (2 * nd)))
    return gg.sum(share * patches, tuple(range(-nd, 0)))


def _avg_pool_vjp(g, y, x, *, kernel, stride, padding):
    nd, count = len(kernel), int(np.prod(kernel))
    spread = gg.broadcast_to(_per_window(g, nd) / count, g.shape + tuple(kernel))
    return apply("col2im", spread, shape=x.shape, **_windows(kernel, stride, padding))


def _pad_vjp(g, y, x, *, pad_width, value):
    return g[tuple(slice(pad_width[2 * i], pad_width[2 * i] + d) for i, d in enumerate(x.shape))]


CONV_RULES = {
    "conv": Rule(_conv_vjp, _conv_jvp),
    # <conv_input_grad(G, W), H> = <G, conv(H, W)> and <conv_filter_grad(X, G), H> = <G, conv(X, H)>
    "conv_input_grad": Rule(vjp(lambda h, y, g, w, shape, **a: apply("conv", h, w, **_conv(a)),
                                lambda h, y, g, w, shape, **a: apply("conv_filter_grad", h, g, shape=w.shape, **_conv(a))),
                            bilinear("conv_input_grad")),
    "conv_filter_grad": Rule(vjp(lambda h, y, x, g, shape, **a: apply("conv_input_grad", g, h, shape=x.shape, **_conv(a)),
                                 lambda h, y, x, g, shape, **a: apply("conv", x, h, **_conv(a))),
                             bilinear("conv_filter_grad")),
    "im2col": linear(lambda g, y, x, **a: apply("col2im", g, shape=x.shape, **a)),
    "col2im": linear(lambda g, y, p, shape, **a: apply("im2col", g, **a)),
    "max_pool": Rule(vjp(_max_pool_vjp), _max_pool_jvp),
    "avg_pool": linear(_avg_pool_vjp),
    "pad": Rule(vjp(_pad_vjp), lambda ts, y, xs, attrs, style: apply("pad", ts[0], pad_width=attrs["pad_width"],
                                                                        value=0.0)),
}
