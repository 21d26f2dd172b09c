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
