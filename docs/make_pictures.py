"""Regenerate the pictures in docs/: the seed two-layer network at every stage.

    .venv/bin/python docs/make_pictures.py [OUT_DIR]

forward graph, Jacobian-style backward graph (gg.grad(style="jacobian")), optimized graph
(gg.optimize), and the side-by-side view of the explicit-Jacobian and rewritten gradients;
each as svg and png. Building the pictures allocates nothing: the graphs only carry shapes.
"""
from __future__ import annotations

from pathlib import Path
import sys

import graphgrad as gg

N, D_IN, H, D_OUT = 64, 1000, 100, 10
DOCS = Path(__file__).resolve().parent


@gg.function
def two_layer_net(x: gg.f64[N, D_IN], y: gg.f64[N, D_OUT], w1: gg.f64[D_IN, H],
                  w2: gg.f64[H, D_OUT]):
    """The seeds' network: a ReLU layer, a linear layer and a squared-error loss."""
    h = x @ w1
    h_relu = gg.maximum(h, 0)
    y_pred = h_relu @ w2
    loss = gg.sum(gg.square(y_pred - y))
    return {"loss": loss}


def stages():
    """The pictures to draw: name -> a Graph or a compare() Digraph."""
    backward = gg.grad(two_layer_net, ["w1", "w2"], style="jacobian")
    optimized = gg.optimize(backward)
    return {
        "two_layer_forward": gg.viz.to_dot(two_layer_net, title="two_layer_net: forward graph"),
        "two_layer_backward": gg.viz.to_dot(
            backward, title='gg.grad(two_layer_net, ["w1", "w2"], style="jacobian")'),
        "two_layer_optimized": gg.viz.to_dot(optimized, title="gg.optimize(backward)"),
        "two_layer_compare": gg.viz.compare(
            backward, optimized, titles=("explicit Jacobians (gg.grad, style=\"jacobian\")",
                                         "rewritten (gg.optimize)")),
    }


def main(out_dir: Path = DOCS) -> list:
    """Render every stage as svg and png into out_dir; return the paths written."""
    written = []
    for name, dot in stages().items():
        for fmt in ("svg", "png"):
            written.append(gg.viz.render(dot, Path(out_dir) / f"{name}.{fmt}"))
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS):
        print(path)
