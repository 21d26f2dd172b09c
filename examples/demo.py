"""The main job (`make demo`): graphgrad end to end.

1. The seed two-layer network: its gradient graph in explicit-Jacobian style, the memory budget
   that refuses to materialise it, the flatten/reshape rewrite, the optimized numpy and jax code
   written to build/seed/, pictures of every stage, and the gradients checked against the seed's
   hand-written backprop and against jax.grad.
2. A real task: an MLP classifier on scikit-learn's bundled digits, trained with the generated
   numpy gradient module; test accuracy and the loss curve go to build/digits/.
3. Three models built with gg.nn, each trained through its exported gradient module imported from
   its file: a digits CNN (examples/cnn_digits.py), a character-level transformer
   (examples/char_transformer.py) and a tanh RNN on delayed recall (examples/rnn_sequence.py);
   their modules and loss curves go to build/<model>/.
4. A summary of every file written.
"""
from __future__ import annotations

import argparse
import pathlib
import time

import numpy as np

import graphgrad as gg
from examples import char_transformer, cnn_digits, digits, rnn_sequence
from examples.two_layer_net import two_layer_net

WRT = ["w1", "w2"]


def handwritten_backprop(x, y, w1, w2):
    """The seed's numpy backprop, verbatim in spirit: the reference for the generated code."""
    h = x.dot(w1)
    h_relu = np.maximum(h, 0)
    y_pred = h_relu.dot(w2)
    loss = np.square(y_pred - y).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T.dot(grad_y_pred)
    grad_h_relu = grad_y_pred.dot(w2.T)
    grad_h = grad_h_relu.copy()
    grad_h[h < 0] = 0
    grad_w1 = x.T.dot(grad_h)
    return loss, grad_w1, grad_w2


def jax_reference(x, y, w1, w2):
    """jax.grad of the same loss, in float64."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def loss(w1, w2):
        return jnp.sum(jnp.square(jnp.maximum(x @ w1, 0) @ w2 - y))

    return (loss(w1, w2),) + tuple(jax.grad(loss, argnums=(0, 1))(w1, w2))


def _mb(nbytes: int) -> str:
    return f"{nbytes / 1e6:,.1f} MB" if nbytes < 1e9 else f"{nbytes / 1e9:,.2f} GB"


def seed_network(out: pathlib.Path, files: list) -> None:
    """Stage 1: the seed network through every stage of graphgrad."""
    g = two_layer_net
    print(f"\n== 1. the seed two-layer network ({', '.join(f'{k}{v.shape}' for k, v in g.inputs.items())})")
    jac = gg.grad(g, wrt=WRT, style="jacobian")
    size, node = gg.largest_intermediate(jac)
    print(f"Jacobian-style backward graph: {len(jac)} nodes; largest intermediate {node.op} "
          f"{node.shape} = {_mb(size)}")
    try:
        gg.compile(jac, optimize=False)
    except gg.MemoryBudgetError as e:
        print(f"compiling it as written is refused before allocating anything:\n  {e}")
    rewritten = gg.passes.rewrite_jacobians(jac)
    optimized = gg.optimize(jac)
    vjp = gg.optimize(gg.grad(g, wrt=WRT, style="vjp"))
    print(f"after the flatten/reshape rewrite: {len(rewritten)} nodes, none of "
          f"{sorted(gg.JACOBIAN_OPS)}; after optimize: {len(optimized)} nodes "
          f"(the compact vjp route: {len(vjp)}); largest intermediate now "
          f"{_mb(gg.largest_intermediate(optimized)[0])}")
    for backend in ("numpy", "jax"):
        files.append(gg.export(optimized, out / f"two_layer_net_grad_{backend}.py", backend=backend,
                               optimize=False, name="two_layer_net_grad"))
    print("\noptimized gradient code (numpy):\n")
    print(gg.codegen.emit(optimized, name="two_layer_net_grad"))
    for stage, graph in (("forward", g), ("backward", jac), ("optimized", optimized)):
        files.append(gg.viz.render(graph, out / f"two_layer_{stage}.svg"))
    files.append(gg.viz.render(gg.viz.compare(jac, optimized), out / "two_layer_compare.svg"))
    check_seed_gradients(optimized)


def check_seed_gradients(optimized: gg.Graph) -> None:
    """Generated numpy and jax code against hand-written backprop and jax.grad."""
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(spec.shape) for spec in two_layer_net.inputs.values()]
    expected = handwritten_backprop(*args)
    reference = jax_reference(*args)
    for backend in ("numpy", "jax"):
        got = gg.compile(optimized, backend=backend, optimize=False)(*args)
        for name, a, b, c in zip(("loss", "grad_w1", "grad_w2"), got, expected, reference):
            err = max(_relerr(a, b), _relerr(a, c))
            status = "ok" if err < 1e-10 else "MISMATCH"
            print(f"  {backend:5s} {name:8s} vs hand-written backprop and jax.grad: "
                  f"max rel. error {err:.1e} {status}")
            if err >= 1e-10:
                raise SystemExit(f"demo: {backend} {name} disagrees with the reference")


def _relerr(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def digits_task(out: pathlib.Path, files: list, epochs: int, hidden: int) -> float:
    """Stage 2: train a classifier on real data with the generated gradient module."""
    print(f"\n== 2. digits classifier (64-{hidden}-10 tanh MLP, softmax cross-entropy, Adam)")
    result = digits.train(out, epochs=epochs, hidden=hidden)
    print(f"test accuracy {result['test_accuracy']:.2%} on {result['n_test']} held-out digits "
          f"(trained on {result['n_train']})")
    files.extend(result["files"])
    return result["test_accuracy"]


def nn_models(out: pathlib.Path, files: list) -> list:
    """Stage 3: the gg.nn models at their default sizes; returns the failures against their targets."""
    failures = []
    print("\n== 3a. digits CNN (conv-relu-pool x2, linear; nn.softmax_cross_entropy, Adam)")
    cnn = cnn_digits.train(out / "cnn_digits", plot=out / "cnn_digits" / "cnn_digits_loss.png")
    print(f"test accuracy {cnn['test_accuracy']:.2%} ({cnn['correct']}/{cnn['n_test']} held-out digits; "
          f"the MLP above: 97.56%) in {cnn['seconds']:.1f} s")
    if cnn["test_accuracy"] < 0.98:
        failures.append(f"CNN test accuracy {cnn['test_accuracy']:.2%} is below 98%")
    print("\n== 3b. character-level transformer (2 pre-norm blocks, causal attention, GELU MLP)")
    tr = char_transformer.train(out / "char_transformer",
                                plot=out / "char_transformer" / "char_transformer_loss.png")
    print(f"validation loss {tr['val_loss']:.3f} nats/char vs the unigram baseline {tr['unigram_loss']:.3f} "
          f"({len(tr['losses'])} steps in {tr['seconds']:.1f} s); samples at temperature 0.5:")
    for prompt, text in zip(tr["prompts"], tr["samples"]):
        print("  " + repr(prompt[-24:] + "|" + text))
    if tr["val_loss"] > tr["unigram_loss"] - 0.5:
        failures.append(f"transformer validation loss {tr['val_loss']:.3f} is not clearly below the "
                        f"unigram baseline {tr['unigram_loss']:.3f}")
    print(f"\n== 3c. tanh RNN unrolled for {rnn_sequence.STEPS_IN_TIME} steps, delayed recall")
    rnn = rnn_sequence.train(out / "rnn_sequence", plot=out / "rnn_sequence" / "rnn_sequence_loss.png")
    print(f"held-out MSE {rnn['test_mse']:.4f} (target {rnn_sequence.TARGET_MSE}; predicting 0 scores "
          f"{rnn_sequence.BASELINE_MSE:.3f}) in {rnn['seconds']:.1f} s")
    if rnn["test_mse"] >= rnn_sequence.TARGET_MSE:
        failures.append(f"RNN held-out MSE {rnn['test_mse']:.4f} misses the target {rnn_sequence.TARGET_MSE}")
    for result in (cnn, tr, rnn):
        files.extend(result["files"])
    return failures


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="build", help="output folder (default: build)")
    parser.add_argument("--epochs", type=int, default=30, help="training epochs (default: 30)")
    parser.add_argument("--hidden", type=int, default=64, help="hidden units (default: 64)")
    args = parser.parse_args(argv)
    start, files, out = time.perf_counter(), [], pathlib.Path(args.out)
    seed_network(out / "seed", files)
    accuracy = digits_task(out / "digits", files, args.epochs, args.hidden)
    failures = nn_models(out, files)
    print(f"\n== 4. summary ({time.perf_counter() - start:.1f} s)")
    for f in files:
        print(f"  wrote {f}")
    if accuracy < 0.95:
        failures.insert(0, f"test accuracy {accuracy:.2%} is below 95%")
    if failures:
        raise SystemExit("demo: " + "; ".join(failures))


if __name__ == "__main__":
    main()
