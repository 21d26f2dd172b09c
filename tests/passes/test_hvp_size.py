"""Simplified higher-order code: after `optimize`, the HVP graph of each bench model (at small
sizes) has no more nodes than jax's jaxpr of jax.jvp(jax.grad(f)) has equations, in both styles,
and its generated code reads as one forward, one backward and one tangent pass."""
import jax
import numpy as np
import pytest

import graphgrad as gg
from bench import models

jax.config.update("jax_enable_x64", True)


@gg.function
def small_mlp(x: gg.f64[8, 12], y: gg.f64[8, 10], w1: gg.f64[12, 16], b1: gg.f64[16],
              w2: gg.f64[16, 16], b2: gg.f64[16], w3: gg.f64[16, 10], b3: gg.f64[10]):
    """bench.models.mlp at a small size (the same expression)."""
    h1 = gg.tanh(x @ w1 + b1)
    h2 = gg.tanh(h1 @ w2 + b2)
    logits = h2 @ w3 + b3
    return -gg.sum(y * gg.log_softmax(logits, axis=1)) / 8


@gg.function
def small_net(x: gg.f64[8, 20], y: gg.f64[8, 3], w1: gg.f64[20, 6], w2: gg.f64[6, 3]):
    """bench.models.two_layer_net at a small size."""
    h = x @ w1
    h_relu = gg.maximum(h, 0)
    y_pred = h_relu @ w2
    return gg.sum(gg.square(y_pred - y))


MODELS = {
    "seed": (small_net, models.two_layer_net_jax, ["w1", "w2"]),
    "mlp": (small_mlp, models.mlp_jax, ["w1", "b1", "w2", "b2", "w3", "b3"]),
    "deep": (models.deep_chain(layers=6, width=8, batch=4), models.deep_jax, [f"w{i}" for i in range(6)]),
}


def jaxpr_equations(g, jax_loss, wrt) -> int:
    """Equations of make_jaxpr(jax.jvp(jax.grad(f))), f the loss of the weights (data closed over)."""
    args = models.random_inputs(g)
    index = [list(g.inputs).index(w) for w in wrt]

    def f(*ws):
        full = list(args)
        for i, w in zip(index, ws):
            full[i] = w
        return jax_loss(*full)
    ws = tuple(args[i] for i in index)
    argnums = tuple(range(len(ws)))
    jaxpr = jax.make_jaxpr(lambda ws, vs: jax.jvp(jax.grad(f, argnums), ws, vs))(ws, ws)
    return len(jaxpr.jaxpr.eqns)


@pytest.mark.parametrize("model", list(MODELS))
def test_the_optimized_hvp_is_no_larger_than_jaxs(model):
    g, jax_loss, wrt = MODELS[model]
    budget = jaxpr_equations(g, jax_loss, wrt)
    args = models.random_inputs(g)
    rng = np.random.default_rng(1)
    vs = [rng.standard_normal(g.inputs[w].shape) for w in wrt]
    index = [list(g.inputs).index(w) for w in wrt]

    def f(*ws):
        full = list(args)
        for i, w in zip(index, ws):
            full[i] = w
        return jax_loss(*full)
    want = jax.jvp(jax.grad(f, tuple(range(len(wrt)))), tuple(args[i] for i in index), tuple(vs))[1]
    for style in ("vjp", "jacobian"):
        h = gg.optimize(gg.hvp(g, wrt, style=style))
        assert len(h) <= budget, f"{model} {style}: {len(h)} nodes, jax's jaxpr {budget} equations"
        source = gg.codegen.emit(h)
        sections = [line.strip() for line in source.splitlines() if line.strip().endswith(" pass")]
        assert sections == ["# forward pass", "# backward pass", "# tangent pass"], sections
        got = gg.compile(h)(*args, *vs)[1:]
        for a, e in zip(got, want):
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)
