"""Neural-network building blocks written with graphgrad's public ops: no op of their own, so their
derivatives, spellings and pictures are those of the ops they are made of.

Conventions are jax's and PyTorch's: `linear` is `x @ w + b` with `w` shaped (in, out), images are
NCHW and conv weights OIHW, `batch_norm` uses the batch's biased variance (training statistics),
`dropout` takes its mask as an input (graphs are static: draw the mask in the training loop), and
the losses take `reduction="mean" | "sum" | "none"`.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..graph import functions as gg
from ..graph.errors import DTypeError, GraphError, ShapeError, user_site
from ..graph.shapes import axes_argument
from ..graph.spec import FLOAT_DTYPES
from ..graph.tensor import Tensor, as_tensor
from . import init

__all__ = ["linear", "conv2d", "layer_norm", "batch_norm", "dropout", "gelu", "softmax_cross_entropy",
           "mse", "multi_head_attention", "init"]

REDUCTIONS = ("mean", "sum", "none")


def _at() -> str:
    return f"(at {user_site()})"


def _tensor(value, like: Tensor, what: str, fn: str) -> Tensor:
    """An argument as a tensor of `like`'s graph; float arguments must share `like`'s dtype."""
    t = as_tensor(value, like=like)
    if t.dtype in FLOAT_DTYPES and t.dtype != like.dtype:
        raise DTypeError(f"nn.{fn}: {what} is {t.dtype} but the input is {like.dtype} {_at()}")
    return t


def _bias(b, like: Tensor, size: int, fn: str) -> Tensor:
    b = _tensor(b, like, "b", fn)
    if b.shape != (size,):
        raise ShapeError(f"nn.{fn}: b must have shape ({size},), got {b.shape} {_at()}")
    return b


def linear(x, w, b=None):
    """x @ w + b, with w shaped (in, out) and b (out,) (or no bias)."""
    x = as_tensor(x)
    w = _tensor(w, x, "w", "linear")
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[0]:
        raise ShapeError(f"nn.linear: x {x.shape} @ w {w.shape} needs w of shape "
                         f"({x.shape[-1] if x.ndim else '?'}, out) {_at()}")
    if x.ndim > 2:  # leading axes flattened: w's gradient is one matrix product, not a batch of them
        y = (x.reshape(-1, w.shape[0]) @ w).reshape(*x.shape[:-1], w.shape[1])
    else:
        y = x @ w
    return y if b is None else y + _bias(b, x, w.shape[1], "linear")


def conv2d(x, w, b=None, **conv_args):
    """gg.conv2d(x, w, **conv_args) plus a bias b of shape (O,) per output channel (NCHW, OIHW)."""
    x = as_tensor(x)
    y = gg.conv2d(x, _tensor(w, x, "w", "conv2d"), **conv_args)
    if b is None:
        return y
    return y + _bias(b, x, y.shape[1], "conv2d").reshape(1, y.shape[1], 1, 1)


def _scale_shift(x, axes, gamma, beta, fn, kept):
    """gamma * x + beta, gamma and beta shaped as the `kept` (or else the normalized) axes of x,
    in order, or already in place (the other axes of size 1)."""
    place = tuple(x.shape[i] if (i in axes) != kept else 1 for i in range(x.ndim))
    compact = tuple(d for i, d in enumerate(x.shape) if (i in axes) != kept)

    def placed(p, name):
        p = _tensor(p, x, name, fn)
        if p.shape not in (compact, place):
            raise ShapeError(f"nn.{fn}: {name} must have shape {compact} (or {place}) for input "
                             f"{x.shape} normalized over axes {axes}, got {p.shape} {_at()}")
        return p.reshape(*place) if p.shape != place else p

    return x * placed(gamma, "gamma") + placed(beta, "beta")


def _normalize(x, axis, eps, fn):
    x = as_tensor(x)
    if x.dtype not in FLOAT_DTYPES:
        raise DTypeError(f"nn.{fn} needs a float input, got {x.dtype} {_at()}")
    if not isinstance(eps, numbers.Real) or isinstance(eps, bool) or not eps >= 0:
        raise GraphError(f"nn.{fn}: eps must be a non-negative number, got {eps!r} {_at()}")
    axes = axes_argument(axis, x.ndim, f"nn.{fn}")
    if axes is None:
        axes = tuple(range(x.ndim))
    centered = x - gg.mean(x, axis=axes, keepdims=True)
    variance = gg.mean(centered * centered, axis=axes, keepdims=True)
    return x, axes, centered / gg.sqrt(variance + float(eps))


def layer_norm(x, gamma, beta, *, axis=-1, eps=1e-5):
    """(x - mean) / sqrt(var + eps) over `axis` (an int or a tuple), then gamma * . + beta, with
    gamma and beta shaped as the normalized axes."""
    x, axes, normed = _normalize(x, axis, eps, "layer_norm")
    return _scale_shift(normed, axes, gamma, beta, "layer_norm", kept=False)


def batch_norm(x, gamma, beta, *, axis=0, eps=1e-5):
    """Batch normalization with the batch's statistics: x normalized over `axis` (0 for (N, C),
    (0, 2, 3) for NCHW images) with the biased variance, then gamma * . + beta, with gamma and
    beta shaped as the remaining axes ((C,) in both cases)."""
    x, axes, normed = _normalize(x, axis, eps, "batch_norm")
    return _scale_shift(normed, axes, gamma, beta, "batch_norm", kept=True)


def dropout(x, mask, rate):
    """x * mask / (1 - rate): inverted dropout with an explicit 0/1 mask (rate 0 is the identity)."""
    x = as_tensor(x)
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise GraphError(f"nn.dropout: rate must be a number in [0, 1), got {rate!r} {_at()}")
    if rate == 0:
        return x
    mask = as_tensor(mask, like=x)
    if mask.dtype != x.dtype:
        mask = mask.astype(x.dtype)
    if not _broadcasts(mask, x) or np.broadcast_shapes(mask.shape, x.shape) != x.shape:
        raise ShapeError(f"nn.dropout: mask {mask.shape} does not broadcast to x {x.shape} {_at()}")
    return x * mask * (1.0 / (1.0 - float(rate)))


def gelu(x):
    """GELU in its tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x = as_tensor(x)
    return 0.5 * x * (1.0 + gg.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x * x * x)))


def _check_reduction(reduction, fn: str) -> None:
    if reduction not in REDUCTIONS:
        raise GraphError(f"nn.{fn}: reduction must be one of {REDUCTIONS}, got {reduction!r} {_at()}")


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return gg.mean(loss) if reduction == "mean" else gg.sum(loss)


def softmax_cross_entropy(logits, labels, *, reduction="mean"):
    """-log_softmax(logits)[label] per example, with integer labels shaped as logits without its
    last (class) axis; averaged, summed or returned per example."""
    logits = as_tensor(logits)
    _check_reduction(reduction, "softmax_cross_entropy")
    labels = labels if isinstance(labels, Tensor) else np.asarray(labels)
    if np.dtype(labels.dtype).kind not in "iu":
        raise DTypeError(f"nn.softmax_cross_entropy needs integer labels (class indices), got "
                         f"{labels.dtype}; for one-hot or soft targets use "
                         f"-sum(targets * log_softmax(logits)) {_at()}")
    if not isinstance(labels, Tensor):  # an int constant (as_tensor(like=) would make it float)
        labels = gg.constant(labels.astype(np.int64), graph=logits.graph)
    if logits.ndim < 1 or labels.shape != logits.shape[:-1]:
        raise ShapeError(f"nn.softmax_cross_entropy: labels must have shape {logits.shape[:-1]} "
                         f"(logits {logits.shape} without its class axis), got {labels.shape} {_at()}")
    logp = gg.log_softmax(logits, axis=-1)
    picked = gg.take_along_axis(logp, gg.expand_dims(labels, -1), axis=-1)
    return _reduce(-gg.squeeze(picked, -1), reduction)


def mse(pred, target, *, reduction="mean"):
    """(pred - target)^2, averaged, summed or elementwise (target broadcasts to pred)."""
    pred = as_tensor(pred)
    _check_reduction(reduction, "mse")
    target = _tensor(target, pred, "target", "mse")
    if not _broadcasts(pred, target) or np.broadcast_shapes(pred.shape, target.shape) != pred.shape:
        raise ShapeError(f"nn.mse: target {target.shape} does not broadcast to pred {pred.shape} {_at()}")
    diff = pred - target
    return _reduce(diff * diff, reduction)


def _broadcasts(a: Tensor, b: Tensor) -> bool:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return False
    return True


def _causal_mask(tq: int, tk: int) -> np.ndarray:
    """True where query i may look at key j (j <= i)."""
    return np.tril(np.ones((tq, tk), dtype=bool))


def _split_heads(t: Tensor, heads: int) -> Tensor:
    b, n, d = t.shape
    return t.reshape(b, n, heads, d // heads).transpose(0, 2, 1, 3)


def multi_head_attention(q, k, v, *, heads, causal=False):
    """softmax(q kᵀ / sqrt(D/heads)) v per head on (B, T, D) tensors, without projections: heads
    split as reshape(B, T, heads, D // heads); `causal` hides later tokens; output (B, T, D)."""
    q = as_tensor(q)
    k, v = _tensor(k, q, "k", "multi_head_attention"), _tensor(v, q, "v", "multi_head_attention")
    if (q.ndim, k.ndim, v.ndim) != (3, 3, 3) or k.shape[:2] != v.shape[:2] \
            or q.shape[0] != k.shape[0] or q.shape[2] != k.shape[2]:
        raise ShapeError(f"nn.multi_head_attention takes q (B, T, D), k (B, S, D), v (B, S, E), "
                         f"got q {q.shape}, k {k.shape}, v {v.shape} {_at()}")
    if isinstance(heads, bool) or not isinstance(heads, numbers.Integral) or heads < 1 \
            or q.shape[2] % heads or v.shape[2] % heads:
        raise GraphError(f"nn.multi_head_attention: heads={heads!r} must be a positive int dividing "
                         f"the width of q and k ({q.shape[2]}) and of v ({v.shape[2]}) {_at()}")
    if causal and q.shape[1] != k.shape[1]:
        raise ShapeError(f"nn.multi_head_attention: causal needs as many queries as keys, got q "
                         f"{q.shape} and k {k.shape} {_at()}")
    batch, tokens, width = q.shape[0], q.shape[1], v.shape[2]
    qh, kh, vh = _split_heads(q, heads), _split_heads(k, heads), _split_heads(v, heads)
    scores = (qh @ kh.transpose(0, 1, 3, 2)) * (1.0 / np.sqrt(q.shape[2] // heads))
    if causal:  # a large finite negative: exp gives 0, and no inf or nan reaches any gradient
        hidden = float(np.finfo(q.dtype).min) / 2
        scores = gg.where(_causal_mask(tokens, k.shape[1]), scores, hidden)
    out = gg.softmax(scores, axis=-1) @ vh
    return out.transpose(0, 2, 1, 3).reshape(batch, tokens, width)
