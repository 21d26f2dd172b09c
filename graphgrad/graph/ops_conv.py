"""Convolution, pooling and padding, with the conventions of ONNX and PyTorch: images (N, C, H, W)
or sequences (N, C, L), weights (O, C // groups, KH, KW).

One op serves every spatial rank. Padding is stored as (low, high) per spatial axis; `"same"` puts
an odd extra pixel at the end, as jax's "SAME". `im2col` (the sliding windows as (N, C, *out,
*kernel)) and its transpose `col2im` are the patch extraction of the Jacobian-style convolution
gradient; `conv_input_grad` and `conv_filter_grad` are the compact transposes of `conv`.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import kernels
from .attrs import INT, INTS, NUMBER
from .errors import GraphError, ShapeError
from .optable import INTERNAL, OpDef, register
from .shapes import same_float_dtype
from .spec import TensorSpec, check_shape
from .tensor import apply, as_tensor

WINDOW_ATTRS = {"kernel": INTS, "stride": INTS, "padding": INTS, "dilation": INTS}
CONV_ATTRS = {"stride": INTS, "padding": INTS, "dilation": INTS, "groups": INT}


def spatial(value, nd: int, what: str) -> tuple:
    """An int or a tuple of `nd` positive ints (a stride, dilation or kernel size)."""
    values = (value,) * nd if isinstance(value, numbers.Integral) and not isinstance(value, bool) \
        else value
    if not isinstance(values, (tuple, list)) or len(values) != nd or \
            not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0 for v in values):
        raise GraphError(f"{what} must be a positive int or a tuple of {nd}, got {value!r}")
    return tuple(int(v) for v in values)


def padding_pairs(padding, nd, sizes=None, kernel=None, stride=None, dilation=None) -> tuple:
    """Padding as (low, high, low, high, ...): from an int, a symmetric tuple per axis, explicit
    pairs, "valid" (none) or "same" (jax's SAME: output ceil(size / stride), odd extra at the end)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * (2 * nd)
        if padding != "same" or sizes is None:
            raise GraphError(f"padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
        out = []
        for n, k, s, d in zip(sizes, kernel, stride, dilation):
            total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
            out += [total // 2, total - total // 2]
        return tuple(out)
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        padding = (padding,) * nd
    if not isinstance(padding, (tuple, list)) or len(padding) != nd:
        raise GraphError(f"padding must be an int, a tuple of {nd}, 'same' or 'valid', got {padding!r}")
    pairs = []
    for p in padding:
        pair = (p, p) if isinstance(p, numbers.Integral) and not isinstance(p, bool) else p
        if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0 for v in pair):
            raise GraphError(f"padding entries must be non-negative ints or (low, high) pairs, got {p!r}")
        pairs += [int(pair[0]), int(pair[1])]
    return tuple(pairs)


def window_out(sizes, kernel, stride, padding, dilation) -> tuple:
    """Output sizes of sliding windows; ShapeError when a kernel is larger than the padded input."""
    out = []
    for i, (n, k, s, d) in enumerate(zip(sizes, kernel, stride, dilation)):
        span, padded = d * (k - 1) + 1, n + padding[2 * i] + padding[2 * i + 1]
        if span > padded:
            raise ShapeError(f"kernel {tuple(kernel)} (dilated span {span}) is larger than the padded "
                             f"input ({padded}) on spatial axis {i}")
        out.append((padded - span) // s + 1)
    return tuple(out)


def _check_window_attrs(x, kernel, stride, padding, dilation, what):
    nd = x.ndim - 2
    if nd < 1:
        raise ShapeError(f"{what} takes (N, C, *spatial) input, got a {x.ndim}-d tensor")
    if not (len(kernel) == len(stride) == len(dilation) == nd and len(padding) == 2 * nd):
        raise ShapeError(f"{what}: kernel, stride, dilation need {nd} entries and padding {2 * nd}")
    if min(kernel + stride + dilation, default=1) < 1 or min(padding, default=0) < 0:
        raise ShapeError(f"{what}: kernel, stride and dilation must be positive, padding non-negative")
    return window_out(x.shape[2:], kernel, stride, padding, dilation)


# --- convolution ---------------------------------------------------------------------------


def _conv_shape(x, w, *, stride, padding, dilation, groups):
    if w.ndim != x.ndim:
        raise ShapeError(f"conv weight {w.shape} must have the input's {x.ndim} dimensions (O, I, *kernel)")
    if groups < 1 or x.shape[1] % groups or w.shape[0] % groups:
        raise ShapeError(f"conv: channels ({x.shape[1]} in, {w.shape[0]} out) must divide by groups={groups}")
    if w.shape[1] * groups != x.shape[1]:
        raise ShapeError(f"conv: weight takes {w.shape[1]} x {groups} channels, input has {x.shape[1]}")
    out = _check_window_attrs(x, w.shape[2:], stride, padding, dilation, "conv")
    return (x.shape[0], w.shape[0]) + out


def _conv(x, w, stride, padding, dilation, groups, nd, what):
    x, w = as_tensor(x), as_tensor(w)
    stride, dilation = spatial(stride, nd, f"{what} stride"), spatial(dilation, nd, f"{what} dilation")
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise GraphError(f"{what}: groups must be a positive int, got {groups!r}")
    if x.ndim != nd + 2 or w.ndim != nd + 2:
        raise ShapeError(f"{what} takes input (N, C, {'L' if nd == 1 else 'H, W'}) and weight "
                         f"(O, C // groups, {'K' if nd == 1 else 'KH, KW'}), got {x.shape} and {w.shape}")
    pads = padding_pairs(padding, nd, x.shape[2:], w.shape[2:], stride, dilation)
    return apply("conv", x, w, stride=stride, padding=pads, dilation=dilation, groups=int(groups))


def conv1d(x, w, *, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation) of x (N, C, L) with w (O, C // groups, K)."""
    return _conv(x, w, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(x, w, *, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation) of x (N, C, H, W) with w (O, C // groups, KH, KW)."""
    return _conv(x, w, stride, padding, dilation, groups, 2, "conv2d")


register(OpDef("conv", 2, "conv",
               lambda x, w, **a: TensorSpec.trusted(_conv_shape(x, w, **a), same_float_dtype([x, w])),
               lambda x, w, **a: kernels.conv(x, w, **a), attrs=dict(CONV_ATTRS), api=conv2d,
               doc="convolution (cross-correlation), NC* input and OI* weight"))


def _conv_input_infer(g, w, *, shape, **a):
    x = TensorSpec(check_shape(shape), g.dtype)
    if _conv_shape(x, w, **a) != g.shape:
        raise ShapeError(f"a conv gradient {g.shape} does not fit input {shape} and weight {w.shape}")
    return TensorSpec(x.shape, same_float_dtype([g, w]))


def _conv_filter_infer(x, g, *, shape, **a):
    w = TensorSpec(check_shape(shape), g.dtype)
    if _conv_shape(x, w, **a) != g.shape:
        raise ShapeError(f"a conv gradient {g.shape} does not fit input {x.shape} and weight {shape}")
    return TensorSpec(w.shape, same_float_dtype([x, g]))


register(OpDef("conv_input_grad", 2, "conv", _conv_input_infer,
               lambda g, w, **a: kernels.conv_input_grad(g, w, **a),
               attrs={**CONV_ATTRS, "shape": INTS}, api=INTERNAL,
               doc="the transpose of conv in its input: the transposed convolution of g with w"))
register(OpDef("conv_filter_grad", 2, "conv", _conv_filter_infer,
               lambda x, g, **a: kernels.conv_filter_grad(x, g, **a),
               attrs={**CONV_ATTRS, "shape": INTS}, api=INTERNAL,
               doc="the transpose of conv in its weight: the correlation of x with g"))

# --- patches -------------------------------------------------------------------------------


def _im2col_infer(x, *, kernel, stride, padding, dilation):
    out = _check_window_attrs(x, kernel, stride, padding, dilation, "im2col")
    return TensorSpec.trusted(x.shape[:2] + out + tuple(kernel), x.dtype)


def _col2im_infer(p, *, kernel, stride, padding, dilation, shape):
    x = TensorSpec(check_shape(shape), p.dtype)
    if _im2col_infer(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation).shape != p.shape:
        raise ShapeError(f"patches of shape {p.shape} do not fit windows of {shape}")
    return TensorSpec(x.shape, same_float_dtype([p]))


register(OpDef("im2col", 1, "conv", _im2col_infer,
               lambda x, *, kernel, stride, padding, dilation: np.ascontiguousarray(
                   kernels.windows(x, kernel, stride, padding, dilation)),
               attrs=dict(WINDOW_ATTRS), api=INTERNAL,
               doc="patch extraction: the sliding windows of x as (N, C, *out, *kernel)"))
register(OpDef("col2im", 1, "conv", _col2im_infer,
               lambda p, *, kernel, stride, padding, dilation, shape: kernels.unwindows(
                   p, shape, stride, padding, dilation),
               attrs={**WINDOW_ATTRS, "shape": INTS}, api=INTERNAL,
               doc="the transpose of im2col: each window added back into zeros of `shape`"))

# --- pooling and padding -------------------------------------------------------------------


def _pool(op, x, kernel, stride, padding):
    x = as_tensor(x)
    if x.ndim != 4:
        raise ShapeError(f"{op}2d takes input (N, C, H, W), got {x.shape}")
    kernel = spatial(kernel, 2, f"{op}2d kernel")
    stride = kernel if stride is None else spatial(stride, 2, f"{op}2d stride")
    pads = padding_pairs(padding, 2, x.shape[2:], kernel, stride, (1, 1))
    return apply(op, x, kernel=kernel, stride=stride, padding=pads)


def max_pool2d(x, kernel, *, stride=None, padding=0):
    """The maximum over each kernel window (stride defaults to the kernel); padding is -inf."""
    return _pool("max_pool", x, kernel, stride, padding)


def avg_pool2d(x, kernel, *, stride=None, padding=0):
    """The mean over each kernel window, padding counted as zeros (PyTorch's count_include_pad)."""
    return _pool("avg_pool", x, kernel, stride, padding)


def _pool_infer(x, *, kernel, stride, padding):
    out = _check_window_attrs(x, kernel, stride, padding, (1,) * len(kernel), "pool")
    return TensorSpec.trusted(x.shape[:2] + out, same_float_dtype([x]))


POOL_ATTRS = {"kernel": INTS, "stride": INTS, "padding": INTS}
register(OpDef("max_pool", 1, "conv", _pool_infer,
               lambda x, **a: kernels.max_pool(x, **a), attrs=dict(POOL_ATTRS), api=max_pool2d,
               doc="max over sliding windows (padding -inf)"))
register(OpDef("avg_pool", 1, "conv", _pool_infer,
               lambda x, **a: kernels.avg_pool(x, **a), attrs=dict(POOL_ATTRS), api=avg_pool2d,
               doc="mean over sliding windows (padding counted as zeros)"))


def pad(x, pad_width, *, value=0.0):
    """np.pad in constant mode: pad_width an int, a (before, after) pair, or a pair per axis."""
    x = as_tensor(x)
    if isinstance(pad_width, numbers.Integral) and not isinstance(pad_width, bool):
        pad_width = ((pad_width, pad_width),)
    elif isinstance(pad_width, (tuple, list)) and len(pad_width) == 2 and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pad_width):
        pad_width = (tuple(pad_width),)  # (before, after): the same pair for every axis
    if isinstance(pad_width, (tuple, list)) and len(pad_width) == 1:
        pad_width = tuple(pad_width) * x.ndim
    return apply("pad", x, pad_width=padding_pairs(pad_width, x.ndim), value=value)


def _pad_infer(x, *, pad_width, value):
    if len(pad_width) != 2 * x.ndim or min(pad_width, default=0) < 0:
        raise ShapeError(f"pad_width needs a non-negative (before, after) pair for each of {x.ndim} axes")
    return TensorSpec.trusted(tuple(d + pad_width[2 * i] + pad_width[2 * i + 1]
                                    for i, d in enumerate(x.shape)), x.dtype)


register(OpDef("pad", 1, "shape", _pad_infer,
               lambda x, *, pad_width, value: np.pad(
                   x, [(pad_width[2 * i], pad_width[2 * i + 1]) for i in range(x.ndim)],
                   constant_values=x.dtype.type(value)),
               attrs={"pad_width": INTS, "value": NUMBER}, api=pad,
               doc="np.pad with a constant: pad_width (before, after) per axis"))
