"""The C backend against the numpy backend, hand-written numpy and jax.jit, with the BLAS floor.

    .venv/bin/python -m bench.c_speed [--rounds N] [--quick] [--only W1,W4]

Workloads (all float64, the gradient of the loss with respect to every weight):
  W1  the seed two-layer network 64x1000 -> 100 (relu) -> 10, sum of squares   (bench/models.py)
  W2  a cubic fit on 2000 points: features [1, x, x^2, x^3] @ 4 coefficients  (examples/polynomial.py,
      with the coefficients as one vector so that the fit is a matmul)
  W3  the tanh MLP 784-1024-1024-10 with softmax cross-entropy, batch 256       (bench/models.py)
  W4  64 tanh layers of 64x64 at batch 32                                        (bench/models.py)
  W5  the digits MLP 64 -> 64 (tanh) -> 10, softmax cross-entropy, batch 64      (examples/digits.py)

The BLAS floor of a workload is numpy's own time for each matmul of its optimized gradient graph
(`a @ b` on arrays of the same shapes and transposes, one after the other): what any system built
on BLAS needs. Timing as in bench/run.py: blocks of calls, alternating order, a pause before each
block, medians over rounds; the floor is timed among the systems, like one of them.
"""
from __future__ import annotations

import argparse
import numpy as np

import graphgrad as gg
from bench import models
from bench.run import compare, environment
from graphgrad.codegen.c import build

POINTS = 2000


# --- W2: the cubic fit ---------------------------------------------------------------------

@gg.function
def cubic_fit(x: gg.f64[POINTS], y: gg.f64[POINTS], coef: gg.f64[4]):
    """Least squares of the cubic coef[0] + coef[1] x + coef[2] x^2 + coef[3] x^3 against y."""
    cols = [gg.constant(np.ones((POINTS, 1))), x.reshape(POINTS, 1), (x ** 2).reshape(POINTS, 1),
            (x ** 3).reshape(POINTS, 1)]
    features = gg.concatenate(cols, axis=1)
    return gg.sum((features @ coef - y) ** 2)


def cubic_fit_numpy(x, y, coef):
    features = np.stack([np.ones_like(x), x, x ** 2, x ** 3], axis=1)
    r = features @ coef - y
    return np.sum(r ** 2), features.T @ (2.0 * r)


def cubic_fit_jax(x, y, coef):
    import jax.numpy as jnp

    features = jnp.stack([jnp.ones_like(x), x, x ** 2, x ** 3], axis=1)
    return jnp.sum((features @ coef - y) ** 2)


# --- W5: the digits MLP ---------------------------------------------------------------------

def digits_graph():
    from examples.digits import make_loss_graph

    return make_loss_graph(64, 64)


def digits_numpy(x, y, w1, b1, w2, b2):
    n = x.shape[0]
    h = np.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -(y * log_p).sum() / n
    g_logits = (np.exp(log_p) - y) / n
    g_w2, g_b2 = h.T @ g_logits, g_logits.sum(axis=0)
    g_a = (g_logits @ w2.T) * (1 - h * h)
    return loss, x.T @ g_a, g_a.sum(axis=0), g_w2, g_b2


def digits_jax(x, y, w1, b1, w2, b2):
    import jax
    import jax.numpy as jnp

    h = jnp.tanh(x @ w1 + b1)
    return -jnp.sum(y * jax.nn.log_softmax(h @ w2 + b2, axis=1)) / x.shape[0]


def _inputs(name, g):
    if name == "W2":
        x = np.linspace(-np.pi, np.pi, POINTS)
        return [x, np.sin(x), np.random.default_rng(0).standard_normal(4)]
    args = models.random_inputs(g)
    if name == "W5":  # one-hot labels, as the digits example trains on
        rng = np.random.default_rng(1)
        args[1] = np.eye(10)[rng.integers(0, 10, 64)]
    return args


def workloads():
    """(name, label, graph, wrt, hand-written numpy, jax loss)."""
    return [
        ("W1", "seed two-layer net 64x1000-100-10", models.two_layer_net, ["w1", "w2"],
         models.two_layer_net_numpy, models.two_layer_net_jax),
        ("W2", f"cubic fit, {POINTS} points", cubic_fit, ["coef"], cubic_fit_numpy, cubic_fit_jax),
        ("W3", "tanh MLP 784-1024-1024-10, batch 256", models.mlp,
         ["w1", "b1", "w2", "b2", "w3", "b3"], models.mlp_numpy, models.mlp_jax),
        ("W4", "64 tanh layers 64x64, batch 32", models.deep_chain(), [f"w{i}" for i in range(64)],
         models.deep_numpy, models.deep_jax),
        ("W5", "digits MLP 64-64-10, batch 64", digits_graph(), ["w1", "b1", "w2", "b2"],
         digits_numpy, digits_jax),
    ]


# --- the BLAS floor ---------------------------------------------------------------------------

def matmul_operands(g) -> list:
    """For each matmul of `g`: random arrays laid out as its operands are (a transposed operand
    as the .T view of a contiguous array), one array per graph value, so that matmuls that share
    an operand in the graph share it here too (and caches see what they see in the graph)."""
    rng = np.random.default_rng(0)
    arrays, out = {}, []
    for node in g.nodes:
        if node.op != "matmul":
            continue
        pair = []
        for v in node.inputs:
            flip = v.op == "transpose" and len(v.shape) == 2 and v.attrs["axes"] == (1, 0)
            base = v.inputs[0] if flip else v
            if base not in arrays:
                arrays[base] = rng.standard_normal(base.shape)
            pair.append(arrays[base].T if flip else arrays[base])
        out.append(tuple(pair))
    return out


def blas_floor(g):
    """A function running numpy's `a @ b` for each matmul of `g`, on arrays laid out as its
    operands are: the BLAS floor, timed interleaved with the systems like one of them."""
    operands = matmul_operands(g)

    def floor(*_):
        for a, b in operands:
            a @ b

    return floor


def check_same(got, want, what):
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-8, atol=1e-11, err_msg=what)


def run(rounds: int, only=None) -> list:
    import jax

    jax.config.update("jax_enable_x64", True)
    rows = []
    for name, label, graph, wrt, hand, jax_loss in workloads():
        if only and name not in only:
            continue
        g = gg.grad(graph, wrt=wrt)
        opt = gg.optimize(g)
        args = _inputs(name, graph)
        numpy_backend = gg.compile(opt, optimize=False)
        c_backend = gg.compile(opt, backend="c", optimize=False)
        want = numpy_backend(*args)
        check_same(c_backend(*args), want, f"{name}: C backend")
        check_same(hand(*args), want, f"{name}: hand-written numpy")
        argnums = tuple(list(graph.inputs).index(n) for n in wrt)
        reference = jax.jit(jax.value_and_grad(jax_loss, argnums=argnums))
        jargs = [jax.device_put(a) for a in args]
        loss, grads = reference(*jargs)
        check_same((loss, *grads), want, f"{name}: jax")
        t = compare({"c": c_backend, "numpy backend": numpy_backend, "hand-written numpy": hand,
                     "BLAS floor": blas_floor(opt)}, args, rounds)
        t.update(compare({"jax.jit": reference}, jargs, rounds, sync=jax.block_until_ready))
        floor = t.pop("BLAS floor")
        rows.append((name, label, t, floor))
        print(_row(name, label, t, floor), flush=True)
    return rows


def _row(name, label, t, floor) -> str:
    ms = lambda s: f"{s * 1e3:.3f} ms"  # noqa: E731
    parts = [f"{k} {ms(v)}" for k, v in t.items()]
    ratio = f"C / floor {t['c'] / floor:.2f}x" if floor else "no matmul"
    return (f"{name} {label}\n  {'  '.join(parts)}\n  BLAS floor {ms(floor)}  {ratio}  "
            f"C / numpy backend {t['c'] / t['numpy backend']:.2f}x  C / jax {t['c'] / t['jax.jit']:.2f}x")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="3 rounds: a smoke run")
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. W2,W4")
    args = parser.parse_args(argv)
    print(environment(), flush=True)
    cmd = build.find_compiler()
    wide = sorted(set(build.host_flags(polynomial=True)) - set(build.host_flags()))
    print(f"C compiler {' '.join(cmd)}; flags {' '.join([*build.FLAGS, *build.host_flags()])} "
          f"{'(+ ' + ' '.join(wide) + ' where exp, tanh or log run) ' if wide else ''}"
          f"{build.os.environ.get('GRAPHGRAD_CFLAGS', '')}; BLAS {' '.join(build.inprocess_blas()[1]) or 'none (loops)'}",
          flush=True)
    run(3 if args.quick else args.rounds, [w for w in args.only.split(",") if w] or None)


if __name__ == "__main__":
    main()
