"""`make bench`: compiled graphgrad gradients against hand-written numpy and against jax's own
`jax.jit(jax.value_and_grad(...))`, interleaved in one process; then whole-compile times.

Method (a 2-core machine shared with other work): each system runs a block of calls timed as one,
the order of the systems alternates every round, and the process sleeps between blocks so that
OpenBLAS's spinning threads (about 100 ms after a call) do not bill one system for another. A
figure is the median over rounds of the per-call time; ratios are of those medians. numpy's small
workloads move by 2x with the heap state (page faults when glibc returns big blocks to the OS), so
the malloc settings in effect are printed with the figures.

    .venv/bin/python -m bench.run [--rounds N] [--quick] [--only speed|models|compile]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

import graphgrad as gg
from bench import models, nets

PAUSE_S = 0.15
BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE")
MALLOC_VARS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX",
               "MALLOC_TOP_PAD_", "GLIBC_TUNABLES", "LD_PRELOAD")


def block_time(fn, args, calls, sync) -> float:
    """Seconds per call over one block of `calls` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        out = fn(*args)
    sync(out)
    return (time.perf_counter() - start) / calls


def compare(systems, args, rounds, sync=lambda out: None) -> dict:
    """Median per-call time of each system (name -> fn), timed in alternating-order blocks."""
    names = list(systems)
    for name in names:  # warm up (jit compiles, BLAS buffers) and size a block to ~0.1 s
        systems[name](*args)
    once = min(block_time(systems[n], args, 1, sync) for n in names)
    calls = max(1, min(200, int(0.1 / max(once, 1e-6))))
    times = {n: [] for n in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            time.sleep(PAUSE_S)
            times[name].append(block_time(systems[name], args, calls, sync))
    return {n: statistics.median(t) for n, t in times.items()}


def check_same(got, want, what):
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-12, err_msg=what)


CASES = [  # (label, graph, wrt, hand-written numpy, jax loss)
    ("(a) seed two-layer net 64x1000-100-10", models.two_layer_net, ["w1", "w2"],
     models.two_layer_net_numpy, models.two_layer_net_jax),
    ("(b) tanh MLP 784-1024-1024-10, batch 256", models.mlp, ["w1", "b1", "w2", "b2", "w3", "b3"],
     models.mlp_numpy, models.mlp_jax),
    ("(c) 64 tanh layers 64x64, batch 32", models.deep_chain(), [f"w{i}" for i in range(64)],
     models.deep_numpy, models.deep_jax),
]


def run_speed(rounds: int) -> list:
    import jax

    jax.config.update("jax_enable_x64", True)
    rows = []
    for label, graph, wrt, hand, jax_loss in CASES:
        g = gg.grad(graph, wrt=wrt)
        args = models.random_inputs(graph)
        compiled_np = gg.compile(g, "numpy")
        check_same(compiled_np(*args), hand(*args), label)
        t_np = compare({"graphgrad": compiled_np, "numpy": hand}, args, rounds)
        argnums = tuple(list(graph.inputs).index(n) for n in wrt)
        reference = jax.jit(jax.value_and_grad(jax_loss, argnums=argnums))
        compiled_jax = gg.compile(g, "jax")
        jargs = [jax.device_put(a) for a in args]
        loss, grads = reference(*jargs)
        check_same(compiled_jax(*jargs), (loss, *grads), label)
        t_jax = compare({"graphgrad": compiled_jax, "jax": reference}, jargs, rounds,
                        sync=jax.block_until_ready)
        rows.append((label, t_np, t_jax))
        print(f"{label}\n  numpy: graphgrad {t_np['graphgrad'] * 1e3:8.3f} ms  hand-written "
              f"{t_np['numpy'] * 1e3:8.3f} ms  ratio {t_np['graphgrad'] / t_np['numpy']:.3f}\n"
              f"  jax:   graphgrad {t_jax['graphgrad'] * 1e3:8.3f} ms  jax.jit(value_and_grad) "
              f"{t_jax['jax'] * 1e3:8.3f} ms  ratio {t_jax['graphgrad'] / t_jax['jax']:.3f}", flush=True)
    return rows


MODEL_CASES = [  # (label, loss, inputs, keyword arguments, classes of the int labels)
    ("(d) CNN 64x3x32x32, conv 3-16-32 3x3, 2x2 max pools, linear, cross-entropy", nets.cnn_loss,
     nets.cnn_inputs(), {}, 10),
    ("(e) pre-norm transformer block, batch 8, 64 tokens, width 128, 4 heads, MLP 512",
     nets.transformer_loss, nets.transformer_inputs(), {"heads": 4}, None),
]


def run_models(rounds: int) -> list:
    """Generated numpy and the jax backend, both against jax.jit(jax.value_and_grad) of the same
    model written in jax (the gradient of the loss in every weight, as training needs), the three
    interleaved in one comparison."""
    import jax

    jax.config.update("jax_enable_x64", True)
    rows = []
    for label, loss, inputs, kw, classes in MODEL_CASES:
        graph = nets.build("model", loss, inputs, **kw)
        wrt = [n for n, s in inputs.items() if n != "x" and not isinstance(s[0], tuple)]  # the weights
        g = gg.optimize(gg.grad(graph, wrt=wrt))
        args = nets.random_inputs(inputs, classes=classes)
        jargs = [jax.device_put(a) for a in args]
        compiled_np, compiled_jax = gg.compile(g, "numpy"), gg.compile(g, "jax")
        ops = nets.jax_ops()
        argnums = tuple(list(inputs).index(n) for n in wrt)
        reference = jax.jit(jax.value_and_grad(lambda *a: loss(ops, *a, **kw), argnums=argnums))
        value, grads = reference(*jargs)
        check_same(compiled_np(*args), (value, *grads), label + " (numpy)")
        check_same(compiled_jax(*jargs), (value, *grads), label + " (jax backend)")
        t = compare({"numpy": lambda: compiled_np(*args), "jax backend": lambda: compiled_jax(*jargs),
                     "jax.jit": lambda: reference(*jargs)}, (), rounds, sync=jax.block_until_ready)
        rows.append((label, len(g), t))
        ref = t["jax.jit"]
        print(f"{label} ({len(g)} nodes)\n  generated numpy {t['numpy'] * 1e3:8.2f} ms  jax backend "
              f"{t['jax backend'] * 1e3:8.2f} ms  jax.jit(value_and_grad) {ref * 1e3:8.2f} ms\n"
              f"  ratios to jax.jit: numpy {t['numpy'] / ref:.3f} (goal 1.5)  jax backend "
              f"{t['jax backend'] / ref:.3f} (goal 1.05)", flush=True)
    return rows


def compile_time(layers: int, repeats: int) -> tuple:
    """Median seconds of trace -> grad -> optimize -> emit -> compile for a `layers`-deep tanh
    chain, with the stage split and node counts of the last run."""
    totals, split = [], {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        g = models.deep_chain(layers, width=8, batch=4, name=f"chain{layers}")
        t1 = time.perf_counter()
        back = gg.grad(g)
        t2 = time.perf_counter()
        opt = gg.optimize(back)
        t3 = time.perf_counter()
        gg.compile(opt, optimize=False)
        t4 = time.perf_counter()
        totals.append(t4 - t0)
        split = {"trace": t1 - t0, "grad": t2 - t1, "optimize": t3 - t2, "emit+load": t4 - t3,
                 "nodes": (len(g), len(back), len(opt))}
    return statistics.median(totals), split


def run_compile(repeats: int) -> None:
    results = {}
    for layers in (100, 1000):
        total, split = compile_time(layers, repeats)
        results[layers] = total
        stages = "  ".join(f"{k} {v:.3f}s" for k, v in split.items() if k != "nodes")
        print(f"compile {layers:4d}-layer tanh chain: {total:.3f} s  (nodes forward/grad/optimized "
              f"{'/'.join(map(str, split['nodes']))}; {stages})", flush=True)
    print(f"  1000-layer / 100-layer compile time: {results[1000] / results[100]:.1f}x "
          "(linear growth is 10x)")


def environment() -> str:
    malloc = ", ".join(f"{k}={os.environ[k]}" for k in MALLOC_VARS if k in os.environ) or \
        "glibc defaults (no MALLOC_* variables)"
    blas = ", ".join(f"{k}={os.environ.get(k, 'unset')}" for k in BLAS_VARS)
    return (f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus, "
            f"load {os.getloadavg()[0]:.2f}; malloc: {malloc}; {blas}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds per system (default 15)")
    parser.add_argument("--quick", action="store_true", help="3 rounds, 1 compile repeat: a smoke run")
    parser.add_argument("--only", choices=("speed", "models", "compile"), default=None,
                        help="run one part (models: the CNN and the transformer block against jax.jit)")
    args = parser.parse_args(argv)
    rounds, repeats = (3, 1) if args.quick else (args.rounds, 3)
    print(environment(), flush=True)
    if args.only in (None, "speed"):
        run_speed(rounds)
    if args.only in (None, "models"):
        run_models(rounds)
    if args.only in (None, "compile"):
        run_compile(repeats)


if __name__ == "__main__":
    main()
