"""Both gradient routes of real models after gg.optimize: a small CNN (conv/pool ops), a CNN whose
im2col the user wrote by hand (slices + concatenate + reshape + matmul on 4-d tensors), a
transformer block and a 20-step RNN. The Jacobian route and the VJP route give graphs of the same
size (±2 nodes), no flatten -> elementwise -> unflatten round trip is left, and both compute the
values jax.grad computes for the same model written in jax."""
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.graph import OPS
from bench import nets

jax = pytest.importorskip("jax")


@pytest.fixture(autouse=True)
def verify_on(monkeypatch):
    monkeypatch.setenv("GRAPHGRAD_VERIFY", "1")


MODELS = {  # name -> (loss, inputs, keyword arguments, number of classes for int labels)
    "cnn": (nets.cnn_loss, nets.cnn_inputs(batch=2, channels=(2, 3, 4), size=8, classes=3), {}, 3),
    "im2col_cnn": (nets.im2col_cnn_loss, nets.im2col_cnn_inputs(), {}, None),
    "transformer": (nets.transformer_loss, nets.transformer_inputs(batch=2, tokens=4, width=8, hidden=16),
                    {"heads": 2}, None),
    "rnn": (nets.rnn_loss, nets.rnn_inputs(steps=20), {}, None),
}

# optimized node counts, (Jacobian route, VJP route): a change in either is worth a look (the
# transformer: 174 before cse regrouped the product rule of GELU's x * x * x, 170 before -x moved
# outwards through sums, products and quotients)
NODES = {"cnn": (54, 54), "im2col_cnn": (63, 63), "transformer": (166, 166), "rnn": (430, 430)}


def routes(name):
    loss, inputs, kw, _ = MODELS[name]
    g = nets.build(name, loss, inputs, **kw)
    wrt = [n for n, s in inputs.items() if not isinstance(s[0], tuple)]  # not the int labels
    return wrt, {style: gg.optimize(gg.grad(g, wrt=wrt, style=style)) for style in ("jacobian", "vjp")}


def round_trips(graph) -> list:
    """reshape(f(..., reshape(a), ...)) with f elementwise and a of the outer reshape's shape: a
    value flattened, combined and unflattened, that f could have combined where it was."""
    found = []
    for node in graph.nodes:
        if node.op != "reshape":
            continue
        f = node.inputs[0]
        if getattr(OPS.get(f.op), "category", None) in ("unary", "binary", "compare", "cast") and any(
                v.op == "reshape" and v.inputs[0].shape == node.shape for v in f.inputs):
            found.append(node.ref)
    return found


@pytest.mark.parametrize("name", MODELS)
def test_routes_have_one_size_and_no_round_trip(name):
    _, opt = routes(name)
    jac, vjp = opt["jacobian"], opt["vjp"]
    assert not {n.op for n in jac.nodes} & gg.JACOBIAN_OPS
    assert abs(len(jac) - len(vjp)) <= 2, (len(jac), len(vjp))
    assert (len(jac), len(vjp)) == NODES[name]
    assert round_trips(jac) == [] and round_trips(vjp) == []
    assert sorted(n.op for n in jac.nodes) == sorted(n.op for n in vjp.nodes)


@pytest.mark.parametrize("name", MODELS)
def test_routes_compute_what_jax_grad_computes(name):
    jax.config.update("jax_enable_x64", True)
    loss, inputs, kw, classes = MODELS[name]
    wrt, opt = routes(name)
    args = nets.random_inputs(inputs, seed=1, classes=classes)
    ops = nets.jax_ops()
    argnums = tuple(list(inputs).index(n) for n in wrt)
    value, grads = jax.value_and_grad(lambda *a: loss(ops, *a, **kw), argnums=argnums)(*args)
    want = [np.asarray(value), *map(np.asarray, grads)]
    jac, vjp = (gg.evaluate(opt[s], *args) for s in ("jacobian", "vjp"))
    for a, b, w, what in zip(jac, vjp, want, ["loss", *wrt]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14, err_msg=f"{name} {what}: routes")
        np.testing.assert_allclose(a, w, rtol=1e-10, atol=1e-14, err_msg=f"{name} {what}: jax.grad")


def test_a_4d_round_trip_is_folded_at_any_rank():
    """The Jacobian step of relu after a user's reshape (N·P, F) -> (N, P·F) multiplies flattened
    values; the rewrite multiplies at (N·P, F) instead, as the VJP route does."""
    g = gg.Graph("g")
    x, v = g.input("x", (2, 3, 4, 5)), g.input("v", (2, 3, 4, 5))
    with g:
        h = gg.reshape(gg.relu(gg.reshape(x, (6, 20))), (2, 60))
        g.output("out", gg.sum(h * gg.reshape(v, (2, 60))))
    sizes = {}
    for style in ("jacobian", "vjp"):
        opt = gg.optimize(gg.grad(g, wrt=["x"], style=style))
        assert round_trips(opt) == [], style
        sizes[style] = len(opt)
        args = np.random.default_rng(0).standard_normal((2, 2, 3, 4, 5))
        np.testing.assert_allclose(gg.evaluate(opt, *args)[1], (args[0] > 0) * args[1], rtol=1e-12)
    assert sizes["jacobian"] == sizes["vjp"]
