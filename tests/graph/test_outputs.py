"""g.select(names) and g.rename(mapping): new graphs, dead nodes dropped, gradient records kept."""
import numpy as np
import pytest

import graphgrad as gg


def graph():
    g = gg.Graph("two")
    x = g.input("x", (3,))
    with g:
        g.output("loss", gg.sum(gg.tanh(x)))
        g.output("big", gg.exp(x) * 2)
    return gg.grad(g, of="loss")


def test_select_keeps_the_named_outputs_in_order_and_drops_dead_nodes():
    g = graph()
    s = g.select(["grad_x", "loss"])
    assert list(s.outputs) == ["grad_x", "loss"] and list(s.inputs) == ["x"]
    assert "exp" not in [n.op for n in s.nodes] and len(s) < len(g)
    assert s.gradients == {"grad_x": ("x", 1)} and s.verify() is s
    x = np.array([0.1, -0.2, 0.3])
    full = gg.evaluate(g, x)
    np.testing.assert_allclose(gg.evaluate(s, x)[0], full[2])
    assert list(g.outputs) == ["loss", "big", "grad_x"]  # the input graph is untouched
    assert list(g.select("big").outputs) == ["big"] and g.select("big").gradients == {}


def test_rename_renames_outputs_and_their_gradient_records():
    g = graph().rename({"grad_x": "dloss_dx", "big": "y"})
    assert list(g.outputs) == ["loss", "y", "dloss_dx"]
    assert g.gradients == {"dloss_dx": ("x", 1)} and g.verify() is g


@pytest.mark.parametrize("call, message", [
    (lambda g: g.select(["nope"]), "select: graph 'two' has no output 'nope'"),
    (lambda g: g.select(["loss", "loss"]), "lists output 'loss' twice"),
    (lambda g: g.select(3), "takes an output name or a list"),
    (lambda g: g.rename({"nope": "a"}), "rename: graph 'two' has no output 'nope'"),
    (lambda g: g.rename({"loss": "big"}), "two outputs of graph 'two' would be named 'big'"),
    (lambda g: g.rename({"loss": "not valid"}), "not a valid Python identifier"),
    (lambda g: g.rename(["loss"]), "takes a dict"),
])
def test_mistakes_are_one_clear_error(call, message):
    with pytest.raises(gg.GraphError, match=message):
        call(graph())
