"""User mistakes with jvp, hvp, hessian and jacobian: one clear GraphError naming what and where."""
import numpy as np
import pytest

import graphgrad as gg


def graph(n=3):
    g = gg.Graph("f")
    x = g.input("x", (n,))
    with g:
        g.output("loss", gg.sum(gg.tanh(x)))
        g.output("positive", x > 0)
        g.output("vec", gg.exp(x))
    return g


def test_jacobian_of_a_boolean_or_integer_output_is_refused():
    with pytest.raises(gg.GraphError, match=r"of: output 'positive' is .*bool.*only float outputs"):
        gg.jacobian(graph(), of="positive")
    assert list(gg.jacobian(graph()).outputs)[-2:] == ["jac_loss_x", "jac_vec_x"]  # default: floats


def test_hessian_beyond_the_memory_budget_is_refused_before_any_work():
    with pytest.raises(gg.MemoryBudgetError, match=r"output 'hessian_x_x' of shape \(2000, 2000\) "
                       r"\(float64\) would take 32,000,000 bytes .* max_bytes=1,000,000; .*gg.hvp"):
        gg.hessian(graph(2000), of="loss", max_bytes=1_000_000)
    with pytest.raises(gg.MemoryBudgetError, match=r"output 'jac_vec_x' of shape \(2000, 2000\)"):
        gg.jacobian(graph(2000), of="vec", max_bytes=10**6)
    assert isinstance(gg.MemoryBudgetError("m"), gg.GraphError)


def test_a_dense_local_jacobian_beyond_the_budget_is_named():
    g = gg.Graph("f")
    x = g.input("x", (40, 30))
    with g:
        g.output("y", gg.sum(gg.softmax(x, axis=0) * 2.0))
    with pytest.raises(gg.MemoryBudgetError, match=r"Jacobian of softmax node %0 \(40, 30\) with "
                       r"respect to x \(40, 30\) would be a dense \(1200, 1200\) float64 matrix"):
        gg.jacobian(g, max_bytes=10**6)


def test_a_tangent_of_the_wrong_shape_names_the_input():
    g = gg.jvp(graph(), "x")
    f = gg.compile(g)
    with pytest.raises(ValueError, match=r"tangent_x.*\(3,\).*\(4,\)"):
        f(np.ones(3), np.ones(4))
    h = gg.compile(gg.hvp(graph(), of="loss"))
    with pytest.raises(ValueError, match=r"v_x.*\(3,\).*\(2, 2\)"):
        h(np.ones(3), np.ones((2, 2)))


@pytest.mark.parametrize("call, message", [
    (lambda g: gg.hvp(g), r"3 outputs \('loss', 'positive', 'vec'\).*of="),
    (lambda g: gg.hvp(g, of="vec"), "output 'vec' is .*grad needs a float scalar output"),
    (lambda g: gg.hessian(g, of="loss", wrt="nope"), "wrt: graph 'f' has no input 'nope'"),
    (lambda g: gg.jacobian(g, of="nope"), "of: graph 'f' has no output 'nope'"),
    (lambda g: gg.jacobian(g, of=["vec", "vec"]), "of lists an output twice"),
    (lambda g: gg.jacobian(g, mode="sideways"), "jacobian mode must be one of 'auto', 'fwd', 'rev'"),
    (lambda g: gg.hessian(g, of="loss", mode="sideways"), "jacobian mode must be one of"),
    (lambda g: gg.jacobian(g, max_bytes=-1), "max_bytes must be a non-negative int"),
    (lambda g: gg.hvp(g, of="loss", style="dense"), "hvp style must be one of"),
    (lambda g: gg.hvp(gg.hvp(g, of="loss"), of="loss"), "already has an input named 'v_x'"),
    (lambda g: gg.jacobian(gg.jacobian(g, of="vec"), of="vec"), "already has an output named 'jac_vec_x'"),
])
def test_mistakes_are_one_clear_error(call, message):
    with pytest.raises(gg.GraphError, match=message):
        call(graph())
