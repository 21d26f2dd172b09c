"""Numpy functions shared by the reference evaluator and the generated numpy code.

Each is self-contained (it uses only `np` and its arguments), so the numpy backend copies its
source into the modules it writes: the evaluator and the generated code run the same lines, and
a fix here (an empty axis, an overflow) reaches both.
"""
from __future__ import annotations

import numpy as np


def sigmoid(x):
    """1 / (1 + exp(-x)), computed as exp(-log(1 + exp(-x))) so that it never overflows."""
    return np.exp(-np.logaddexp(x.dtype.type(0), -x))


def softmax(x, axis):
    """softmax along `axis`, the max subtracted first so that exp cannot overflow (one array:
    the exp and the division write into the shifted copy). Entries more than ~700 (f64; ~79 for
    f32) below their max are written as 0 instead of exp'd: their value is under 1e-304 (1e-34),
    and numpy's exp takes a 5x slower path on inputs whose result underflows (a masked -1e9)."""
    e = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    tiny = e <= np.log(np.finfo(e.dtype).tiny) + 8  # not NaN: a NaN stays NaN
    np.exp(e, out=e, where=~tiny)
    np.copyto(e, 0, where=tiny)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def log_softmax(x, axis):
    """log_softmax along `axis`: x - max - log(sum(exp(x - max)))."""
    shifted = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    shifted -= np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return shifted


def unslice(g, shape, index):
    """Zeros of `shape` with `g` written at `index`: the transpose of a slice."""
    out = np.zeros(shape, dtype=g.dtype)
    out[index] = g
    return out


def scatter_add(g, indices, axis, shape):
    """Zeros of `shape` with `g` added at `indices` along `axis` (None: of the flattened array),
    repeated indices summed: the transpose of np.take."""
    out = np.zeros(shape, dtype=g.dtype)
    if axis is None:
        np.add.at(out.reshape(-1), indices, g)
    else:
        np.add.at(out, (slice(None),) * axis + (indices,), g)
    return out


def scatter_along_axis(g, indices, axis, shape):
    """Zeros of `shape` with `g` added along `axis` at `indices`, repeated indices summed: the
    transpose of np.take_along_axis."""
    out = np.zeros(shape, dtype=g.dtype)
    index = list(np.ix_(*[np.arange(d) for d in g.shape]))
    index[axis] = indices
    np.add.at(out, tuple(index), g)
    return out


def logsumexp(x, axis, keepdims):
    """log(sum(exp(x))) over `axis`, the max subtracted first (an all -inf slice gives -inf)."""
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def windows(x, kernel, stride, padding, dilation, value=0.0):
    """The sliding windows of x (N, C, *spatial) as a strided view (N, C, *out, *kernel): padded
    with `value`, windows `stride` apart, kernel taps `dilation` apart. No copy is made."""
    nd = len(kernel)
    pads = [(0, 0), (0, 0)] + [(padding[2 * i], padding[2 * i + 1]) for i in range(nd)]
    xp = np.pad(x, pads, constant_values=value) if any(padding) else x
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    view = np.lib.stride_tricks.sliding_window_view(xp, span, axis=tuple(range(2, 2 + nd)))
    picks = (slice(None),) * 2 + tuple(slice(None, None, s) for s in stride) + \
        tuple(slice(None, None, d) for d in dilation)
    return view[picks]


def unwindows(p, shape, stride, padding, dilation):
    """The transpose of `windows`: each window of p (N, C, *out, *kernel) added back into zeros of
    `shape` (N, C, *spatial); one strided add per kernel tap, never a loop over pixels, or one
    copy when the windows tile the padded x (stride = kernel, as in pooling)."""
    nd = len(shape) - 2
    kernel, out = p.shape[2 + nd:], p.shape[2:2 + nd]
    padded = tuple(shape[2 + i] + padding[2 * i] + padding[2 * i + 1] for i in range(nd))
    if tuple(stride) == tuple(kernel) and all(d == 1 for d in dilation) and \
            all(o * k == n for o, k, n in zip(out, kernel, padded)):  # windows that tile: one copy
        acc = np.empty(tuple(shape[:2]) + padded, dtype=p.dtype)
        split = acc.reshape(tuple(shape[:2]) + tuple(v for o, k in zip(out, kernel) for v in (o, k)))
        split[...] = p.transpose((0, 1) + tuple(a for i in range(nd) for a in (2 + i, 2 + nd + i)))
    else:
        acc = np.zeros(tuple(shape[:2]) + padded, dtype=p.dtype)
        for tap in np.ndindex(*kernel):
            where = tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                          for t, d, s, o in zip(tap, dilation, stride, out))
            acc[(slice(None),) * 2 + where] += p[(Ellipsis,) + tap]
    crop = tuple(slice(padding[2 * i], padding[2 * i] + shape[2 + i]) for i in range(nd))
    return acc[(slice(None),) * 2 + crop]


def patches(x, kernel, stride, padding, dilation):
    """The windows of x (N, C, *spatial) copied out as (C, *kernel, N, *out), a matrix of C·K rows
    and N·P columns: one strided copy per kernel tap, each moving whole rows of the output, so
    that a convolution is one BLAS matmul (not one per sample, nor a copy of a window view whose
    innermost axis is a kernel tap)."""
    nd = len(kernel)
    pads = [(0, 0), (0, 0)] + [(padding[2 * i], padding[2 * i + 1]) for i in range(nd)]
    xp = (np.pad(x, pads) if any(padding) else x).swapaxes(0, 1)  # (C, N, *padded)
    out = tuple((xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(nd))
    cols = np.empty((x.shape[1],) + tuple(kernel) + (x.shape[0],) + out, dtype=x.dtype)
    for tap in np.ndindex(*kernel):
        where = tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                      for t, d, s, o in zip(tap, dilation, stride, out))
        cols[(slice(None),) + tap] = xp[(slice(None),) * 2 + where]
    return cols


def conv(x, w, stride, padding, dilation, groups):
    """Cross-correlation of x (N, C, *spatial) with w (O, C // groups, *kernel), as deep-learning
    libraries define convolution: w (O, C·K) times the patches of x (C·K, N·P), a BLAS call per
    group; the result is an (N, O, *out) view of the (O, N, *out) product."""
    nd = w.ndim - 2
    cols = patches(x, w.shape[2:], stride, padding, dilation)  # (C, *kernel, N, *out)
    o, ck, n_p = w.shape[0] // groups, int(np.prod(w.shape[1:])), int(np.prod(cols.shape[1 + nd:]))
    y = np.matmul(w.reshape(groups, o, ck), cols.reshape(groups, ck, n_p))  # (G, O / G, N·P)
    return np.moveaxis(y.reshape(w.shape[:1] + cols.shape[1 + nd:]), 0, 1)


def conv_input_grad(g, w, shape, stride, padding, dilation, groups):
    """The transpose of `conv` in x: g (N, O, *out) spread back through w onto x's `shape`."""
    nd = w.ndim - 2
    o, ck = w.shape[0] // groups, int(np.prod(w.shape[1:]))
    n_p = g.shape[0] * int(np.prod(g.shape[2:]))
    gm = np.moveaxis(g, 1, 0).reshape(groups, o, n_p)  # (G, O / G, N·P)
    cols = np.matmul(w.reshape(groups, o, ck).transpose(0, 2, 1), gm)  # (G, C / G·K, N·P)
    cols = cols.reshape((shape[1],) + w.shape[2:] + (g.shape[0],) + g.shape[2:])  # (C, *kernel, N, *out)
    order = (1 + nd, 0) + tuple(range(2 + nd, 2 + 2 * nd)) + tuple(range(1, 1 + nd))
    return unwindows(cols.transpose(order), shape, stride, padding, dilation)


def conv_filter_grad(x, g, shape, stride, padding, dilation, groups):
    """The transpose of `conv` in w: g (O, N·P) times the patches of x transposed (N·P, C·K)."""
    cols = patches(x, shape[2:], stride, padding, dilation)  # (C, *kernel, N, *out)
    n_p = g.shape[0] * int(np.prod(g.shape[2:]))
    gm = np.moveaxis(g, 1, 0).reshape(groups, shape[0] // groups, n_p)  # (G, O / G, N·P)
    cols = cols.reshape(groups, int(np.prod(shape[1:])), n_p)  # (G, C / G·K, N·P)
    dw = np.matmul(gm, cols.transpose(0, 2, 1))  # (G, O / G, C / G·K)
    return dw.reshape(shape)


def max_pool(x, kernel, stride, padding):
    """The maximum over each window of x (N, C, *spatial), padding as -inf: one elementwise
    maximum per kernel tap over the whole output (a reduction over the tiny window axes runs a
    loop of a few elements per output)."""
    nd = len(kernel)
    view = windows(x, kernel, stride, padding, (1,) * nd, value=-np.inf)
    taps = list(np.ndindex(*kernel))
    out = view[(Ellipsis,) + taps[0]].copy()
    for tap in taps[1:]:
        np.maximum(out, view[(Ellipsis,) + tap], out=out)
    return out


def avg_pool(x, kernel, stride, padding):
    """The mean over each window of x (N, C, *spatial), padding counted as zeros: the taps added
    one elementwise sum at a time, as in max_pool."""
    nd = len(kernel)
    view = windows(x, kernel, stride, padding, (1,) * nd)
    taps = list(np.ndindex(*kernel))
    out = view[(Ellipsis,) + taps[0]].copy()
    for tap in taps[1:]:
        out += view[(Ellipsis,) + tap]
    return out / len(taps)