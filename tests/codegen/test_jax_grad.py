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
    value, grads = jax.jit(jax.value_and_grad(jax_loss, (2, 3)))(x, y, w, b)
    np.testing.assert_allclose(loss, value, rtol=1e-12)
    np.testing.assert_allclose(grad_w, grads[0], rtol=1e-12)
    np.testing.assert_allclose(grad_b, grads[1], rtol=1e-12)
    # d(grad_w)/dw and d(grad_b)/db from our generated code, against jax's own second derivatives
    ours = jax.jit(lambda w_, b_: (jax.jacobian(lambda v: f(x, y, v, b_)[1])(w_),
                                   jax.jacobian(lambda v: f(x, y, w_, v)[2])(b_)))(w, b)
    hessians = jax.jit(jax.hessian(jax_loss, (2, 3)))(x, y, w, b)
    np.testing.assert_allclose(ours[0], hessians[0][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours[1], hessians[1][1], rtol=1e-10, atol=1e-12)
