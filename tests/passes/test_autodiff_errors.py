"""User mistakes in `gg.grad` raise one clear GraphError; an unused input gets zeros, like jax."""
import numpy as np
import pytest

import graphgrad as gg


@gg.function
def two_outputs(x: gg.f64[3], flag: gg.f64[3]):
    return {"total": gg.sum(x), "doubled": x * 2}


@gg.function
def with_mask(x: gg.f64[3], w: gg.f64[3]):
    return gg.sum(gg.where(x > 0, x, w))


def test_several_outputs_need_of():
    with pytest.raises(gg.GraphError, match="2 outputs.*of="):
        gg.grad(two_outputs)
    dg = gg.grad(two_outputs, "x", of="total")
    assert list(dg.outputs) == ["total", "doubled", "grad_x"]


def test_of_must_name_a_scalar_output():
    with pytest.raises(gg.GraphError, match=r"'doubled' is f64\[3\].*scalar"):
        gg.grad(two_outputs, of="doubled")
    with pytest.raises(gg.GraphError, match="no output 'nope'"):
        gg.grad(two_outputs, of="nope")


def test_wrt_must_name_float_inputs():
    with pytest.raises(gg.GraphError, match="no input 'z'"):
        gg.grad(with_mask, "z")
    with pytest.raises(gg.GraphError, match="no input 'z'"):
        gg.grad(with_mask, ["x", "z"])
    with pytest.raises(gg.GraphError, match="no input 3"):
        gg.grad(with_mask, [3])
    with pytest.raises(gg.GraphError, match="twice"):
        gg.grad(with_mask, ["x", "x"])


def test_bad_style_and_output_name_clash():
    with pytest.raises(gg.GraphError, match="style"):
        gg.grad(with_mask, style="forward")
    g = gg.Graph("clash")
    x = g.input("x", ())
    with g:
        g.output("loss", x * x)
        g.output("grad_x", x)
    with pytest.raises(gg.GraphError, match="already has an output named 'grad_x'"):
        gg.grad(g, of="loss")


@pytest.mark.parametrize("style", ["jacobian", "vjp"])
def test_an_input_the_output_does_not_depend_on_gets_zeros(style):
    dg = gg.grad(two_outputs, of="total", style=style).verify()
    x = np.array([1.0, -2.0, 3.0])
    total, doubled, grad_x, grad_flag = gg.evaluate(dg, x, x)
    np.testing.assert_array_equal(grad_x, np.ones(3))
    np.testing.assert_array_equal(grad_flag, np.zeros(3))
    assert dg.output_values["grad_flag"].name == "grad_flag"
    g = gg.Graph("const")
    s, t = g.input("s", ()), g.input("t", ())
    with g:
        g.output("loss", gg.sign(s) * 3.0 + t)  # no gradient flows through sign
    _, gs, gt = gg.evaluate(gg.grad(g, style=style), 2.0, 1.0)
    assert (gs, gt) == (0.0, 1.0) and gs.shape == ()


def test_where_condition_gets_no_gradient():
    dg = gg.grad(with_mask, style="vjp")
    _, gx, gw = gg.evaluate(dg, np.array([1.0, -1.0, 2.0]), np.zeros(3))
    np.testing.assert_array_equal(gx, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(gw, [0.0, 1.0, 0.0])
    cond = [n for n in dg.nodes if n.op == "greater"]
    assert len(cond) == 1 and cond[0].role == "forward"


def test_the_output_may_be_an_input():
    g = gg.Graph("identity")
    x = g.input("x", ())
    g.output("y", x)
    _, gx = gg.evaluate(gg.grad(g), 5.0)
    assert gx == 1.0
