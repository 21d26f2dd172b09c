"""A sum over a few elements of a large variable is spelled as adds of its slices (numpy's and
XLA's CPU reductions over short axes are several times slower): only then, only where each
backend gains (numpy keeps its own sum over a leading block of axes), with the same numbers."""
import jax
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.codegen import emit
from graphgrad.codegen.backend import SMALL_SUM_SIZE, SMALL_SUM_TAPS

jax.config.update("jax_enable_x64", True)

# (shape, axis, keepdims, unrolled in numpy, unrolled in jax)
CASES = [
    ((64, 4, 8, 2, 8, 2), (3, 5), True, True, True),     # a 2x2 max pool's tiles
    ((4096, 3, 3), (1, 2), False, True, True),           # 9 taps, no keepdims
    ((8, 8192), (1,), True, False, False),               # 8192 taps: a reduction
    ((4, 16384), (0,), False, False, True),              # a short leading axis: numpy's sum is fast
    ((2, 2, 16384), (0, 1), True, False, True),          # a leading block of two axes
    ((2, 17, 4096), (1,), False, False, False),          # one tap too many
    ((2, 3, 4), (1,), False, False, False),              # too small to matter
]
IDS = ["tiles", "9 taps", "long axis", "leading", "leading block", "17 taps", "small"]


def graph(shape, axis, keepdims):
    g = gg.Graph("s")
    x = g.input("x", shape)
    with g:
        g.output("out", gg.sum(x, axis, keepdims=keepdims) * 2.0)
    return g


def test_the_thresholds_the_cases_straddle():
    assert SMALL_SUM_TAPS == 16 and SMALL_SUM_SIZE == 1 << 15


@pytest.mark.parametrize("shape, axis, keepdims, in_numpy, in_jax", CASES, ids=IDS)
def test_spelling_and_numbers(shape, axis, keepdims, in_numpy, in_jax):
    g = graph(shape, axis, keepdims)
    for backend, unrolled in (("numpy", in_numpy), ("jax", in_jax)):
        src = emit(g, backend=backend, comments="none")
        mod = "np" if backend == "numpy" else "jnp"
        assert (f"{mod}.sum(" not in src) == unrolled, src
        taps = int(np.prod([shape[i] for i in axis]))
        assert src.count("x[") == (taps if unrolled else 0)
    x = np.random.default_rng(0).standard_normal(shape)
    want = gg.evaluate(g, x)
    for backend in ("numpy", "jax"):
        got = np.asarray(gg.compile(g, backend, optimize=False)(x))
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_an_inlined_operand_is_not_repeated():
    g = gg.Graph("s")
    x = g.input("x", (64, 16, 2, 16, 2))
    with g:
        g.output("out", gg.sum(gg.exp(x), (2, 4)))  # exp(x) is read once: written inline
    src = emit(g, backend="numpy", comments="none")
    assert "np.exp(x)" in src and src.count("np.exp(") == 1


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_float32_stays_float32(backend):
    g = gg.Graph("s")
    x = g.input("x", (64, 4, 8, 2, 8, 2), "float32")
    with g:
        g.output("out", gg.sum(x, (3, 5), keepdims=True))
    a = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    got = np.asarray(gg.compile(g, backend, optimize=False)(a))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, a.sum(axis=(3, 5), keepdims=True), rtol=1e-5, atol=1e-5)


def test_the_cnn_max_pool_gradient_has_no_reduction_over_tiles():
    """The tile counts of the 2x2 max pools' gradient were XLA reduce fusions (8.7 and 5.8 ms of a
    55 ms step); they are adds now, in both backends, and the gradient is unchanged."""
    from bench import nets

    inputs = nets.cnn_inputs(batch=16, size=16)
    g = gg.optimize(gg.grad(nets.build("cnn", nets.cnn_loss, inputs), wrt=["w1", "w2", "v", "b"]))
    for backend in ("numpy", "jax"):
        src = emit(g, backend=backend, comments="none")
        assert "axis=(3, 5)" not in src and src.count(", :, 1:, :, 1:]") == 2
    args = nets.random_inputs(inputs, classes=10)
    got = gg.compile(g, "jax")(*[jax.device_put(a) for a in args])
    want = gg.evaluate(g, *args)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-10, atol=1e-12)
