"""Real models, each written once over an array namespace `xp` and built two ways: a graphgrad
graph (`xp = GG`) and a jax loss for `jax.value_and_grad` (`xp = jax_ops()`). Written with core
gg ops only. Sizes are arguments: the benchmarks run them large, the route tests small.

    cnn           conv 3x3 -> relu -> max pool -> conv 3x3 -> relu -> max pool -> linear ->
                  softmax cross-entropy (log_softmax + take_along_axis of int64 labels)
    im2col_cnn    the same first layer with im2col written by hand (slices + concatenate +
                  transpose + reshape + matmul), then relu and a linear read-out
    transformer   one pre-norm block: layer norm (mean/var), causal multi-head attention (einsum),
                  residual, layer norm, GELU MLP, residual; loss = mean of squares
    rnn           a tanh cell with shared weights unrolled `steps` times; squared-error read-out
"""
from __future__ import annotations

import math
import types

import numpy as np

import graphgrad as gg

GG = types.SimpleNamespace(
    conv=lambda x, w: gg.conv2d(x, w, padding=1), pool=lambda x: gg.max_pool2d(x, 2),
    relu=gg.relu, reshape=gg.reshape, transpose=gg.transpose, concatenate=gg.concatenate,
    log_softmax=gg.log_softmax, softmax=gg.softmax, take_along_axis=gg.take_along_axis,
    mean=gg.mean, var=gg.var, sqrt=gg.sqrt, tanh=gg.tanh, einsum=gg.einsum, where=gg.where,
    sum=gg.sum, square=gg.square)


def jax_ops():
    """The same namespace in jax (imported on first use: tests without jax still load this)."""
    import jax
    import jax.numpy as jnp

    def conv(x, w):
        return jax.lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)),
                                            dimension_numbers=("NCHW", "OIHW", "NCHW"),
                                            precision=jax.lax.Precision.HIGHEST)

    def pool(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    return types.SimpleNamespace(
        conv=conv, pool=pool, relu=jax.nn.relu, reshape=jnp.reshape, transpose=jnp.transpose,
        concatenate=jnp.concatenate, log_softmax=jax.nn.log_softmax, softmax=jax.nn.softmax,
        take_along_axis=jnp.take_along_axis, mean=jnp.mean, var=jnp.var, sqrt=jnp.sqrt,
        tanh=jnp.tanh, einsum=jnp.einsum, where=jnp.where, sum=jnp.sum, square=jnp.square)


# --- the models: (xp, inputs in declaration order) -> scalar loss -----------------------------

def cnn_loss(xp, x, labels, w1, w2, v, b):
    h = xp.pool(xp.relu(xp.conv(x, w1)))
    h = xp.pool(xp.relu(xp.conv(h, w2)))
    logits = xp.reshape(h, (x.shape[0], -1)) @ v + b
    picked = xp.take_along_axis(xp.log_softmax(logits, axis=-1), labels, axis=1)
    return -xp.mean(picked)


def im2col_cnn_loss(xp, x, y, w, v):
    n, c, hh, ww = x.shape
    oh, ow = hh - 2, ww - 2
    patches = [x[:, :, i:i + oh, j:j + ow] for i in range(3) for j in range(3)]
    cols = xp.transpose(xp.concatenate(patches, axis=1), (0, 2, 3, 1))  # (N, OH, OW, 9 C)
    h = xp.relu(xp.reshape(cols, (n * oh * ow, 9 * c)) @ w)           # (N OH OW, F)
    out = xp.reshape(h, (n, -1)) @ v
    return xp.sum(xp.square(out - y))


def layer_norm(xp, x, gamma, beta):
    mu = xp.mean(x, axis=-1, keepdims=True)
    return (x - mu) / xp.sqrt(xp.var(x, axis=-1, keepdims=True) + 1e-5) * gamma + beta


def gelu(xp, x):  # the tanh approximation
    return 0.5 * x * (1 + xp.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)))


def attention(xp, h, wq, wk, wv, wo, heads, mask):
    b, t, d = h.shape
    split = [xp.transpose(xp.reshape(h @ w, (b, t, heads, d // heads)), (0, 2, 1, 3))
             for w in (wq, wk, wv)]
    q, k, v = split
    scores = xp.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(d // heads)
    p = xp.softmax(xp.where(mask, scores, -1e9), axis=-1)
    out = xp.transpose(xp.einsum("bhqk,bhkd->bhqd", p, v), (0, 2, 1, 3))
    return xp.reshape(out, (b, t, d)) @ wo


def transformer_loss(xp, x, g1, c1, wq, wk, wv, wo, g2, c2, w1, b1, w2, b2, heads=4):
    t = x.shape[1]
    mask = np.tril(np.ones((t, t), dtype=bool))
    x = x + attention(xp, layer_norm(xp, x, g1, c1), wq, wk, wv, wo, heads, mask)
    x = x + gelu(xp, layer_norm(xp, x, g2, c2) @ w1 + b1) @ w2 + b2
    return xp.mean(xp.square(x))


def rnn_loss(xp, xs, y, h0, wx, wh, b, wy):
    h = h0
    for t in range(xs.shape[0]):
        h = xp.tanh(xs[t] @ wx + h @ wh + b)
    return xp.sum(xp.square(h @ wy - y))


# --- inputs and the graphgrad graphs -----------------------------------------------------------

def cnn_inputs(batch=64, channels=(3, 16, 32), size=32, classes=10):
    c0, c1, c2 = channels
    flat = c2 * (size // 4) ** 2
    return {"x": (batch, c0, size, size), "labels": ((batch, 1), "int64"), "w1": (c1, c0, 3, 3),
            "w2": (c2, c1, 3, 3), "v": (flat, classes), "b": (classes,)}


def im2col_cnn_inputs(batch=2, channels=3, size=6, filters=4, outputs=3):
    return {"x": (batch, channels, size, size), "y": (batch, outputs), "w": (9 * channels, filters),
            "v": (filters * (size - 2) ** 2, outputs)}


def transformer_inputs(batch=8, tokens=64, width=128, hidden=512):
    d, f = width, hidden
    return {"x": (batch, tokens, d), "g1": (d,), "c1": (d,), "wq": (d, d), "wk": (d, d),
            "wv": (d, d), "wo": (d, d), "g2": (d,), "c2": (d,), "w1": (d, f), "b1": (f,),
            "w2": (f, d), "b2": (d,)}


def rnn_inputs(steps=20, batch=4, features=3, hidden=5, outputs=2):
    return {"xs": (steps, batch, features), "y": (batch, outputs), "h0": (batch, hidden),
            "wx": (features, hidden), "wh": (hidden, hidden), "b": (hidden,), "wy": (hidden, outputs)}


def build(name, loss, inputs, **kw):
    """The graphgrad graph of `loss(GG, *inputs, **kw)`, inputs declared as `inputs` says."""
    g = gg.Graph(name)
    args = [g.input(n, *(s if isinstance(s[0], tuple) else (s,))) for n, s in inputs.items()]
    with g:
        value = loss(GG, *args, **kw)
    g.output("loss", value)
    return g


def random_inputs(inputs, seed=0, classes=None):
    """Arrays for `inputs`: weights (names starting with w or v) scaled by 1/sqrt(fan-in), gains
    (g*) near 1, biases small, int64 labels below `classes` (the last axis of v)."""
    rng = np.random.default_rng(seed)
    out = []
    for name, s in inputs.items():
        shape, dtype = s if isinstance(s[0], tuple) else (s, "float64")
        if dtype == "int64":
            out.append(rng.integers(0, classes, shape).astype(np.int64))
            continue
        a = rng.standard_normal(shape)
        if name[0] in "wv" and len(shape) > 1:
            a /= np.sqrt(np.prod(shape[1:]) if len(shape) == 4 else shape[0])
        elif name[0] == "g":
            a = 1 + 0.1 * a
        elif name[0] in "bc":
            a *= 0.1
        out.append(np.ascontiguousarray(a))
    return out
