"""Peak memory of one call with `microbatches=k`, k = 1, 2, 4, 8, on the wide MLP (at batch 256,
where its weights dominate, and at 4096, where its activations do) and a CNN.

numpy: the peak of Python-tracked allocations during one call (tracemalloc; numpy reports its
arrays to it). jax: the temporary buffers XLA plans for the compiled function
(`compiled.memory_analysis().temp_size_in_bytes`), since the CPU client keeps no peak counter.

    .venv/bin/python -m bench.microbatch
"""
from __future__ import annotations

import tracemalloc

import numpy as np

import graphgrad as gg
from bench import models


@gg.function
def cnn(x: gg.f64[64, 3, 32, 32], labels: gg.i64[64], k1: gg.f64[16, 3, 3, 3],
        k2: gg.f64[32, 16, 3, 3], w: gg.f64[2048, 10]):
    h1 = gg.max_pool2d(gg.relu(gg.conv2d(x, k1, padding=1)), 2)
    h2 = gg.max_pool2d(gg.relu(gg.conv2d(h1, k2, padding=1)), 2)
    logits = h2.reshape(64, 2048) @ w
    picked = gg.take_along_axis(gg.log_softmax(logits, axis=1), gg.expand_dims(labels, 1), axis=1)
    return -gg.mean(picked)


BIG = 4096  # the wide MLP at a batch where its activations (not its 1.85 M weights) dominate


@gg.function
def mlp_big_batch(x: gg.f64[BIG, 784], y: gg.f64[BIG, 10], w1: gg.f64[784, 1024], b1: gg.f64[1024],
                  w2: gg.f64[1024, 1024], b2: gg.f64[1024], w3: gg.f64[1024, 10], b3: gg.f64[10]):
    h1 = gg.tanh(x @ w1 + b1)
    h2 = gg.tanh(h1 @ w2 + b2)
    logits = h2 @ w3 + b3
    return -gg.sum(y * gg.log_softmax(logits, axis=1)) / BIG


def inputs(g):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 10, s.shape) if s.dtype == "int64" else rng.standard_normal(s.shape) * 0.1
            for s in g.inputs.values()]


def numpy_peak(f, args) -> int:
    f(*args)  # warm: helpers, BLAS buffers
    tracemalloc.start()
    try:
        f(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def jax_temp(f, args) -> int:
    analysis = f._fn.lower(*args).compile().memory_analysis()
    return int(analysis.temp_size_in_bytes) if analysis is not None else -1


def main():
    import jax

    jax.config.update("jax_enable_x64", True)
    rows = []
    weights = ["w1", "b1", "w2", "b2", "w3", "b3"]
    for label, graph, wrt in (("MLP 784-1024-1024-10, batch 256", models.mlp, weights),
                              (f"MLP 784-1024-1024-10, batch {BIG}", mlp_big_batch, weights),
                              ("CNN 3x32x32, conv 3-16-32, batch 64", cnn, ["k1", "k2", "w"])):
        g = gg.optimize(gg.grad(graph, wrt))
        args = inputs(g)
        want = gg.evaluate(g, *args)
        for k in (1, 2, 4, 8):
            f_np = gg.compile(g, microbatches=k)
            f_jax = gg.compile(g, "jax", microbatches=k)
            got = f_np(*args)
            assert all(np.allclose(a, b, rtol=1e-10) for a, b in zip(got, want))
            rows.append((label, k, numpy_peak(f_np, args), jax_temp(f_jax, args)))
            print(f"{label}  k={k}: numpy peak {rows[-1][2] / 1e6:8.1f} MB   jax temporaries "
                  f"{rows[-1][3] / 1e6:8.1f} MB", flush=True)


if __name__ == "__main__":
    main()
