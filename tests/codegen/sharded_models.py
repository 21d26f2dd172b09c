"""Run inside a process started with 8 simulated CPU devices (test_sharding.py): the seed network,
a small CNN and a transformer block, each compiled single-device and sharded; prints one JSON line
of the largest relative differences and of the collectives in the compiled HLO."""
import json
import sys

import jax
import numpy as np
from jax.sharding import Mesh, PartitionSpec as P

import graphgrad as gg

jax.config.update("jax_enable_x64", True)


@gg.function
def seed(x: gg.f64[64, 40], y: gg.f64[64, 10], w1: gg.f64[40, 16], w2: gg.f64[16, 10]):
    h_relu = gg.maximum(x @ w1, 0)
    return gg.sum(gg.square(h_relu @ w2 - y))


@gg.function
def cnn(x: gg.f64[16, 1, 8, 8], labels: gg.i64[16], k1: gg.f64[4, 1, 3, 3], w: gg.f64[64, 10]):
    h = gg.max_pool2d(gg.relu(gg.conv2d(x, k1, padding=1)), 2)
    logits = h.reshape(16, 64) @ w
    picked = gg.take_along_axis(gg.log_softmax(logits, axis=1), gg.expand_dims(labels, 1), axis=1)
    return -gg.mean(picked)


@gg.function
def block(x: gg.f64[8, 6, 16], wq: gg.f64[16, 16], wk: gg.f64[16, 16], wv: gg.f64[16, 16],
          gamma: gg.f64[16]):
    z = (x - gg.mean(x, axis=-1, keepdims=True)) / gg.sqrt(gg.var(x, axis=-1, keepdims=True) + 1e-5) * gamma
    q, k, v = z @ wq, z @ wk, z @ wv
    scores = gg.einsum("btd,bsd->bts", q, k) / 4.0
    mask = np.tril(np.ones((6, 6), bool))
    att = gg.softmax(gg.where(mask, scores, -1e9), axis=-1)
    return gg.sum(gg.square(x + gg.einsum("bts,bsd->btd", att, v)))


def relative(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b) / (np.abs(b) + 1e-300), initial=0.0))


def run(g, shard, mesh):
    dg = gg.grad(g)
    rng = np.random.default_rng(0)
    args = [rng.integers(0, 10, s.shape) if s.dtype == "int64" else rng.standard_normal(s.shape) * 0.5
            for s in dg.inputs.values()]
    want = gg.compile(dg, "jax")(*args)
    f = gg.compile(dg, "jax", mesh=mesh, shard=shard)
    got = f(*args)
    hlo = f._fn.lower(*args).compile().as_text()
    found = [c for c in ("all-reduce", "all-gather", "reduce-scatter", "collective-permute", "all-to-all")
             if c in hlo]
    return {"error": max(relative(a, b) for a, b in zip(got, want)), "collectives": found}


def main():
    devices = np.array(jax.devices())
    data = Mesh(devices, ("data",))
    grid = Mesh(devices.reshape(2, 4), ("data", "model"))
    results = {
        "seed": run(seed, {"x": "data", "y": "data"}, data),
        "cnn": run(cnn, {"x": "data", "labels": "data"}, data),
        "block": run(block, {"x": "data"}, data),
        "seed_model_parallel": run(seed, {"x": "data", "y": "data", "w1": P(None, "model")}, grid),
        "devices": len(devices),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
