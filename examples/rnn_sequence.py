"""A tanh RNN unrolled for 20 steps with one set of shared weights, trained through its exported
numpy gradient module (imported from the file) on a task whose answer is known: delayed recall.

    python -m examples.rnn_sequence           # default: delay 5, 32 hidden units, 1500 steps, ~3 s
    python -m examples.rnn_sequence --full    # delay 10, 64 hidden units, 4000 steps, ~15 s

Each sequence is 20 numbers drawn uniformly from [-1, 1]; at step t the network must output the
input of step t - delay (scored from step `delay` on, nn.mse). Predicting 0 everywhere scores the
input's variance, 1/3; the stated target is a held-out mean squared error below 0.01 (an RMS error
of 0.1). Default: 0.0003 (1500 steps, ~4 s); --full (delay 10): 0.0001 (4000 steps, ~15 s).
"""
from __future__ import annotations

import pathlib
import time

import numpy as np

import graphgrad as gg
from graphgrad import nn
from examples.training import Adam, example_arguments, export_and_import, one_blas_thread, plot_curves

STEPS_IN_TIME, TARGET_MSE, BASELINE_MSE = 20, 0.01, 1 / 3
PARAMS = ("w_in", "w_h", "b_h", "w_out", "b_out")
SIZES = {"default": dict(delay=5, hidden=32, steps=1500, lr=3e-3),
         "full": dict(delay=10, hidden=64, steps=4000, lr=2e-3)}


def predictions(x, w_in, w_h, b_h, w_out, b_out):
    """The RNN's output at every step of x (B, T): h_t = tanh(x_t w_in + h_(t-1) w_h + b_h),
    y_t = h_t w_out + b_out, the same weights at every step."""
    batch, steps = x.shape
    h, outputs = None, []
    for t in range(steps):
        pre = nn.linear(x[:, t:t + 1], w_in, b_h)
        h = gg.tanh(pre if h is None else pre + h @ w_h)
        outputs.append(nn.linear(h, w_out, b_out))
    return gg.concatenate(outputs, axis=1)  # (B, T)


def make_graph(batch: int, hidden: int, delay: int) -> gg.Graph:
    """Mean squared error of the outputs from step `delay` on against the delayed inputs."""
    g = gg.Graph("rnn_sequence")
    with g:
        x = g.input("x", (batch, STEPS_IN_TIME))
        shapes = {"w_in": (1, hidden), "w_h": (hidden, hidden), "b_h": (hidden,),
                  "w_out": (hidden, 1), "b_out": (1,)}
        p = [g.input(n, shapes[n]) for n in PARAMS]
        y = predictions(x, *p)
        g.output("loss", nn.mse(y[:, delay:], x[:, :STEPS_IN_TIME - delay]))
    return g


def initial_parameters(hidden: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {"w_in": nn.init.glorot((1, hidden), rng),
            "w_h": np.linalg.qr(rng.standard_normal((hidden, hidden)))[0],  # orthogonal: gradients keep their size
            "b_h": nn.init.zeros(hidden), "w_out": nn.init.glorot((hidden, 1), rng), "b_out": nn.init.zeros(1)}


def train(out_dir="build/rnn_sequence", *, delay=5, hidden=32, steps=1500, lr=3e-3, batch=64, seed=0,
          plot="docs/rnn_sequence_loss.png", n_test=1000) -> dict:
    """Train; return the held-out error, per-step losses and files written."""
    out_dir = pathlib.Path(out_dir)
    step_fn = export_and_import(gg.grad(make_graph(batch, hidden, delay), wrt=list(PARAMS)),
                                out_dir / "rnn_sequence_train_step.py", "train_step")
    test_fn = export_and_import(make_graph(n_test, hidden, delay), out_dir / "rnn_sequence_loss.py",
                                "test_loss")
    rng = np.random.default_rng(seed)
    params, opt, losses = initial_parameters(hidden, seed), Adam(lr, clip=1.0), []
    x_test = np.random.default_rng(seed + 1000).uniform(-1, 1, (n_test, STEPS_IN_TIME))
    start = time.perf_counter()
    with one_blas_thread():
        for step in range(steps):
            loss, *grads = step_fn(rng.uniform(-1, 1, (batch, STEPS_IN_TIME)), **params)
            opt.step(params, dict(zip(PARAMS, grads)), lr=lr * 0.5 * (1 + np.cos(np.pi * step / steps)))
            losses.append(float(loss))
        test_mse = float(test_fn(x_test, **params))
    result = {"test_mse": test_mse, "losses": losses, "seconds": time.perf_counter() - start,
              "delay": delay, "files": [step_fn.path, test_fn.path]}
    if plot:
        result["files"].append(plot_curves(
            plot, {"training loss": losses}, ylabel="mean squared error",
            hlines={"predict 0 (1/3)": BASELINE_MSE, f"target {TARGET_MSE}": TARGET_MSE},
            title=f"tanh RNN, recall the input {delay} steps back: held-out MSE {test_mse:.4f}"))
    return result


def main(argv=None) -> dict:
    args, plot = example_arguments(argv, __doc__, "rnn_sequence", "delay 10, 64 hidden units, 4000 steps",
                                   "training steps (overrides the size's)")
    size = dict(SIZES["full" if args.full else "default"])
    if args.steps is not None:
        size["steps"] = args.steps
    r = train(args.out, plot=plot, **size)
    verdict = "reached" if r["test_mse"] < TARGET_MSE else "MISSED"
    print(f"tanh RNN, {STEPS_IN_TIME} steps, recall the input {r['delay']} steps back: held-out MSE "
          f"{r['test_mse']:.4f} ({verdict} the target {TARGET_MSE}; predicting 0 scores {BASELINE_MSE:.3f}); "
          f"{len(r['losses'])} steps in {r['seconds']:.1f} s")
    for f in r["files"]:
        print(f"  wrote {f}")
    return r


if __name__ == "__main__":
    main()
