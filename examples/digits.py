"""A handwritten-digit classifier declared with `@gg.function` and trained with the numpy
gradient module that graphgrad generates (scikit-learn's bundled 8x8 digits, no download).

    python -m examples.digits            # trains, prints test accuracy, writes build/digits/
"""
import importlib.util
import pathlib

import numpy as np

import graphgrad as gg

try:  # the progress bar lives beside this file; run as a module or as a script
    from examples.progress import Progress
except ImportError:  # pragma: no cover - `python examples/digits.py`
    from progress import Progress

N_FEATURES, N_CLASSES = 64, 10


def make_loss_graph(batch: int, hidden: int) -> gg.Graph:
    """Mean softmax cross-entropy of a one-hidden-layer tanh MLP on a batch of digits."""

    @gg.function(name="digits_mlp")
    def loss_fn(x: gg.f64[batch, N_FEATURES], y: gg.f64[batch, N_CLASSES],
                w1: gg.f64[N_FEATURES, hidden], b1: gg.f64[hidden],
                w2: gg.f64[hidden, N_CLASSES], b2: gg.f64[N_CLASSES]):
        h = gg.tanh(x @ w1 + b1)
        logits = h @ w2 + b2
        loss = -gg.sum(y * gg.log_softmax(logits, axis=1)) / batch
        return loss

    return loss_fn


def make_predict_graph(n: int, hidden: int) -> gg.Graph:
    """Class scores for `n` digits (the same model, no loss)."""

    @gg.function(name="digits_logits")
    def logits_fn(x: gg.f64[n, N_FEATURES], w1: gg.f64[N_FEATURES, hidden], b1: gg.f64[hidden],
                  w2: gg.f64[hidden, N_CLASSES], b2: gg.f64[N_CLASSES]):
        return gg.tanh(x @ w1 + b1) @ w2 + b2

    return logits_fn


def load_split(seed: int = 0, test_fraction: float = 0.25):
    """Digits scaled to [0, 1], one-hot labels, and a stratified held-out test split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, labels = load_digits(return_X_y=True)
    x = x / 16.0
    return train_test_split(x, labels, test_size=test_fraction, random_state=seed, stratify=labels)


def _import_module(path: pathlib.Path):
    """Import the exported gradient module from its file: proof that it stands alone."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _adam(params, grads, state, step, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
    """One Adam update of the parameter dict, in place."""
    for k, g in grads.items():
        m, v = state.setdefault(k, (np.zeros_like(g), np.zeros_like(g)))
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        state[k] = (m, v)
        params[k] -= lr * (m / (1 - b1 ** step)) / (np.sqrt(v / (1 - b2 ** step)) + eps)


def train(out_dir, *, epochs: int = 30, hidden: int = 64, batch: int = 64, seed: int = 0,
          plot: bool = True) -> dict:
    """Train the classifier with generated numpy code; return accuracy, losses and files written."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    x_train, x_test, l_train, l_test = load_split(seed)
    y_train = np.eye(N_CLASSES)[l_train]

    step_graph = gg.grad(make_loss_graph(batch, hidden), wrt=["w1", "b1", "w2", "b2"], style="vjp")
    module_path = gg.export(step_graph, out_dir / "digits_train_step.py", name="train_step")
    train_step = _import_module(module_path).train_step
    predict = gg.compile(make_predict_graph(len(x_test), hidden))

    rng = np.random.default_rng(seed)
    params = {"w1": rng.standard_normal((N_FEATURES, hidden)) / np.sqrt(N_FEATURES),
              "b1": np.zeros(hidden),
              "w2": rng.standard_normal((hidden, N_CLASSES)) / np.sqrt(hidden),
              "b2": np.zeros(N_CLASSES)}
    state, losses, steps_per_epoch = {}, [], len(x_train) // batch
    with Progress(epochs * steps_per_epoch, "training digits MLP") as bar:
        for _ in range(epochs):
            order = rng.permutation(len(x_train))
            for i in range(steps_per_epoch):
                idx = order[i * batch:(i + 1) * batch]
                loss, *grads = train_step(x_train[idx], y_train[idx], **params)
                _adam(params, dict(zip(["w1", "b1", "w2", "b2"], grads)), state, len(losses) + 1)
                losses.append(float(loss))
                bar.update(1, note=f"loss {loss:.4f}")
    accuracy = float(np.mean(np.argmax(predict(x_test, **params), axis=1) == l_test))
    files = [module_path]
    if plot:
        files.append(plot_losses(losses, out_dir / "digits_loss.png", accuracy))
    return {"test_accuracy": accuracy, "losses": losses, "files": files,
            "n_train": len(x_train), "n_test": len(x_test)}


def plot_losses(losses, path, accuracy) -> pathlib.Path:
    """The training-loss curve (per step, with a moving average) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=120)
    ax.plot(losses, lw=0.6, alpha=0.5, label="loss per step")
    window = 20
    if len(losses) >= window:
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window - 1, len(losses)), smooth, lw=1.8, label=f"mean of {window} steps")
    ax.set(xlabel="training step", ylabel="cross-entropy", yscale="log",
           title=f"digits MLP, generated numpy gradients (test accuracy {accuracy:.1%})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return pathlib.Path(path)


def main() -> None:
    result = train("build/digits")
    print(f"test accuracy {result['test_accuracy']:.2%} on {result['n_test']} held-out digits")
    for f in result["files"]:
        print(f"wrote {f}")


if __name__ == "__main__":
    main()
