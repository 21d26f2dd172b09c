"""Data-parallel training across processes: the digits CNN's generated jax code, sharded over every
device of every process with `jax.distributed` (CPU collectives through gloo).

Each process holds its share of the batch; the parameters are replicated; XLA all-reduces the
gradients across processes. Run one process per rank (the test starts 2 x 4 CPU devices):

    XLA_FLAGS=--xla_force_host_platform_device_count=4 python examples/distributed.py \\
        --rank 0 --processes 2 --port 12355 &
    XLA_FLAGS=--xla_force_host_platform_device_count=4 python examples/distributed.py \\
        --rank 1 --processes 2 --port 12355

With `--processes 1` it is the single-process run the distributed one must equal. Each run prints
one JSON line: the parameters after `--steps` steps of plain gradient descent.
"""
from __future__ import annotations

import argparse
import json

import numpy as np

import graphgrad as gg

BATCH, CLASSES = 32, 10


@gg.function
def cnn(images: gg.f64[BATCH, 1, 8, 8], labels: gg.i64[BATCH], k1: gg.f64[4, 1, 3, 3],
        k2: gg.f64[8, 4, 3, 3], w: gg.f64[32, CLASSES]):
    h1 = gg.max_pool2d(gg.relu(gg.conv2d(images, k1, padding=1)), 2)
    h2 = gg.max_pool2d(gg.relu(gg.conv2d(h1, k2, padding=1)), 2)
    logits = h2.reshape(BATCH, 32) @ w
    picked = gg.take_along_axis(gg.log_softmax(logits, axis=1), gg.expand_dims(labels, 1), axis=1)
    return -gg.mean(picked)


def data(seed=0):
    """The first BATCH digits of scikit-learn's bundled set, scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images[:BATCH] / 16.0).reshape(BATCH, 1, 8, 8)
    return images, digits.target[:BATCH].astype(np.int64)


def initial_parameters(seed=0) -> dict:
    rng = np.random.default_rng(seed)
    shapes = {n: s.shape for n, s in cnn.inputs.items() if n not in ("images", "labels")}
    return {n: rng.standard_normal(s) * np.sqrt(2.0 / np.prod(s[1:] if len(s) > 2 else s[:1]))
            for n, s in shapes.items()}


def train(rank: int, processes: int, port: int, steps: int, lr: float = 0.5) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    if processes > 1:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=processes,
                                   process_id=rank)
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    mesh = Mesh(np.array(jax.devices()), ("data",))
    step = gg.compile(gg.grad(cnn, ["k1", "k2", "w"]), "jax", mesh=mesh,
                      shard={"images": "data", "labels": "data"})
    images, labels = data()
    share = BATCH // processes  # this process's rows of the batch
    rows = slice(rank * share, (rank + 1) * share)
    split, whole = NamedSharding(mesh, PartitionSpec("data")), NamedSharding(mesh, PartitionSpec())
    feed = [jax.make_array_from_process_local_data(split, images[rows]),
            jax.make_array_from_process_local_data(split, labels[rows])]
    params = initial_parameters()
    for _ in range(steps):
        args = feed + [jax.make_array_from_process_local_data(whole, params[n]) for n in ("k1", "k2", "w")]
        loss, *grads = step(*args)
        params = {n: params[n] - lr * np.asarray(g.addressable_data(0))
                  for n, g in zip(("k1", "k2", "w"), grads)}
    if processes > 1:
        jax.distributed.shutdown()
    return {"loss": float(np.asarray(loss.addressable_data(0))),
            "params": {n: p.ravel().tolist() for n, p in params.items()}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rank", type=int, default=0)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--port", type=int, default=12355)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(train(args.rank, args.processes, args.port, args.steps)))


if __name__ == "__main__":
    main()
