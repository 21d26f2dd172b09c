"""The seed network: a two-layer ReLU net with a squared-error loss, as a static graphgrad graph.

    python examples/two_layer_net.py   # prints the IR, evaluates it, compares with numpy,
                                       # prints the gradient graph before and after optimize

`two_layer_net` is a module-level `gg.Graph` (traced once at import), so other tools can name it
as `examples/two_layer_net.py:two_layer_net`.
"""
import numpy as np

import graphgrad as gg

N, D_in, H, D_out = 64, 1000, 100, 10  # batch size, input, hidden and output dimensions


@gg.function
def two_layer_net(x: gg.f64[N, D_in], y: gg.f64[N, D_out], w1: gg.f64[D_in, H], w2: gg.f64[H, D_out]):
    """Forward pass and loss: relu(x @ w1) @ w2 against y, summed squared error."""
    h = x @ w1
    h_relu = gg.maximum(h, 0)
    y_pred = h_relu @ w2
    loss = gg.sum(gg.square(y_pred - y))
    return loss


def random_inputs(seed: int = 0) -> dict:
    """Random data and weights of the network's shapes, by input name."""
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((N, D_in)), "y": rng.standard_normal((N, D_out)),
            "w1": rng.standard_normal((D_in, H)), "w2": rng.standard_normal((H, D_out))}


def numpy_loss(x, y, w1, w2) -> float:
    """The same forward pass written directly in numpy: the reference."""
    h_relu = np.maximum(x @ w1, 0)
    return float(np.square(h_relu @ w2 - y).sum())


def main() -> None:
    print(two_layer_net)
    inputs = random_inputs()
    loss = float(gg.evaluate(two_layer_net, **inputs))
    expected = numpy_loss(**inputs)
    print(f"loss (graphgrad evaluate): {loss:.10g}")
    print(f"loss (numpy):              {expected:.10g}")
    print(f"relative difference:       {abs(loss - expected) / abs(expected):.2e}")
    print_gradient_graphs()


def print_gradient_graphs() -> None:
    """The gradient graph as gg.grad writes it (explicit Jacobians), then after gg.optimize."""
    backward = gg.grad(two_layer_net, wrt=["w1", "w2"], style="jacobian")
    print(f"\ngradient graph, explicit Jacobians ({len(backward)} nodes):")
    print(backward)
    optimized = gg.optimize(backward)
    print(f"\nafter gg.optimize ({len(optimized)} nodes):")
    print(optimized)


if __name__ == "__main__":
    main()
