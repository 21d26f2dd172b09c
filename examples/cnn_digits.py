"""A LeNet-style CNN on scikit-learn's bundled 8x8 digits, declared with gg.nn and trained with
its exported numpy gradient module (imported from the file) and a plain numpy Adam
(examples/training.py).

    python -m examples.cnn_digits            # default: 8/16 channels, 25 epochs, ~6 s
    python -m examples.cnn_digits --full     # 16/32 channels, 60 epochs, ~40 s

conv(3x3, pad 1)-relu-maxpool(2) twice, then a linear layer on the flattened features; integer
labels and nn.softmax_cross_entropy. Held-out accuracy on the same stratified 450-image split as
the MLP of examples/digits.py (97.56%): default 98.44% (443/450; seeds 1 and 2: 442, 443), --full 98.44%
(443/450; a lower training loss, the same held-out count).
"""
from __future__ import annotations

import pathlib
import time

import numpy as np

import graphgrad as gg
from graphgrad import nn
from examples.digits import load_split
from examples.training import Adam, example_arguments, export_and_import, one_blas_thread, plot_curves

CLASSES = 10
PARAMS = ("k1", "c1", "k2", "c2", "w", "b")


def cnn_specs(batch: int, ch1: int, ch2: int) -> dict:
    """Input name -> spec: the images, the labels, then the parameters in PARAMS order."""
    return {"images": gg.f64[batch, 1, 8, 8], "labels": gg.i64[batch],
            "k1": gg.f64[ch1, 1, 3, 3], "c1": gg.f64[ch1], "k2": gg.f64[ch2, ch1, 3, 3],
            "c2": gg.f64[ch2], "w": gg.f64[ch2 * 4, CLASSES], "b": gg.f64[CLASSES]}


def logits(images, k1, c1, k2, c2, w, b):
    """The network: two conv-relu-pool stages (8x8 -> 4x4 -> 2x2) and a linear classifier."""
    h = gg.max_pool2d(gg.relu(nn.conv2d(images, k1, c1, padding=1)), 2)
    h = gg.max_pool2d(gg.relu(nn.conv2d(h, k2, c2, padding=1)), 2)
    return nn.linear(h.reshape(h.shape[0], -1), w, b)


def make_graphs(batch: int, n_eval: int, ch1: int, ch2: int):
    """The training step (loss and its gradients) and the evaluation graph (logits of n_eval)."""
    loss = gg.Graph("cnn_digits")
    with loss:
        t = {n: loss.input(n, s.shape, dtype=s.dtype) for n, s in cnn_specs(batch, ch1, ch2).items()}
        loss.output("loss", nn.softmax_cross_entropy(logits(t["images"], *(t[p] for p in PARAMS)),
                                                     t["labels"]))
    scores = gg.Graph("cnn_digits_logits")
    with scores:
        specs = cnn_specs(n_eval, ch1, ch2)
        t = {n: scores.input(n, s.shape, dtype=s.dtype) for n, s in specs.items() if n != "labels"}
        scores.output("logits", logits(t["images"], *(t[p] for p in PARAMS)))
    return gg.grad(loss, wrt=list(PARAMS)), scores


def initial_parameters(ch1: int, ch2: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    specs = cnn_specs(1, ch1, ch2)
    return {p: nn.init.glorot(specs[p].shape, rng) if len(specs[p].shape) > 1 else nn.init.zeros(specs[p].shape)
            for p in PARAMS}


def train(out_dir="build/cnn_digits", *, epochs=25, ch1=8, ch2=16, batch=32, lr=0.01, seed=0,
          steps=None, plot="docs/cnn_digits_loss.png") -> dict:
    """Train; return test accuracy, per-step losses and the files written. `steps` stops early."""
    out_dir = pathlib.Path(out_dir)
    x_train, x_test, l_train, l_test = load_split(0)  # the MLP's split, whatever the seed
    x_train, x_test = x_train.reshape(-1, 1, 8, 8), x_test.reshape(-1, 1, 8, 8)
    step_graph, eval_graph = make_graphs(batch, len(x_test), ch1, ch2)
    train_step = export_and_import(step_graph, out_dir / "cnn_digits_train_step.py", "train_step")
    predict = export_and_import(eval_graph, out_dir / "cnn_digits_logits.py", "predict")
    params, opt = initial_parameters(ch1, ch2, seed), Adam(lr)
    rng, losses, per_epoch = np.random.default_rng(seed), [], len(x_train) // batch
    total = epochs * per_epoch if steps is None else steps
    start = time.perf_counter()
    with one_blas_thread():
        while len(losses) < total:
            order = rng.permutation(len(x_train))
            for i in range(min(per_epoch, total - len(losses))):
                idx = order[i * batch:(i + 1) * batch]
                lr_now = lr * 0.5 * (1 + np.cos(np.pi * len(losses) / total))  # cosine decay
                loss, *grads = train_step(x_train[idx], l_train[idx], **params)
                opt.step(params, dict(zip(PARAMS, grads)), lr=lr_now)
                losses.append(float(loss))
        seconds = time.perf_counter() - start
        correct = int(np.sum(np.argmax(predict(x_test, **params), axis=1) == l_test))
    result = {"test_accuracy": correct / len(l_test), "correct": correct, "n_test": len(l_test),
              "losses": losses, "seconds": seconds, "files": [train_step.path, predict.path]}
    if plot:
        result["files"].append(plot_curves(
            plot, {"training loss": losses}, ylabel="cross-entropy",
            title=f"digits CNN {ch1}/{ch2} channels: test accuracy {correct}/{len(l_test)} "
                  f"= {result['test_accuracy']:.2%}"))
    return result


def main(argv=None) -> dict:
    args, plot = example_arguments(argv, __doc__, "cnn_digits", "16/32 channels, 60 epochs",
                                   "stop after this many steps")
    size = dict(epochs=60, ch1=16, ch2=32) if args.full else {}
    result = train(args.out, steps=args.steps, plot=plot, **size)
    print(f"digits CNN: test accuracy {result['test_accuracy']:.2%} ({result['correct']}/{result['n_test']}"
          f" held-out digits; the MLP of examples/digits.py reaches 97.56%); final training loss "
          f"{np.mean(result['losses'][-20:]):.4f}; {len(result['losses'])} steps in {result['seconds']:.1f} s")
    for f in result["files"]:
        print(f"  wrote {f}")
    return result


if __name__ == "__main__":
    main()
