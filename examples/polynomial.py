"""The seed's cubic fit: y_pred = a + b*x + c*x**2 + d*x**3 against sin(x) on 2000 points.

    python examples/polynomial.py   # prints the IR, evaluates it, compares with numpy, and
                                    # prints the gradient graph before and after optimize

`polynomial` is a module-level `gg.Graph` with the data (x, y) and the scalar coefficients
(a, b, c, d) as inputs; its output is the summed squared error.
"""
import math

import numpy as np

import graphgrad as gg

POINTS = 2000


@gg.function
def polynomial(x: gg.f64[POINTS], y: gg.f64[POINTS], a: gg.f64[()], b: gg.f64[()],
               c: gg.f64[()], d: gg.f64[()]):
    """Cubic prediction and its summed squared error against y."""
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = gg.sum((y_pred - y) ** 2)
    return loss


def data() -> tuple:
    """The seed's data: x evenly spaced on [-pi, pi] and y = sin(x)."""
    x = np.linspace(-math.pi, math.pi, POINTS)
    return x, np.sin(x)


def random_coefficients(seed: int = 0) -> dict:
    """Random scalar coefficients a, b, c, d (0-d float64 arrays)."""
    rng = np.random.default_rng(seed)
    return {k: np.float64(rng.standard_normal()) for k in "abcd"}


def numpy_loss(x, y, a, b, c, d) -> float:
    """The same loss written directly in numpy: the reference."""
    return float(np.square(a + b * x + c * x ** 2 + d * x ** 3 - y).sum())


def main() -> None:
    print(polynomial)
    x, y = data()
    coefficients = random_coefficients()
    loss = float(gg.evaluate(polynomial, x, y, **coefficients))
    expected = numpy_loss(x, y, **coefficients)
    print(f"loss (graphgrad evaluate): {loss:.10g}")
    print(f"loss (numpy):              {expected:.10g}")
    print(f"relative difference:       {abs(loss - expected) / abs(expected):.2e}")
    print_gradient_graphs()


def print_gradient_graphs() -> None:
    """The gradient graph as gg.grad writes it (explicit Jacobians), then after gg.optimize."""
    backward = gg.grad(polynomial, wrt=["a", "b", "c", "d"], style="jacobian")
    print(f"\ngradient graph, explicit Jacobians ({len(backward)} nodes):")
    print(backward)
    optimized = gg.optimize(backward)
    print(f"\nafter gg.optimize ({len(optimized)} nodes):")
    print(optimized)


if __name__ == "__main__":
    main()
