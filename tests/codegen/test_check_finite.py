"""check_finite: the fast path is one sum per output; a NaN or inf is traced to the first node
that made it, named with its op, role, origin and its operands' statistics."""
import importlib.util
import warnings

import jax
import numpy as np
import pytest

import graphgrad as gg

jax.config.update("jax_enable_x64", True)


@gg.function
def root(x: gg.f64[3], w: gg.f64[3]):
    h = gg.sqrt(x * w)  # d sqrt / d u = 0.5 / sqrt(u): infinite where x * w = 0
    return gg.sum(h)


@gg.function
def underflow(logits: gg.f64[2, 3], y: gg.f64[2, 3]):
    p = gg.softmax(logits, axis=1)
    return -gg.sum(y * gg.log(p))  # log of an underflowed probability: -inf forward, inf backward


def _call_quietly(f, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return f(*args)


@pytest.mark.parametrize("backend, jit", [("numpy", True), ("jax", True), ("jax", False)])
def test_the_first_non_finite_node_is_named(backend, jit):
    f = gg.compile(gg.grad(root, style="vjp"), backend, check_finite=True, jit=jit)
    ok = f(np.ones(3), np.full(3, 4.0))
    np.testing.assert_allclose(ok[1], gg.evaluate(gg.grad(root), np.ones(3), np.full(3, 4.0))[1])
    with pytest.raises(FloatingPointError) as info:
        _call_quietly(f, np.array([1.0, 0.0, 2.0]), np.ones(3))
    message = str(info.value)
    assert "divide" in message and "backward" in message and "of h = sqrt" in message
    assert "test_check_finite.py:" in message and "1 inf of 3" in message and "h: min 0.0" in message


def test_a_forward_underflow_is_found_where_it_starts():
    f = gg.compile(gg.grad(underflow, "logits", style="vjp"), check_finite=True)
    logits = np.array([[0.0, 800.0, 0.0], [1.0, 2.0, 3.0]])
    with pytest.raises(FloatingPointError, match=r"log .*forward.*test_check_finite.py:.*-?inf|log f64"):
        _call_quietly(f, logits, np.ones((2, 3)))


def test_without_the_flag_values_pass_through_and_the_module_has_no_slow_path(tmp_path):
    g = gg.grad(root, style="vjp")
    out = _call_quietly(gg.compile(g), np.array([1.0, 0.0, 2.0]), np.ones(3))
    assert np.isinf(out[1]).any()
    assert "_steps" not in gg.compile(g).source
    path = gg.export(g, tmp_path / "root.py", check_finite=True)
    spec = importlib.util.spec_from_file_location("root_checked", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(FloatingPointError, match="divide"):
        _call_quietly(module.root, np.array([1.0, 0.0, 2.0]), np.ones(3))
