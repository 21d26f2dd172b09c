"""Parameter initializers: plain numpy arrays for the training loop to own (graphs are static, so
parameters are inputs). `rng` is a `numpy.random.Generator` or a seed."""
from __future__ import annotations

import numbers

import numpy as np

from ..graph.errors import GraphError

__all__ = ["fans", "glorot", "he", "normal", "zeros", "ones"]


def _shape(shape) -> tuple:
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if not shape or any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1 for d in shape):
        raise GraphError(f"nn.init: a shape is a non-empty tuple of positive ints, got {shape!r}")
    return tuple(int(d) for d in shape)


def _rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out): (in, out) for a linear weight (in, out); I*H*W and O*H*W for an OIHW
    (or OI*) conv weight; the size itself for a vector."""
    shape = _shape(shape)
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    field = int(np.prod(shape[2:]))
    return shape[1] * field, shape[0] * field


def glorot(shape, rng, *, dtype="float64") -> np.ndarray:
    """Glorot (Xavier) uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return _rng(rng).uniform(-limit, limit, _shape(shape)).astype(dtype)


def he(shape, rng, *, dtype="float64") -> np.ndarray:
    """He (Kaiming) normal for relu layers: N(0, 2 / fan_in)."""
    fan_in, _ = fans(shape)
    return (_rng(rng).standard_normal(_shape(shape)) * np.sqrt(2.0 / fan_in)).astype(dtype)


def normal(shape, rng, *, std=0.02, dtype="float64") -> np.ndarray:
    """N(0, std^2), e.g. for embeddings."""
    return (_rng(rng).standard_normal(_shape(shape)) * std).astype(dtype)


def zeros(shape, *, dtype="float64") -> np.ndarray:
    """Zeros (biases, layer-norm shifts)."""
    return np.zeros(_shape(shape), dtype=dtype)


def ones(shape, *, dtype="float64") -> np.ndarray:
    """Ones (layer-norm and batch-norm scales)."""
    return np.ones(_shape(shape), dtype=dtype)
