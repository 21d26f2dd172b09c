"""Both gradient styles after gg.optimize: the Jacobian route ends up node for node the VJP route
(never more than 2 nodes larger, as the contract allows), and both compute the same values as the
unoptimized graphs and as hand-written backprop."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import graphgrad as gg


@pytest.fixture(autouse=True)
def verify_on(monkeypatch):
    monkeypatch.setenv("GRAPHGRAD_VERIFY", "1")


@gg.function
def two_layer_net(x: gg.f64[8, 5], y: gg.f64[8, 3], w1: gg.f64[5, 4], w2: gg.f64[4, 3]):
    h = x @ w1
    h_relu = gg.maximum(h, 0)
    y_pred = h_relu @ w2
    return gg.sum(gg.square(y_pred - y))


@gg.function
def mlp(x: gg.f64[6, 5], labels: gg.f64[6, 3], w1: gg.f64[5, 4], b1: gg.f64[4], w2: gg.f64[4, 3],
        b2: gg.f64[3]):
    h = gg.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    return -gg.mean(gg.sum(labels * gg.log_softmax(logits, axis=-1), axis=-1))


@gg.function
def cubic(x: gg.f64[40], y: gg.f64[40], a: gg.f64[()], b: gg.f64[()], c: gg.f64[()], d: gg.f64[()]):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    return gg.sum((y_pred - y) ** 2)


@gg.function
def elementwise(x: gg.f64[4, 3], w: gg.f64[3], s: gg.f64[()], m: gg.f64[4, 1]):
    a = gg.exp(x * w) / (1 + gg.sigmoid(x - m))
    b = gg.sqrt(gg.abs(x) + 1) * gg.relu(x) - gg.maximum(x, m) + gg.minimum(x, s)
    c = gg.where(x > 0, a, b) ** 3.0
    return gg.sum(gg.softmax(c, axis=0) * s) + gg.sum(gg.log(gg.square(x) + 1))


@gg.function
def wide(x: gg.f64[100, 30], y: gg.f64[100, 20], w: gg.f64[30, 20], b: gg.f64[20]):
    """Large enough (2000-element cotangents) that constant folding cannot do the rewrite's job."""
    return gg.sum(gg.square(gg.tanh(x @ w + b) - y)) / 100


@gg.function
def float32_net(x: gg.f32[5, 4], w: gg.f32[4, 2], v: gg.f32[2]):
    return gg.sum(gg.sigmoid(x @ w) * v)


MODELS = [two_layer_net, mlp, cubic, elementwise, wide, float32_net]


def random_inputs(g, seed):
    rng = np.random.default_rng(seed)
    return {n: rng.standard_normal(s.shape).astype(s.dtype) for n, s in g.inputs.items()}


def run(g, inputs):
    out = gg.evaluate(g, **inputs)
    return dict(zip(g.outputs, out if isinstance(out, tuple) else (out,)))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_jacobian_route_optimizes_to_the_vjp_route(model):
    jac, vjp = gg.grad(model, style="jacobian"), gg.grad(model, style="vjp")
    opt_jac, opt_vjp = gg.optimize(jac), gg.optimize(vjp)
    assert not {n.op for n in opt_jac.nodes} & gg.JACOBIAN_OPS
    assert len(opt_jac) <= len(opt_vjp) + 2
    assert str(opt_jac) == str(opt_vjp), "identical graphs, names and roles included"
    assert len(opt_vjp) <= len(vjp)
    rtol = 1e-10 if model.inputs[next(iter(model.inputs))].dtype == "float64" else 1e-5
    for seed in (0, 1, 2):
        inputs = random_inputs(model, seed)
        reference = run(jac, inputs)  # the explicit Jacobian products, evaluated as written
        for g in (vjp, opt_jac, opt_vjp):
            got = run(g, inputs)
            assert list(got) == list(reference)
            for name in reference:
                np.testing.assert_allclose(got[name], reference[name], rtol=rtol, atol=rtol * 1e-2)


def test_optimized_seed_gradients_equal_hand_written_backprop():
    g = gg.optimize(gg.grad(two_layer_net, wrt=["w1", "w2"], style="jacobian"))
    inputs = random_inputs(two_layer_net, 3)
    x, y, w1, w2 = (inputs[k] for k in ("x", "y", "w1", "w2"))
    h = x @ w1
    h_relu = np.maximum(h, 0)
    grad_y_pred = 2.0 * (h_relu @ w2 - y)
    grad_w2 = h_relu.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_h[h < 0] = 0
    got = run(g, inputs)
    np.testing.assert_allclose(got["grad_w2"], grad_w2, rtol=1e-12)
    np.testing.assert_allclose(got["grad_w1"], x.T.dot(grad_h), rtol=1e-12)
    assert [n.op for n in g.nodes].count("matmul") == 2 + 3  # forward 2; backward Xᵀ·G, G·Wᵀ, Hᵀ·G


def test_seed_size_graphs_meet_without_allocating_a_jacobian():
    """At the seeds' size the Kronecker Jacobian would be 5.1 GB; optimize only rewrites symbols."""
    from examples.two_layer_net import two_layer_net as seed

    jac = gg.grad(seed, wrt=["w1", "w2"], style="jacobian")
    assert gg.largest_intermediate(jac)[0] > 5e9
    opt = gg.optimize(jac)
    assert str(opt) == str(gg.optimize(gg.grad(seed, wrt=["w1", "w2"], style="vjp")))
    assert gg.largest_intermediate(opt)[0] == 1000 * 100 * 8
    assert opt.output_values["grad_w1"].name == "grad_w1"
    assert opt.output_values["grad_w1"].role == "backward"


def random_model(data):
    """A random scalar model: matmuls, broadcasting elementwise ops and reductions."""
    g = gg.Graph("random")
    with g:
        values = [g.input("x", (3, 4)), g.input("w", (4, 2)), g.input("b", (2,)), g.input("s", ())]
        for _ in range(data.draw(st.integers(1, 10), label="steps")):
            a = values[data.draw(st.integers(0, len(values) - 1))]
            b = values[data.draw(st.integers(0, len(values) - 1))]
            kind = data.draw(st.integers(0, 5))
            if kind == 0 and a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0]:
                values.append(a @ b)
            elif kind == 1 and a.ndim == 2:
                values.append(a.T @ gg.tanh(a))
            elif kind <= 3:
                try:
                    values.append([gg.multiply, gg.add, gg.subtract, gg.divide][data.draw(st.integers(0, 3))](
                        a, 1.5 + gg.square(b) if kind == 3 else b))
                except gg.ShapeError:
                    continue
            else:
                values.append([gg.tanh, gg.sigmoid, gg.exp, gg.relu][data.draw(st.integers(0, 3))](a * 0.3))
        g.output("loss", gg.sum(values[-1]) + gg.sum(values[data.draw(st.integers(0, len(values) - 1))]))
    return g


@settings(max_examples=30)
@given(st.data())
def test_random_models_meet_after_optimize(data):
    model = random_model(data)
    jac = gg.grad(model, style="jacobian")
    opt_jac, opt_vjp = gg.optimize(jac), gg.optimize(gg.grad(model, style="vjp"))
    assert str(opt_jac) == str(opt_vjp)
    inputs = random_inputs(model, 0)
    reference, got = run(jac, inputs), run(opt_jac, inputs)
    for name in reference:
        np.testing.assert_allclose(got[name], reference[name], rtol=1e-10, atol=1e-12)
