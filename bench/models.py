"""The benchmark models, each three ways: a graphgrad graph, hand-written numpy backprop, and a
jax loss for `jax.value_and_grad`. All float64; the same loss and gradients in every version."""
from __future__ import annotations

import numpy as np

import graphgrad as gg


# --- (a) the seed two-layer network: 64x1000 -> 100 (relu) -> 10, sum of squares ----------------

@gg.function
def two_layer_net(x: gg.f64[64, 1000], y: gg.f64[64, 10], w1: gg.f64[1000, 100], w2: gg.f64[100, 10]):
    h = x @ w1
    h_relu = gg.maximum(h, 0)
    y_pred = h_relu @ w2
    return gg.sum(gg.square(y_pred - y))


def two_layer_net_numpy(x, y, w1, w2):
    """The seed's hand-written backprop."""
    h = x @ w1
    h_relu = np.maximum(h, 0)
    y_pred = h_relu @ w2
    loss = np.square(y_pred - y).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T @ grad_y_pred
    grad_h_relu = grad_y_pred @ w2.T
    grad_h = grad_h_relu.copy()
    grad_h[h < 0] = 0
    grad_w1 = x.T @ grad_h
    return loss, grad_w1, grad_w2


def two_layer_net_jax(x, y, w1, w2):
    import jax.numpy as jnp

    return jnp.sum(jnp.square(jnp.maximum(x @ w1, 0) @ w2 - y))


# --- (b) a 784-1024-1024-10 tanh MLP with biases and softmax cross-entropy, batch 256 -------------

@gg.function
def mlp(x: gg.f64[256, 784], y: gg.f64[256, 10], w1: gg.f64[784, 1024], b1: gg.f64[1024],
        w2: gg.f64[1024, 1024], b2: gg.f64[1024], w3: gg.f64[1024, 10], b3: gg.f64[10]):
    h1 = gg.tanh(x @ w1 + b1)
    h2 = gg.tanh(h1 @ w2 + b2)
    logits = h2 @ w3 + b3
    return -gg.sum(y * gg.log_softmax(logits, axis=1)) / 256


def mlp_numpy(x, y, w1, b1, w2, b2, w3, b3):
    """Careful hand-written backprop (y one-hot, so d loss / d logits = (softmax - y) / n)."""
    n = x.shape[0]
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.tanh(h1 @ w2 + b2)
    logits = h2 @ w3 + b3
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -(y * log_p).sum() / n
    g_logits = (np.exp(log_p) - y) / n
    g_w3, g_b3 = h2.T @ g_logits, g_logits.sum(axis=0)
    g_a2 = (g_logits @ w3.T) * (1 - h2 * h2)
    g_w2, g_b2 = h1.T @ g_a2, g_a2.sum(axis=0)
    g_a1 = (g_a2 @ w2.T) * (1 - h1 * h1)
    g_w1, g_b1 = x.T @ g_a1, g_a1.sum(axis=0)
    return loss, g_w1, g_b1, g_w2, g_b2, g_w3, g_b3


def mlp_jax(x, y, w1, b1, w2, b2, w3, b3):
    import jax
    import jax.numpy as jnp

    h1 = jnp.tanh(x @ w1 + b1)
    h2 = jnp.tanh(h1 @ w2 + b2)
    return -jnp.sum(y * jax.nn.log_softmax(h2 @ w3 + b3, axis=1)) / x.shape[0]


# --- (c) 64 tanh layers of 64x64 at batch 32 (per-call overhead dominates) ------------------------

def deep_chain(layers=64, width=64, batch=32, name="deep"):
    """`layers` tanh layers h = tanh(h @ w_i), loss = sum((h - y)^2); inputs x, y, w0..w{L-1}."""
    g = gg.Graph(name)
    h = x = g.input("x", (batch, width))
    y = g.input("y", (batch, width))
    ws = [g.input(f"w{i}", (width, width)) for i in range(layers)]
    with g:
        for w in ws:
            h = gg.tanh(h @ w)
        loss = gg.sum(gg.square(h - y))
    del x
    g.output("loss", loss)
    return g


def deep_numpy(x, y, *ws):
    hs = [x]
    for w in ws:
        hs.append(np.tanh(hs[-1] @ w))
    d = hs[-1] - y
    loss = np.sum(d * d)
    g = 2.0 * d
    grads = [None] * len(ws)
    for i in range(len(ws) - 1, -1, -1):
        g = g * (1 - hs[i + 1] * hs[i + 1])
        grads[i] = hs[i].T @ g
        if i:
            g = g @ ws[i].T
    return (loss, *grads)


def deep_jax(x, y, *ws):
    import jax.numpy as jnp

    h = x
    for w in ws:
        h = jnp.tanh(h @ w)
    return jnp.sum(jnp.square(h - y))


def random_inputs(g, seed=0):
    """Inputs for a graph: standard normal, weights scaled by 1/sqrt(fan-in), y one-hot if it has
    10 columns (the classifier), so that all three versions compute the same numbers."""
    rng = np.random.default_rng(seed)
    out = []
    for name, spec in g.inputs.items():
        a = rng.standard_normal(spec.shape)
        if name.startswith("w"):
            a /= np.sqrt(spec.shape[0])
        elif name.startswith("b"):
            a *= 0.1
        elif name == "y" and g.name == "mlp":
            a = np.eye(spec.shape[1])[rng.integers(0, spec.shape[1], spec.shape[0])]
        out.append(np.ascontiguousarray(a, dtype=spec.dtype))
    return out
