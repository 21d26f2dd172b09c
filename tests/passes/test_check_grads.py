"""`gg.check_grads`: passes on correct gradients, and names the input and element of a wrong one."""
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.passes import check as check_module
from graphgrad.passes.autodiff import rules


@gg.function
def small(x: gg.f64[3, 4], w: gg.f64[4], flag: gg.f64[()]):
    return gg.sum(gg.tanh(x * w) ** 3) + gg.exp(flag)


@gg.function
def large(x: gg.f64[30, 20], w: gg.f64[20, 5]):
    return gg.sum(gg.sigmoid(x @ w))


def test_correct_gradients_pass_and_report_the_worst_error():
    err = gg.check_grads(small)
    assert 0 < err < 1e-5
    assert gg.check_grads(small, "w", seed=3) < 1e-5
    assert gg.check_grads(large) < 1e-5  # 600 and 100 elements: directions and per element


def test_given_inputs_are_used_and_checked():
    x = np.ones((3, 4))
    assert gg.check_grads(small, inputs={"x": x, "w": np.full(4, 0.5), "flag": np.array(0.3)}) < 1e-5
    with pytest.raises(ValueError, match="'w'.*shape"):
        gg.check_grads(small, inputs={"w": np.ones(3)})
    with pytest.raises(gg.GraphError, match="'nope'"):
        gg.check_grads(small, inputs={"nope": x})


def test_comparisons_and_where_conditions_carry_no_gradient():
    g = gg.Graph("masked")
    x, t = g.input("x", (5,)), g.input("t", (5,))
    with g:
        g.output("loss", gg.sum(gg.where(t > 0, gg.square(x), x)))
    assert gg.check_grads(g) < 1e-5


def _break_rule(monkeypatch, op, scale):
    """Make `op`'s rule wrong by a factor, as a bug in a rule would."""
    original = rules.RULES[op]

    def wrong(*args):
        return tuple(None if c is None else c * scale for c in original.vjp(*args))
    monkeypatch.setitem(rules.RULES, op, rules.Rule(wrong, original.jvp))


def test_a_wrong_rule_is_caught_per_element(monkeypatch):
    _break_rule(monkeypatch, "exp", 1.001)
    gg.check_grads(small, "x")  # exp only reaches flag
    with pytest.raises(gg.GradientCheckError, match=r"'flag'.*flag\[\]: analytic .* vs numeric"):
        gg.check_grads(small)


def test_a_wrong_rule_is_caught_along_random_directions(monkeypatch):
    _break_rule(monkeypatch, "sigmoid", 0.999)
    monkeypatch.setattr(check_module, "SAMPLED_ELEMENTS", 0)
    with pytest.raises(gg.GradientCheckError, match="'x'.*random direction #0"):
        gg.check_grads(large, "x")


def test_tolerances_are_respected():
    with pytest.raises(gg.GradientCheckError, match="relative error"):
        gg.check_grads(small, rtol=1e-14, atol=0)


def test_float32_graphs_with_float32_steps():
    g = gg.Graph("f32")
    x = g.input("x", (4,), "float32")
    with g:
        g.output("loss", gg.sum(gg.exp(x) * 0.5))
    assert gg.check_grads(g, eps=1e-3, rtol=1e-2) < 1e-2


@gg.function
def mlp32(x: gg.f32[16, 8], y: gg.f32[16, 3], w1: gg.f32[8, 32], b1: gg.f32[32], w2: gg.f32[32, 3]):
    h = gg.tanh(x @ w1 + b1)
    return -gg.sum(y * gg.log_softmax(h @ w2, axis=1)) / 16


def test_float32_passes_with_its_defaults_and_says_which_it_used():
    worst = gg.check_grads(mlp32)
    assert worst <= worst.rtol and (worst.eps, worst.rtol, worst.atol, worst.dtype) == (1e-2, 2e-2, 1e-4, "float32")
    assert gg.check_grads(small).settings() == "eps 1e-06, rtol 1e-05, atol 1e-08 for float64"


def test_per_node_checks_name_and_mark_exactly_the_node_with_a_wrong_rule(monkeypatch):
    clean = gg.check_grads(mlp32, per_node=True)
    assert clean.failures == [] and len(clean.checks) >= 8
    _break_rule(monkeypatch, "tanh", 1.01)
    report = gg.check_grads(mlp32, per_node=True)
    assert [f.node.op for f in report.failures] == ["tanh"] and report.failures[0].node.name == "h"
    assert "h = tanh" in str(report)
    dot = gg.viz.to_dot(mlp32, marks=report).source
    marked = [line for line in dot.splitlines() if "marked" in line and "tanh" in line]
    assert len(marked) == 1
