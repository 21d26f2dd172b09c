"""The jax backend's gradient code is ordinary JAX: jax can differentiate it again, and its
derivative (a second derivative of the loss) matches jax.hessian of the same loss."""
import jax
import jax.numpy as jnp
import numpy as np

import graphgrad as gg

jax.config.update("jax_enable_x64", True)


@gg.function
def model(x: gg.f64[5, 3], y: gg.f64[5, 2], w: gg.f64[3, 2], b: gg.f64[2]):
    p = gg.sigmoid(gg.tanh(x @ w) + b)
    return gg.sum(gg.square(p - y)) + gg.sum(gg.softmax(x @ w, axis=1) * y)


def jax_loss(x, y, w, b):
    p = jax.nn.sigmoid(jnp.tanh(x @ w) + b)
    return jnp.sum(jnp.square(p - y)) + jnp.sum(jax.nn.softmax(x @ w, axis=1) * y)


def test_generated_gradient_is_differentiable_by_jax():
    rng = np.random.default_rng(0)
    x, y, w, b = (rng.standard_normal(s.shape) for s in model.inputs.values())
    f = gg.compile(gg.grad(model, wrt=["w", "b"]), "jax")
    loss, grad_w, grad_b = f(x, y, w, b)
    np.testing.assert_allclose(loss, jax_loss(x, y, w, b), rtol=1e-12)
    np.testing.assert_allclose(grad_w, jax.grad(jax_loss, 2)(x, y, w, b), rtol=1e-12)
    second = jax.jacobian(lambda w_: f(x, y, w_, b)[1])(w)  # d(grad_w)/dw from our code
    np.testing.assert_allclose(second, jax.hessian(jax_loss, 2)(x, y, w, b), rtol=1e-10, atol=1e-12)
    mixed = jax.jacobian(lambda b_: f(x, y, w, b_)[2])(b)
    np.testing.assert_allclose(mixed, jax.hessian(jax_loss, 3)(x, y, w, b), rtol=1e-10, atol=1e-12)
