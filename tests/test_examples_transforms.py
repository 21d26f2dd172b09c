"""The transform examples: Newton's method with generated Hessian code, and the cubic fit's
Hessian, which is exactly 2·XᵀX."""
import jax
import jax.numpy as jnp
import numpy as np

from examples import newton, polynomial

jax.config.update("jax_enable_x64", True)


def test_newton_converges_in_a_handful_of_steps(capsys):
    history, w, step = newton.newton(n=300, d=4, steps=12)
    assert len(history) - 1 <= 8 and history[-1][1] < 1e-10
    losses = [loss for loss, _ in history]
    assert all(b <= a + 1e-15 for a, b in zip(losses, losses[1:]))
    assert "iteration 0:" in capsys.readouterr().out
    X, t = newton.data(300, 4)

    def loss(w):
        z = X @ w
        return (-jnp.sum(t * jnp.log(jax.nn.sigmoid(z)) + (1 - t) * jnp.log(jax.nn.sigmoid(-z))) / 300
                + 0.5 * newton.LAMBDA * jnp.sum(w * w))
    probe = np.linspace(-1, 1, 4)
    _, grad, hess = step(X, t, probe)
    np.testing.assert_allclose(grad, jax.grad(loss)(probe), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(hess, jax.hessian(loss)(probe), rtol=1e-10, atol=1e-14)
    assert "import graphgrad" not in step.source and "hessian_w_w" in step.source


def test_the_cubic_fits_hessian_is_two_x_transpose_x():
    x, _ = polynomial.data()
    design = np.stack([x ** 0, x, x ** 2, x ** 3], axis=1)
    h = polynomial.hessian_matrix()
    np.testing.assert_allclose(h, 2 * design.T @ design, rtol=1e-12, atol=1e-12 * np.abs(h).max())
    np.testing.assert_array_equal(h, h.T)
