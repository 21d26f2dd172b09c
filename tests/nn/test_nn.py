"""gg.nn against direct numpy (and jax) formulas: values, gradients by finite differences, the
Jacobian route against the VJP route, the numpy backend against the jax one, and user errors."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn

jax.config.update("jax_enable_x64", True)


def _np_layer_norm(x, gamma, beta, axes, eps=1e-5):
    m = x.mean(axis=axes, keepdims=True)
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * gamma + beta


def _np_batch_norm_nchw(x, gamma, beta, eps=1e-5):
    m = x.mean(axis=(0, 2, 3), keepdims=True)
    v = x.var(axis=(0, 2, 3), keepdims=True)
    return (x - m) / np.sqrt(v + eps) * gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)


def _np_log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _np_conv2d(x, w, b, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    out = np.zeros((n, o, h - kh + 1, wd - kw + 1))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = np.einsum("ncij,ocij->no", x[:, :, i:i + kh, j:j + kw], w)
    return out + b.reshape(1, -1, 1, 1)


def _np_attention(q, k, v, heads, causal):
    b, t, d = q.shape
    split = [a.reshape(b, a.shape[1], heads, -1).transpose(0, 2, 1, 3) for a in (q, k, v)]
    s = split[0] @ split[1].transpose(0, 1, 3, 2) / np.sqrt(d // heads)
    if causal:
        s = np.where(np.tril(np.ones((t, t), bool)), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return (p @ split[2]).transpose(0, 2, 1, 3).reshape(b, t, -1)


def _gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


_MASK = (np.random.default_rng(7).random((4, 6)) > 0.3).astype(float)
_LABELS = np.array([[0, 2, 1], [3, 3, 0]])
# name: (input specs, the nn call, the numpy reference); integer inputs are labels
CASES = {
    "linear": ({"x": (4, 3), "w": (3, 5), "b": (5,)}, lambda x, w, b: nn.linear(x, w, b),
               lambda x, w, b: x @ w + b),
    "linear_no_bias_3d": ({"x": (2, 4, 3), "w": (3, 5)}, lambda x, w: nn.linear(x, w),
                          lambda x, w: x @ w),
    "conv2d": ({"x": (2, 2, 5, 5), "w": (3, 2, 3, 3), "b": (3,)},
               lambda x, w, b: nn.conv2d(x, w, b, padding=1), lambda x, w, b: _np_conv2d(x, w, b, 1)),
    "layer_norm": ({"x": (3, 4, 6), "gamma": (6,), "beta": (6,)},
                   lambda x, g, b: nn.layer_norm(x, g, b), lambda x, g, b: _np_layer_norm(x, g, b, -1)),
    "layer_norm_two_axes": ({"x": (3, 4, 6), "gamma": (4, 6), "beta": (4, 6)},
                            lambda x, g, b: nn.layer_norm(x, g, b, axis=(1, 2)),
                            lambda x, g, b: _np_layer_norm(x, g, b, (1, 2))),
    "batch_norm": ({"x": (8, 3), "gamma": (3,), "beta": (3,)}, lambda x, g, b: nn.batch_norm(x, g, b),
                   lambda x, g, b: (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) * g + b),
    "batch_norm_nchw": ({"x": (4, 3, 2, 2), "gamma": (3,), "beta": (3,)},
                        lambda x, g, b: nn.batch_norm(x, g, b, axis=(0, 2, 3)), _np_batch_norm_nchw),
    "dropout": ({"x": (4, 6)}, lambda x: nn.dropout(x, _MASK, 0.3), lambda x: x * _MASK / 0.7),
    "gelu": ({"x": (3, 7)}, nn.gelu, _gelu),
    "cross_entropy_mean": ({"z": (2, 3, 4), "labels": ((2, 3), "int64")},
                           lambda z, l: nn.softmax_cross_entropy(z, l),
                           lambda z, l: -np.take_along_axis(_np_log_softmax(z), l[..., None], -1).mean()),
    "cross_entropy_none": ({"z": (2, 3, 4), "labels": ((2, 3), "int64")},
                           lambda z, l: nn.softmax_cross_entropy(z, l, reduction="none"),
                           lambda z, l: -np.take_along_axis(_np_log_softmax(z), l[..., None], -1)[..., 0]),
    "cross_entropy_sum_const_labels": ({"z": (2, 3, 4)},
                                       lambda z: nn.softmax_cross_entropy(z, _LABELS, reduction="sum"),
                                       lambda z: -np.take_along_axis(_np_log_softmax(z), _LABELS[..., None],
                                                                     -1).sum()),
    "mse": ({"p": (3, 4), "t": (3, 4)}, lambda p, t: nn.mse(p, t), lambda p, t: ((p - t) ** 2).mean()),
    "mse_sum_broadcast": ({"p": (3, 4), "t": (4,)}, lambda p, t: nn.mse(p, t, reduction="sum"),
                          lambda p, t: ((p - t) ** 2).sum()),
    "attention": ({"q": (2, 5, 8), "k": (2, 5, 8), "v": (2, 5, 8)},
                  lambda q, k, v: nn.multi_head_attention(q, k, v, heads=2),
                  lambda q, k, v: _np_attention(q, k, v, 2, False)),
    "attention_cross": ({"q": (2, 3, 8), "k": (2, 5, 8), "v": (2, 5, 4)},
                        lambda q, k, v: nn.multi_head_attention(q, k, v, heads=2),
                        lambda q, k, v: _np_attention(q, k, v, 2, False)),
    "attention_causal": ({"q": (2, 5, 8), "k": (2, 5, 8), "v": (2, 5, 8)},
                         lambda q, k, v: nn.multi_head_attention(q, k, v, heads=4, causal=True),
                         lambda q, k, v: _np_attention(q, k, v, 4, True)),
}


def build(name):
    """The case as a graph with outputs y (the nn result) and loss = sum(y * r), r fixed."""
    specs, call, _ = CASES[name]
    g = gg.Graph(name)
    with g:
        args = [g.input(n, *(s if isinstance(s[0], tuple) else (s,))) for n, s in specs.items()]
        y = call(*args)
        r = np.random.default_rng(3).standard_normal(y.shape)
        g.output("y", y)
        g.output("loss", gg.sum(y * r))
    return g


def inputs(name):
    rng = np.random.default_rng(0)
    out = {}
    for n, s in CASES[name][0].items():
        out[n] = rng.integers(0, 4, s[0]) if isinstance(s[0], tuple) else rng.standard_normal(s)
    return out


@pytest.mark.parametrize("name", CASES)
def test_values_match_numpy(name):
    g, args = build(name), inputs(name)
    got = gg.evaluate(g, **args)[0]
    np.testing.assert_allclose(got, CASES[name][2](*args.values()), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_gradients_match_finite_differences(name):
    assert gg.check_grads(build(name), of="loss", inputs=inputs(name)) < 1e-5


@pytest.mark.parametrize("name", CASES)
def test_jacobian_style_matches_vjp_style_and_jax_matches_numpy(name):
    g, args = build(name), inputs(name)
    routes = {style: gg.grad(g, of="loss", style=style) for style in ("jacobian", "vjp")}
    results = [gg.compile(routes["jacobian"], "numpy")(**args), gg.compile(routes["vjp"], "numpy")(**args),
               gg.compile(routes["vjp"], "jax")(**args)]
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-12)
    assert all(np.all(np.isfinite(np.asarray(a))) for a in results[0])


def test_attention_matches_jax_dot_product_attention():
    args = inputs("attention_causal")
    got = gg.evaluate(build("attention_causal"), **args)[0]
    q, k, v = (jnp.asarray(a).reshape(2, 5, 4, 2) for a in args.values())
    want = jax.nn.dot_product_attention(q, k, v, is_causal=True).reshape(2, 5, 8)
    np.testing.assert_allclose(got, want, rtol=1e-6)  # jax takes its softmax in float32


def test_gelu_is_jax_tanh_gelu():
    x = np.linspace(-4, 4, 21)
    got = gg.evaluate(build("gelu"), x=np.resize(x, (3, 7)))[0]
    np.testing.assert_allclose(got, jax.nn.gelu(np.resize(x, (3, 7)), approximate=True), rtol=1e-12)


def test_causal_attention_ignores_future_tokens():
    args = inputs("attention_causal")
    g = build("attention_causal")
    before = gg.evaluate(g, **args)[0]
    args["k"][:, -1] += 100.0
    args["v"][:, -1] -= 100.0
    after = gg.evaluate(g, **args)[0]
    np.testing.assert_allclose(after[:, :-1], before[:, :-1], rtol=1e-12)


def test_dropout_rate_zero_is_identity_and_float32_keeps_dtype():
    g = gg.Graph("d")
    with g:
        x = g.input("x", (2, 3), dtype="float32")
        y = nn.dropout(x, np.ones((2, 3)), 0.0)
        assert y is x
        g.output("y", nn.dropout(x, np.zeros((1, 3), bool), 0.5))
    assert g.outputs["y"].dtype == "float32"


def test_glorot_bounds_and_fans():
    rng = np.random.default_rng(0)
    w = nn.init.glorot((200, 300), rng)
    limit = np.sqrt(6 / 500)
    assert w.shape == (200, 300) and np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    assert abs(w.var() - limit ** 2 / 3) < 0.05 * limit ** 2
    assert nn.init.fans((8, 4, 3, 3)) == (36, 72)
    k = nn.init.glorot((8, 4, 3, 3), 1)
    assert np.abs(k).max() <= np.sqrt(6 / 108)
    np.testing.assert_array_equal(nn.init.glorot((3, 2), 5), nn.init.glorot((3, 2), np.random.default_rng(5)))
    assert nn.init.zeros(3).sum() == 0 and nn.init.ones((2, 2)).sum() == 4
    assert nn.init.normal((4,), 0, std=0.5).shape == (4,) and nn.init.he((5, 6), 0).dtype == np.float64
    with pytest.raises(gg.GraphError, match="shape"):
        nn.init.glorot((3, 0), rng)


def _graph(**specs):
    g = gg.Graph("errors")
    return g, [g.input(n, *(s if isinstance(s[0], tuple) else (s,))) for n, s in specs.items()]


@pytest.mark.parametrize("call, error, words", [
    (lambda z, l, f: nn.softmax_cross_entropy(z, f), gg.DTypeError, ["integer labels", "float64"]),
    (lambda z, l, f: nn.softmax_cross_entropy(z, np.array([0.0, 1.0, 2.0, 0.0])), gg.DTypeError,
     ["integer labels"]),
    (lambda z, l, f: nn.softmax_cross_entropy(z, l[:3]), gg.ShapeError, ["(4,)", "(3,)"]),
    (lambda z, l, f: nn.softmax_cross_entropy(z, l, reduction="avg"), gg.GraphError, ["reduction", "'avg'"]),
    (lambda z, l, f: nn.mse(z, z, reduction="max"), gg.GraphError, ["reduction"]),
    (lambda z, l, f: nn.mse(f, z), gg.ShapeError, ["(4, 6)", "(4,)"]),
    (lambda z, l, f: nn.linear(z, np.ones((5, 2))), gg.ShapeError, ["(4, 6)", "(5, 2)"]),
    (lambda z, l, f: nn.linear(z, np.ones((6, 2)), np.ones(3)), gg.ShapeError, ["b", "(2,)", "(3,)"]),
    (lambda z, l, f: nn.layer_norm(z, np.ones(4), np.zeros(6)), gg.ShapeError, ["gamma", "(6,)", "(4,)"]),
    (lambda z, l, f: nn.batch_norm(z, np.ones(6), np.zeros(4)), gg.ShapeError, ["beta", "(6,)", "(4,)"]),
    (lambda z, l, f: nn.dropout(z, np.ones((4, 6)), 1.0), gg.GraphError, ["rate", "[0, 1)"]),
    (lambda z, l, f: nn.dropout(z, np.ones((3, 6)), 0.5), gg.ShapeError, ["mask", "(3, 6)"]),
    (lambda z, l, f: nn.multi_head_attention(z.reshape(1, 4, 6), z.reshape(1, 4, 6), z.reshape(1, 4, 6),
                                             heads=4), gg.GraphError, ["heads=4", "6"]),
    (lambda z, l, f: nn.multi_head_attention(z, z, z, heads=2), gg.ShapeError, ["(B, T, D)", "(4, 6)"]),
])
def test_user_mistakes_are_clear_errors(call, error, words):
    g, (z, labels, floats) = _graph(z=(4, 6), labels=((4,), "int64"), floats=(4,))
    with g, pytest.raises(error) as info:
        call(z, labels, floats)
    for word in words:
        assert word in str(info.value)
    assert "test_nn.py" in str(info.value)  # the user's line


def test_conv2d_bias_must_match_output_channels():
    g, (x, w) = _graph(x=(1, 2, 5, 5), w=(3, 2, 3, 3))
    with g, pytest.raises(gg.ShapeError, match=r"b must have shape \(3,\), got \(2,\)"):
        nn.conv2d(x, w, np.zeros(2))
