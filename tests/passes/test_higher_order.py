"""Grad of grad through the public API: names, records, the default output, both styles."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import graphgrad as gg

jax.config.update("jax_enable_x64", True)

FUNCTIONS = {"tanh": (gg.tanh, jnp.tanh), "sigmoid": (gg.sigmoid, jax.nn.sigmoid),
             "cube": (lambda x: x ** 3, lambda x: x ** 3)}


def scalar_graph(fn):
    g = gg.Graph("f")
    x = g.input("x", ())
    with g:
        g.output("out", fn(x))
    return g


@pytest.mark.parametrize("style", ["vjp", "jacobian"])
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_third_derivatives_of_a_scalar_function(name, style):
    ours, theirs = FUNCTIONS[name]
    g3 = gg.grad(gg.grad(gg.grad(scalar_graph(ours), style=style), style=style), style=style)
    assert list(g3.outputs) == ["out", "grad_x", "grad2_x", "grad3_x"]
    assert g3.gradients == {"grad_x": ("x", 1), "grad2_x": ("x", 2), "grad3_x": ("x", 3)}
    x = np.linspace(-1.5, 1.5, 7)
    expected = [jax.grad(theirs)(v) for v in x], [jax.grad(jax.grad(theirs))(v) for v in x], \
        [jax.grad(jax.grad(jax.grad(theirs)))(v) for v in x]
    for graph in (g3, gg.optimize(g3)):
        f = gg.compile(graph, optimize=False, max_bytes=None)
        got = np.array([f(v)[1:] for v in x]).T
        for a, e in zip(got, expected):
            np.testing.assert_allclose(a, np.array(e), rtol=1e-12, atol=1e-14)


def test_grad_of_a_jacobian_style_gradient_rewrites_its_jacobians_first():
    g = gg.Graph("f")
    x, w = g.input("x", (3,)), g.input("w", (3, 2))
    with g:
        g.output("loss", gg.sum(gg.tanh(x @ w)))
    first = gg.grad(g, wrt="x")
    assert any(n.op in gg.JACOBIAN_OPS for n in first.nodes)
    second = gg.grad(first, of="loss", wrt="x", prefix="again_")
    assert "rewrite-jacobians" in second.passes and list(second.outputs)[-1] == "again_x"
    assert second.gradients["again_x"] == ("x", 1)
    values = [np.arange(3.0) / 3, np.ones((3, 2)) / 2]
    got = gg.evaluate(second, *values)
    np.testing.assert_allclose(got[2], got[1], rtol=1e-14)


def test_the_default_output_is_the_only_one_of_the_highest_order():
    g = gg.Graph("f")
    a, b = g.input("a", ()), g.input("b", ())
    with g:
        g.output("loss", a * b ** 2)
    two = gg.grad(g)
    with pytest.raises(gg.GraphError, match=r"2 gradient outputs of order 1 \('grad_a', 'grad_b'\).*of="):
        gg.grad(two)
    mixed = gg.grad(two, of="grad_b")  # ∂/∂(a, b) of ∂loss/∂b = 2ab
    assert list(mixed.outputs)[-2:] == ["grad2_a", "grad2_b"]
    np.testing.assert_allclose(gg.evaluate(mixed, 3.0, 5.0)[-2:], [10.0, 6.0])
    with pytest.raises(gg.GraphError, match="already has an output named 'grad_a'"):
        gg.grad(two, of="loss", prefix="grad_")


def test_check_grads_on_a_gradient_graph_checks_the_second_derivative():
    g = scalar_graph(gg.tanh)
    assert gg.check_grads(gg.grad(g), inputs={"x": np.array(0.4)}) < 1e-6
