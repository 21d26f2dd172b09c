"""Past one device: sharded jax code on 8 simulated CPU devices equals the single-device result,
its HLO holds the collectives its sharding implies; microbatches equal the full batch; and the
mistakes of each are one clear GraphError."""
import json
import os
import pathlib
import subprocess
import sys

import jax
import numpy as np
import pytest
from jax.sharding import Mesh, PartitionSpec as P

import graphgrad as gg

jax.config.update("jax_enable_x64", True)
HERE = pathlib.Path(__file__).parent


@pytest.fixture(scope="module")
def eight_devices():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, str(HERE / "sharded_models.py")], env=env, capture_output=True,
                         text=True, timeout=300, cwd=HERE)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("model", ["seed", "cnn", "block", "seed_model_parallel"])
def test_sharded_equals_single_device_and_reduces_across_devices(eight_devices, model):
    assert eight_devices["devices"] == 8
    result = eight_devices[model]
    assert result["error"] < 1e-12, result
    assert "all-reduce" in result["collectives"], result


@gg.function
def mlp(x: gg.f64[64, 8], y: gg.f64[64, 3], w1: gg.f64[8, 16], b1: gg.f64[16], w2: gg.f64[16, 3]):
    h = gg.tanh(x @ w1 + b1)
    return gg.mean(gg.square(h @ w2 - y))


def _args(g, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s.shape) for s in g.inputs.values()]


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("k", [1, 2, 4, 8])
def test_microbatches_equal_the_full_batch(backend, k):
    g = gg.grad(mlp, ["w1", "b1", "w2"])
    want = gg.evaluate(g, *_args(g))
    f, args = gg.compile(g, backend, microbatches=k), _args(g)
    for _ in range(2):  # the sums start afresh each call
        got = f(*args)
        for a, b in zip(got, want):
            np.testing.assert_allclose(np.asarray(a), b, rtol=1e-12, atol=1e-15)
    for a, b in zip(args, _args(g)):  # accumulating in place never writes to an input
        np.testing.assert_array_equal(a, b)


def test_a_summed_loss_sums_and_a_mean_averages():
    @gg.function
    def summed(x: gg.f64[12, 3], w: gg.f64[3, 2]):
        return gg.sum(gg.tanh(x @ w)) / 7.0

    g = gg.grad(summed, "w")
    f = gg.compile(g, microbatches=3)
    assert "out (sum)" in f.source and "grad_w (sum)" in f.source
    for a, b in zip(f(*_args(g)), gg.evaluate(g, *_args(g))):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert "out (mean)" in gg.compile(gg.grad(mlp, ["w1", "b1", "w2"]), microbatches=2).source


def test_microbatch_mistakes_are_named():
    g = gg.grad(mlp, ["w1", "b1", "w2"])
    with pytest.raises(gg.GraphError, match="microbatches=5 does not divide the batch of 64 rows"):
        gg.compile(g, microbatches=5)

    @gg.function
    def hardest(x: gg.f64[8, 3], w: gg.f64[3]):
        return gg.max(x @ w)  # the worst example: not a sum or mean over the batch

    with pytest.raises(gg.GraphError, match="neither a sum nor a mean"):
        gg.compile(gg.grad(hardest, "w"), microbatches=2)

    @gg.function
    def regularized(x: gg.f64[8, 3], w: gg.f64[3]):
        return gg.sum(gg.square(x @ w)) + gg.sum(w * w)  # the penalty would count k times

    with pytest.raises(gg.GraphError, match="sum or a mean over the batch"):
        gg.compile(gg.grad(regularized, "w"), microbatches=2)


def test_shard_mistakes_are_named(tmp_path):
    g = gg.grad(mlp, ["w1", "b1", "w2"])
    mesh = Mesh(np.array(jax.devices()[:1]), ("data",))
    with pytest.raises(gg.GraphError, match="has no input 'z'"):
        gg.compile(g, "jax", mesh=mesh, shard={"z": "data"})
    with pytest.raises(gg.GraphError, match="no axis 'model'"):
        gg.compile(g, "jax", mesh=mesh, shard={"x": "model"})
    with pytest.raises(gg.GraphError, match="names 3 axes of a 2-d input"):
        gg.compile(g, "jax", mesh=mesh, shard={"x": P("data", None, None)})
    with pytest.raises(gg.GraphError, match="must be a mesh axis name, a tuple"):
        gg.compile(g, "jax", mesh=mesh, shard={"x": ("data", 3)})
    with pytest.raises(gg.GraphError, match="over mesh axis 'data' twice"):
        gg.compile(g, "jax", mesh=mesh, shard={"x": ("data", "data")})
    with pytest.raises(gg.GraphError, match="must be a mesh axis name, a tuple"):
        gg.export(g, tmp_path / "m.py", "jax", shard={"x": P(object())})  # nothing reaches the source
    assert not (tmp_path / "m.py").exists()
    with pytest.raises(gg.GraphError, match="numpy backend runs on one machine"):
        gg.compile(g, "numpy", mesh=mesh, shard={"x": "data"})
    out = gg.compile(g, "jax", mesh=mesh, shard={"x": "data", "y": "data"})(*_args(g))
    np.testing.assert_allclose(np.asarray(out[1]), gg.evaluate(g, *_args(g))[1], rtol=1e-12)
    out = gg.compile(g, "jax", mesh=mesh, shard={"x": ("data", None), "w1": [None, "data"]})(*_args(g))
    np.testing.assert_allclose(np.asarray(out[1]), gg.evaluate(g, *_args(g))[1], rtol=1e-12)


def test_the_exported_jax_module_offers_a_sharded_function(tmp_path):
    import importlib.util

    g = gg.grad(mlp, ["w1", "b1", "w2"])
    path = gg.export(g, tmp_path / "mlp_jax.py", "jax", shard={"x": "data", "y": "data"})
    spec = importlib.util.spec_from_file_location("mlp_jax", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    f = module.mlp_sharded(Mesh(np.array(jax.devices()[:1]), ("data",)))
    np.testing.assert_allclose(np.asarray(f(*_args(g))[3]), gg.evaluate(g, *_args(g))[3], rtol=1e-12)
