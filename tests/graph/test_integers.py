"""Integer and bool data: markers, inputs on every route (tracing, builder, JSON, evaluator, both
backends, export), no gradients for integers, numpy's integer arithmetic, and clear errors for
mixing that numpy would promote."""
import importlib.util

import jax
import numpy as np
import pytest

import graphgrad as gg

jax.config.update("jax_enable_x64", True)


def test_markers_make_specs():
    assert gg.i64[64] == gg.TensorSpec((64,), "int64")
    assert gg.i32[2, 3] == gg.TensorSpec((2, 3), "int32")
    assert gg.bool_[()] == gg.TensorSpec((), "bool")
    assert repr(gg.bool_) == "gg.bool_" and repr(gg.i32) == "gg.i32"


@gg.function
def classifier(x: gg.f64[4, 3], w: gg.f64[3, 5], labels: gg.i64[4], keep: gg.bool_[4, 5]):
    logits = gg.where(keep, x @ w, -1e9)
    picked = gg.take_along_axis(gg.log_softmax(logits, axis=1), gg.expand_dims(labels, 1), axis=1)
    return -gg.mean(picked)


def _args(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), np.array([0, 4, 2, 2]),
            rng.random((4, 5)) < 0.8)


def test_integer_and_bool_inputs_on_every_route(tmp_path):
    assert classifier.inputs["labels"].dtype == "int64" and classifier.inputs["keep"].dtype == "bool"
    back = gg.Graph.from_json(classifier.to_json())
    assert str(back) == str(classifier)
    dg = gg.grad(classifier)
    assert list(dg.outputs) == ["out", "grad_x", "grad_w"]  # wrt=None: every floating input
    want = gg.evaluate(dg, *_args())
    for backend in ("numpy", "jax"):
        got = gg.compile(dg, backend)(*_args())
        for a, b in zip(got, want):
            np.testing.assert_allclose(np.asarray(a), b, rtol=1e-12)
    path = gg.export(dg, tmp_path / "classifier.py")
    spec = importlib.util.spec_from_file_location("classifier_grad", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    np.testing.assert_allclose(module.classifier(*_args())[2], want[2], rtol=1e-12)
    with pytest.raises(ValueError, match="'labels'.*int64"):
        gg.compile(dg)(*_args()[:2], np.array([0.0, 4.0, 2.0, 2.0]), _args()[3])


def test_integers_never_get_gradients():
    with pytest.raises(gg.GraphError, match="'labels'.*only float inputs have gradients"):
        gg.grad(classifier, wrt=["w", "labels"])


def test_integer_arithmetic_numpy_allows_on_index_tensors():
    g = gg.Graph("ints")
    i = g.input("i", (3,), "int64")
    j = g.input("j", (3,), "int64")
    with g:
        g.output("shifted", (i + 1) * 2 - j)
        g.output("clamped", gg.maximum(gg.minimum(i, 5), 0))
        g.output("mask", i > j)
        g.output("neg", -gg.abs(i))
    iv, jv = np.array([1, 7, -3]), np.array([0, 2, 9])
    for backend in ("numpy", "jax"):
        got = gg.compile(g, backend)(iv, jv)
        np.testing.assert_array_equal(got[0], (iv + 1) * 2 - jv)
        np.testing.assert_array_equal(got[1], np.clip(iv, 0, 5))
        assert np.asarray(got[0]).dtype == np.int64 and np.asarray(got[2]).dtype == bool


def test_float_int_mixing_follows_numpy_for_scalars_and_is_refused_otherwise():
    g = gg.Graph("mix")
    x, i = g.input("x", (3,)), g.input("i", (3,), "int64")
    with g:
        assert (x * 2).dtype == "float64" and (x + np.int64(3)).dtype == "float64"
        assert (i * 2).dtype == "int64"
        with pytest.raises(gg.DTypeError, match="cannot mix 2.5 into a int64"):
            i * 2.5
        with pytest.raises(gg.DTypeError, match="mixed dtypes float64, int64"):
            x + i
        with pytest.raises(gg.DTypeError, match="float"):
            gg.exp(i)
        assert (x + i.astype("float64")).dtype == "float64"


def test_jax_refuses_int64_without_x64():
    g = gg.Graph("g")
    g.output("i", g.input("i", (2,), "int64"))
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(gg.GraphError, match="int64 but jax's x64 mode is off"):
            gg.compile(g, "jax")
    finally:
        jax.config.update("jax_enable_x64", True)
