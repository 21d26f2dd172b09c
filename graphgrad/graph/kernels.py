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
    """softmax along `axis`, the max subtracted first so that exp cannot overflow."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis):
    """log_softmax along `axis`: x - max - log(sum(exp(x - max)))."""
    shifted = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


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
