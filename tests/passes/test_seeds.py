"""The seed programs as tests: graphgrad's gradients equal the hand-written backprop of each."""
import math

import numpy as np
import pytest

import graphgrad as gg

STYLES = ["vjp", "jacobian"]


def two_layer(n, d_in, hidden, d_out):
    @gg.function
    def net(x: gg.f64[n, d_in], y: gg.f64[n, d_out], w1: gg.f64[d_in, hidden], w2: gg.f64[hidden, d_out]):
        h = x @ w1
        h_relu = gg.maximum(h, 0)
        y_pred = h_relu @ w2
        loss = gg.sum(gg.square(y_pred - y))
        return loss
    return net


def hand_backprop(x, y, w1, w2):
    """The seed's numpy backprop, verbatim."""
    h = x.dot(w1)
    h_relu = np.maximum(h, 0)
    y_pred = h_relu.dot(w2)
    loss = np.square(y_pred - y).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T.dot(grad_y_pred)
    grad_h_relu = grad_y_pred.dot(w2.T)
    grad_h = grad_h_relu.copy()
    grad_h[h < 0] = 0
    grad_w1 = x.T.dot(grad_h)
    return loss, grad_w1, grad_w2


@pytest.mark.parametrize("style, sizes", [("vjp", (64, 1000, 100, 10)), ("vjp", (8, 5, 4, 3)),
                                          ("jacobian", (8, 5, 4, 3)), ("jacobian", (16, 12, 6, 2))])
def test_two_layer_network_matches_hand_written_backprop(style, sizes):
    net = two_layer(*sizes)
    rng = np.random.default_rng(1)
    x, y, w1, w2 = (rng.standard_normal(s.shape) for s in net.inputs.values())
    loss, grad_w1, grad_w2 = gg.evaluate(gg.grad(net, ["w1", "w2"], style=style), x, y, w1, w2)
    want_loss, want_w1, want_w2 = hand_backprop(x, y, w1, w2)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-12)
    np.testing.assert_allclose(grad_w1, want_w1, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad_w2, want_w2, rtol=1e-10, atol=1e-10)


@gg.function
def cubic(x: gg.f64[2000], y: gg.f64[2000], a: gg.f64[()], b: gg.f64[()], c: gg.f64[()], d: gg.f64[()]):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = gg.sum((y_pred - y) ** 2)
    return loss


@pytest.mark.parametrize("style", STYLES)
def test_cubic_fit_scalar_gradients(style):
    x = np.linspace(-math.pi, math.pi, 2000)
    y = np.sin(x)
    rng = np.random.default_rng(0)
    a, b, c, d = rng.standard_normal(4)
    dg = gg.grad(cubic, ["a", "b", "c", "d"], style=style)
    if style == "jacobian":  # 2000 x 2000 diagonals: fine to evaluate at this size
        assert "diag" in {n.op for n in dg.nodes}
    loss, *grads = gg.evaluate(dg, x, y, a, b, c, d)
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    grad_y_pred = 2.0 * (y_pred - y)
    np.testing.assert_allclose(loss, np.square(y_pred - y).sum(), rtol=1e-12)
    for k, got in enumerate(grads):
        assert got.shape == ()
        np.testing.assert_allclose(got, (grad_y_pred * x ** k).sum(), rtol=1e-10, atol=1e-9)


@gg.function
def linear(x: gg.f64[2, 2], w: gg.f64[2, 3], c: gg.f64[2, 3]):
    y = x @ w
    return gg.sum(y * c)


@pytest.mark.parametrize("style", STYLES)
def test_linear_layer_gives_c_wt_and_xt_c(style):
    rng = np.random.default_rng(3)
    x, w, c = (rng.standard_normal(s.shape) for s in linear.inputs.values())
    _, grad_x, grad_w = gg.evaluate(gg.grad(linear, ["x", "w"], style=style), x, w, c)
    np.testing.assert_allclose(grad_x, c @ w.T, rtol=1e-13)
    np.testing.assert_allclose(grad_w, x.T @ c, rtol=1e-13)
    if style == "jacobian":  # the explicit Jacobians themselves, row-major
        dg = gg.grad(linear, ["x", "w"], style=style)
        env = gg.graph.evaluate_all(dg, {"x": x, "w": w, "c": c})
        krons = [env[n] for n in dg.nodes if n.op == "kron"]
        np.testing.assert_array_equal(krons[0], np.kron(np.eye(2), w.T))  # d vec(XW) / d vec(X)
        np.testing.assert_array_equal(krons[1], np.kron(x, np.eye(3)))    # d vec(XW) / d vec(W)
