"""Known values at kinks and ties, compared with jax.grad (the documented subgradients).

relu'(0) = 0 (jax.nn.relu); abs'(0) = 1 (jax: sign taken as +1 at 0, -0.0 included);
maximum/minimum give 0.5 to each operand on a tie; a max reduction shares the gradient evenly
among tied maxima; maximum(h, 0) at h = 0 (the seed network's relu) gives 0.5.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import graphgrad as gg

jax.config.update("jax_enable_x64", True)

X = np.array([-1.0, -0.0, 0.0, 2.0])


def _grads(build, shapes, values, style):
    g = gg.Graph("kink")
    xs = [g.input(f"x{i}", s) for i, s in enumerate(shapes)]
    with g:
        g.output("loss", build(*xs))
    out = gg.evaluate(gg.grad(g, style=style), *values)
    return out[1:]


KINKS = [
    ("relu", lambda x: gg.sum(gg.relu(x)), lambda x: jnp.sum(jax.nn.relu(x)), [X], [0, 0, 0, 1]),
    ("abs", lambda x: gg.sum(gg.abs(x)), lambda x: jnp.sum(jnp.abs(x)), [X], [-1, 1, 1, 1]),
    ("maximum(h, 0)", lambda x: gg.sum(gg.maximum(x, 0)), lambda x: jnp.sum(jnp.maximum(x, 0.0)), [X],
     [0, 0.5, 0.5, 1]),
    ("maximum tie", lambda a, b: gg.sum(gg.maximum(a, b) * np.array([1.0, 2.0, 3.0])),
     lambda a, b: jnp.sum(jnp.maximum(a, b) * jnp.array([1.0, 2.0, 3.0])),
     [np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0])], ([0.5, 0, 3], [0.5, 2, 0])),
    ("minimum tie", lambda a, b: gg.sum(gg.minimum(a, b)), lambda a, b: jnp.sum(jnp.minimum(a, b)),
     [np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0])], ([0.5, 1, 0], [0.5, 0, 1])),
    ("max reduction ties", lambda x: gg.max(x), jnp.max, [np.array([1.0, 3.0, 3.0, 2.0, 3.0])],
     [0, 1 / 3, 1 / 3, 0, 1 / 3]),
    ("max over an axis with ties", lambda x: gg.sum(gg.max(x, axis=1) * np.array([1.0, 4.0])),
     lambda x: jnp.sum(jnp.max(x, axis=1) * jnp.array([1.0, 4.0])),
     [np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]])], [[0.5, 0.5, 0], [0, 2, 2]]),
]


@pytest.mark.parametrize("style", ["vjp", "jacobian"])
@pytest.mark.parametrize("name, build, jax_fn, values, known", KINKS, ids=[k[0] for k in KINKS])
def test_kink_values_match_jax(name, build, jax_fn, values, known, style):
    ours = _grads(build, [v.shape for v in values], values, style)
    expected = jax.grad(jax_fn, argnums=tuple(range(len(values))))(*map(jnp.asarray, values))
    known = known if isinstance(known, tuple) else (known,)
    for a, e, k in zip(ours, expected, known):
        np.testing.assert_array_equal(a, np.asarray(e))
        np.testing.assert_array_equal(a, np.asarray(k, dtype=np.float64))


POOL_TIES = [  # (x (1, 1, H, W), kernel, stride, known gradient of sum(max_pool))
    ("tiles", np.array([[1.0, 1.0, 0.0, 2.0], [1.0, 1.0, 2.0, 0.0], [3.0, 0.0, 5.0, 5.0]]), (2, 2), None,
     [[0.25, 0.25, 0, 0.5], [0.25, 0.25, 0.5, 0], [0, 0, 0, 0]]),
    ("overlapping windows", np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]), (2, 2), (1, 1),
     [[0.5, 1.0, 0.5], [0, 0, 0]]),
]


@pytest.mark.parametrize("style", ["vjp", "jacobian"])
@pytest.mark.parametrize("name, x, kernel, stride, known", POOL_TIES, ids=[p[0] for p in POOL_TIES])
def test_max_pool_shares_its_gradient_evenly_among_tied_maxima(name, x, kernel, stride, known, style):
    """Like the max reduction (jax's own reduce_window gives it all to one of them); rows past the
    last whole window get none. Forward mode agrees: the tangent of a window is its ties' mean."""
    x4 = x.reshape((1, 1) + x.shape)
    (grad,) = _grads(lambda v: gg.sum(gg.max_pool2d(v, kernel, stride=stride)), [x4.shape], [x4], style)
    np.testing.assert_array_equal(grad.reshape(x.shape), np.asarray(known))
    g = gg.Graph("pool")
    v = g.input("x", x4.shape)
    with g:
        g.output("y", gg.max_pool2d(v, kernel, stride=stride))
    tangent = np.arange(x4.size, dtype=np.float64).reshape(x4.shape)
    _, dy = gg.evaluate(gg.jvp(g, style=style), x4, tangent)
    window_means = np.asarray(known).reshape(x4.shape) * tangent  # each window's shares, summed
    np.testing.assert_allclose(np.sum(dy), np.sum(window_means))
