"""What the model examples share: export a graph and import the module back from its file (proof
that the generated code stands alone), a numpy Adam, and the loss-curve picture."""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import pathlib

import numpy as np

import graphgrad as gg


def export_and_import(graph: gg.Graph, path, name: str):
    """gg.export(graph) to `path` (numpy backend, no per-call argument checks in the hot loop),
    then import that file as a module and return its function `name`."""
    path = gg.export(graph, path, name=name, check_args=False)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = getattr(module, name)
    fn.path = path
    return fn


def example_arguments(argv, doc: str, name: str, full: str, steps: str):
    """The command line the model examples share: --full (described by `full`), --steps, --out and
    --plot; returns the arguments and the loss-curve path (docs/<name>_loss[_full].png unless
    --plot names one)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help=full)
    parser.add_argument("--steps", type=int, default=None, help=steps)
    parser.add_argument("--out", default=f"build/{name}")
    parser.add_argument("--plot", default=None, help=f"loss-curve PNG (default docs/{name}_loss[_full].png)")
    args = parser.parse_args(argv)
    return args, args.plot or f"docs/{name}_loss{'_full' if args.full else ''}.png"


def one_blas_thread():
    """A context for a training loop of small arrays: BLAS on one thread (a second one costs more
    in hand-offs than it gains; threadpoolctl comes with scikit-learn), and glibc's malloc told
    to keep freed megabyte arrays instead of unmapping and faulting them in again on every
    step (the settings of docs/performance.md; about half of a step's time at these sizes)."""
    _keep_freed_memory()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - without scikit-learn's helper, BLAS as configured
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _keep_freed_memory() -> None:
    """mallopt(M_MMAP_THRESHOLD, 32 MiB) and mallopt(M_TRIM_THRESHOLD, 1 GiB) where glibc exists."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 2 ** 20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 2 ** 30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


class Adam:
    """Adam on a dict of numpy parameters, updated in place; `clip` bounds the global grad norm."""

    def __init__(self, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, clip=None):
        self.lr, self.b1, self.b2, self.eps, self.clip = lr, b1, b2, eps, clip
        self.state, self.steps = {}, 0

    def step(self, params: dict, grads: dict, lr=None) -> None:
        self.steps += 1
        lr = self.lr if lr is None else lr
        scale = 1.0
        if self.clip is not None:
            norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
            scale = min(1.0, self.clip / max(norm, 1e-12))
        for k, g in grads.items():
            g = g * scale
            m, v = self.state.get(k, (0.0, 0.0))
            m, v = self.b1 * m + (1 - self.b1) * g, self.b2 * v + (1 - self.b2) * g * g
            self.state[k] = (m, v)
            m_hat, v_hat = m / (1 - self.b1 ** self.steps), v / (1 - self.b2 ** self.steps)
            params[k] -= lr * m_hat / (np.sqrt(v_hat) + self.eps)


def plot_curves(path, curves: dict, *, title: str, ylabel: str, xlabel="training step", log=True,
                hlines: dict | None = None, window: int = 20) -> pathlib.Path:
    """Loss curves (label -> list of values, or of (step, value) pairs) as a PNG, with a moving
    average of per-step curves and horizontal reference lines (label -> value)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=120)
    for label, values in curves.items():
        values = list(values)
        if values and isinstance(values[0], tuple):
            ax.plot(*zip(*values), lw=1.8, marker="o", ms=3, label=label)
            continue
        ax.plot(values, lw=0.6, alpha=0.5, label=label)
        if len(values) >= 2 * window:
            smooth = np.convolve(values, np.ones(window) / window, mode="valid")
            ax.plot(np.arange(window - 1, len(values)), smooth, lw=1.8, label=f"{label}, mean of {window}")
    for label, value in (hlines or {}).items():
        ax.axhline(value, color="grey", ls="--", lw=1, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
