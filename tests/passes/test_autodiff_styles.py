"""The two gradient styles: same values without any rewriting, the Jacobian form's exact shape,
and the structure `grad` promises (roles, order, names, purity, fan-in, sum-to-shape)."""
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.graph import copy_graph, evaluate_all, largest_intermediate


def mlp(n=6, d_in=5, hidden=4, d_out=3):
    """The seed two-layer network at a chosen size."""
    @gg.function
    def two_layer(x: gg.f64[n, d_in], y: gg.f64[n, d_out], w1: gg.f64[d_in, hidden], w2: gg.f64[hidden, d_out]):
        h = x @ w1
        h_relu = gg.maximum(h, 0)
        y_pred = h_relu @ w2
        loss = gg.sum(gg.square(y_pred - y))
        return loss
    return two_layer


@gg.function
def mlp_bias(x: gg.f64[4, 3], w: gg.f64[3, 5], b: gg.f64[5], v: gg.f64[5, 2], labels: gg.f64[4, 2]):
    hidden = gg.tanh(x @ w + b)
    logits = hidden @ v
    return -gg.mean(gg.sum(gg.log_softmax(logits, axis=1) * labels, axis=1))


@gg.function
def mixed(a: gg.f64[2, 3], s: gg.f64[()], u: gg.f64[3]):
    z = gg.exp(a * s) / (1 + gg.square(u))
    top = gg.max(z, axis=0)
    return gg.sum(gg.sigmoid(top) * u) + gg.sum(gg.softmax(a, axis=0)[1:, :] @ u) + s * s


MODELS = [mlp(), mlp_bias, mixed]


def _random_inputs(g, seed=0):
    rng = np.random.default_rng(seed)
    return {n: rng.standard_normal(s.shape) for n, s in g.inputs.items()}


@pytest.mark.parametrize("g", MODELS, ids=lambda g: g.name)
def test_jacobian_style_without_rewriting_equals_vjp_style(g):
    values = _random_inputs(g)
    jac, vjp = gg.grad(g, style="jacobian"), gg.grad(g, style="vjp")
    ops_jac = {n.op for n in jac.nodes}
    assert "diag" in ops_jac and ("kron" in ops_jac or g is mixed)
    assert not {n.op for n in vjp.nodes} & gg.JACOBIAN_OPS
    a, b = gg.evaluate(jac, **values), gg.evaluate(vjp, **values)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)
    assert gg.check_grads(g, inputs=values) < 1e-5


@pytest.mark.parametrize("style", ["jacobian", "vjp"])
@pytest.mark.parametrize("g", MODELS, ids=lambda g: g.name)
def test_grad_appends_backward_nodes_to_a_copy(g, style):
    before = str(g)
    dg = gg.grad(g, style=style).verify()
    assert str(g) == before, "grad mutated its input graph"
    assert list(dg.outputs) == list(g.outputs) + [f"grad_{n}" for n in g.inputs]
    forward = dg.nodes[:len(g)]
    assert [(n.op, n.shape, n.role, n.name) for n in forward] == \
        [(n.op, n.shape, n.role, n.name) for n in g.nodes]
    assert len(dg) > len(g) and all(n.role == "backward" for n in dg.nodes[len(g):])
    for name, spec in g.inputs.items():
        assert dg.outputs[f"grad_{name}"] == spec
    assert dg.passes == g.passes + (f"grad-{style}",)


def test_wrt_order_and_default_style_is_jacobian():
    g = mlp()
    dg = gg.grad(g, ["w2", "x"])
    assert list(dg.outputs) == ["out", "grad_w2", "grad_x"]
    assert {"kron", "diag", "eye"} <= {n.op for n in dg.nodes}
    assert list(gg.grad(g, "w1", style="vjp").outputs) == ["out", "grad_w1"]


def _producer(dg, output):
    return dg.output_values[output]


def test_jacobian_form_of_matmul_is_the_fixed_kronecker_pattern():
    """dB = reshape(matmul(transpose(kron(A, eye(k))), reshape(G, (N,))), B.shape), and dA uses
    kron(eye(m), transpose(B)) with the very transpose(B) node of the VJP rule."""
    g = mlp()
    dg = gg.grad(g, ["w1", "w2"], style="jacobian")
    w2, h_relu = g.input_values["w2"], g.nodes[2]
    out = _producer(dg, "grad_w2")
    assert (out.op, out.shape, out.name) == ("reshape", w2.shape, "grad_w2")
    product = out.inputs[0]
    jt, vec_g = product.inputs
    assert product.op == "matmul" and jt.op == "transpose" and jt.attrs["axes"] == (1, 0)
    kron = jt.inputs[0]
    assert kron.op == "kron" and kron.inputs[0].name == "h_relu" and kron.inputs[1].op == "eye"
    assert kron.inputs[1].attrs == {"n": 3, "dtype": "float64"} and kron.shape == (6 * 3, 4 * 3)
    assert vec_g.op == "reshape" and vec_g.attrs["shape"] == (18,) and vec_g.inputs[0].name == "grad_y_pred"
    # dA of the same matmul: kron(eye(m), transpose(w2)) applied to the same vec(G) node
    grad_h_relu = next(n for n in dg.nodes if n.name == "grad_h_relu")
    kron_a = grad_h_relu.inputs[0].inputs[0].inputs[0]
    assert kron_a.op == "kron" and kron_a.inputs[0].op == "eye" and kron_a.inputs[0].attrs["n"] == 6
    assert kron_a.inputs[1].op == "transpose" and kron_a.inputs[1].inputs[0].name == "w2"
    assert grad_h_relu.inputs[0].inputs[1] is vec_g, "one vec(G) node per cotangent"
    assert h_relu.name == "h_relu"


def test_jacobian_form_of_an_elementwise_op_is_a_diagonal():
    g = gg.Graph("ew")
    x, b = g.input("x", (2, 3)), g.input("b", (3,))
    with g:
        g.output("loss", gg.sum(gg.exp(x) * b))
    dg = gg.grad(g, "b", style="jacobian")
    grad_b = _producer(dg, "grad_b")
    assert grad_b.op == "sum_to" and grad_b.attrs["shape"] == (3,)
    reshape = grad_b.inputs[0]
    jt, vec_g = reshape.inputs[0].inputs
    diag = jt.inputs[0]
    assert diag.op == "diag" and diag.shape == (6, 6)
    flat = diag.inputs[0]
    assert flat.op == "reshape" and flat.inputs[0].op == "exp" and vec_g.attrs["shape"] == (6,)
    # the broadcast operand's partial is broadcast to the output shape first
    dg_x = gg.grad(g, "x", style="jacobian")
    diag_x = next(n for n in dg_x.nodes if n.op == "diag")
    assert diag_x.inputs[0].inputs[0].op == "broadcast_to" and diag_x.inputs[0].inputs[0].inputs[0] is \
        dg_x.input_values["b"]


def test_vjp_names_read_like_the_seed_backprop():
    dg = gg.grad(mlp(), style="vjp")
    grad_w2 = _producer(dg, "grad_w2")
    assert grad_w2.name == "grad_w2" and grad_w2.op == "matmul"
    h_relu_t, grad_y_pred = grad_w2.inputs
    assert h_relu_t.op == "transpose" and h_relu_t.inputs[0].name == "h_relu"
    assert grad_y_pred.name == "grad_y_pred"
    names = {n.name for n in dg.nodes if n.role == "backward"}
    assert {"grad_loss", "grad_y_pred", "grad_h_relu", "grad_h", "grad_w1", "grad_x", "grad_y"} <= names
    assert "dh_relu_dh" in names  # the elementwise partial of a named value w.r.t. a named operand


def test_partials_of_one_and_minus_one_multiply_nothing():
    g = gg.Graph("lin")
    a, b = g.input("a", (3,)), g.input("b", (3,))
    with g:
        g.output("loss", gg.sum(a - b))
    for style in ("vjp", "jacobian"):
        dg = gg.grad(g, style=style)
        backward = [n.op for n in dg.nodes if n.role == "backward"]
        assert "multiply" not in backward and "diag" not in backward
        assert _producer(dg, "grad_b").op == "negative"


def test_fan_in_is_summed_with_add_and_broadcasts_with_sum_to():
    g = gg.Graph("fan")
    x, b = g.input("x", (2, 3)), g.input("b", (1, 3))
    with g:
        g.output("loss", gg.sum(x * x + b))
    dg = gg.grad(g, style="vjp")
    grad_x, grad_b = _producer(dg, "grad_x"), _producer(dg, "grad_b")
    assert grad_x.op == "add" and grad_x.name == "grad_x"
    assert grad_b.op == "sum_to" and grad_b.attrs["shape"] == (1, 3)
    xv = np.arange(6.0).reshape(2, 3)
    _, gx, gb = gg.evaluate(dg, xv, np.zeros((1, 3)))
    np.testing.assert_array_equal(gx, 2 * xv)
    np.testing.assert_array_equal(gb, [[2.0, 2.0, 2.0]])


def test_only_what_is_needed_is_built():
    """wrt one input: no backward node feeds the gradient of another (zeros stay symbolic)."""
    g = mlp()
    dg = gg.grad(g, "w2", style="vjp")
    backward = [n for n in dg.nodes if n.role == "backward"]
    used = {v for n in dg.nodes for v in n.inputs} | set(dg.output_values.values())
    assert all(n in used for n in backward), "grad built dead nodes"
    assert not any(n.name in ("grad_h_relu", "grad_x") for n in backward)


def test_memory_estimate_of_the_seed_network_in_jacobian_style():
    """Before rewriting, the seed network's backward graph holds the 6400 x 100000 kron(x, I)."""
    g = mlp(64, 1000, 100, 10)
    dg = gg.grad(g, style="jacobian")  # never evaluated: that kron alone is 5.12 GB
    size, node = largest_intermediate(dg)
    assert node.op == "kron" and node.shape == (6400, 100000) and size == 6400 * 100000 * 8
    assert node.inputs[0] is dg.input_values["x"] and node.inputs[1].attrs["n"] == 100
    vjp_size, _ = largest_intermediate(gg.grad(g, style="vjp"))
    assert vjp_size == 1000 * 100 * 8  # w1-sized: transpose(w1) and grad_w1


def test_float32_graph_gets_float32_gradients():
    g = gg.Graph("f32")
    x = g.input("x", (3,), "float32")
    with g:
        g.output("loss", gg.sum(gg.tanh(x) * 2))
    for style in ("vjp", "jacobian"):
        dg = gg.grad(g, style=style)
        assert all(n.dtype in ("float32", "bool") for n in dg.nodes)
        xv = np.array([0.1, -0.5, 2.0], np.float32)
        env = evaluate_all(dg, {"x": xv})
        got = env[dg.output_values["grad_x"]]
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, 2 / np.cosh(xv.astype(np.float64)) ** 2, rtol=1e-6)


@pytest.mark.parametrize("g", MODELS + [mlp(64, 1000, 100, 10)], ids=lambda g: f"{g.name}{len(g.inputs)}")
def test_jacobian_form_is_what_optimize_rewrites(g):
    """The fixed Jacobian form meets passes.rewrite_jacobians: after gg.optimize no Jacobian node
    is left, the graph is no larger than the optimized VJP graph, and the values agree."""
    jac, vjp = gg.optimize(gg.grad(g, style="jacobian")), gg.optimize(gg.grad(g, style="vjp"))
    assert not {n.op for n in jac.nodes} & gg.JACOBIAN_OPS
    assert len(jac) <= len(vjp) + 2
    values = _random_inputs(g, seed=2)
    for x, y in zip(gg.evaluate(jac, **values), gg.evaluate(vjp, **values)):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)


def test_second_order_through_a_gradient_graph():
    """grad of a gradient graph (its gradient re-exported under another name) matches jax, in
    both styles: a Jacobian-style one has its Jacobian products rewritten first."""
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    @gg.function
    def f(x: gg.f64[()], w: gg.f64[3]):
        return gg.sum(gg.tanh(w * x) ** 3)

    def first(style):
        d1 = gg.grad(f, "x", style=style)
        h, old_to_new = copy_graph(d1, outputs=False)
        h.output("dfdx", old_to_new[d1.output_values["grad_x"]])
        return h
    w = np.array([0.3, -0.7, 1.1])
    want = jax.grad(jax.grad(lambda x: jnp.sum(jnp.tanh(w * x) ** 3)))(0.4)
    for style in ("vjp", "jacobian"):
        got = gg.evaluate(gg.grad(first(style), "x", style=style), 0.4, w)[-1]
        np.testing.assert_allclose(got, want, rtol=1e-12)
