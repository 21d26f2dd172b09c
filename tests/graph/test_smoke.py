"""The seed network traces, prints and evaluates like numpy."""
import numpy as np

import graphgrad as gg


def test_two_layer_net_traces_and_evaluates():
    @gg.function
    def mlp(x: gg.f64[8, 5], y: gg.f64[8, 3], w1: gg.f64[5, 4], w2: gg.f64[4, 3]):
        h = x @ w1
        h_relu = gg.maximum(h, 0)
        y_pred = h_relu @ w2
        return gg.sum(gg.square(y_pred - y))

    rng = np.random.default_rng(0)
    x, y, w1, w2 = (rng.standard_normal(s.shape) for s in mlp.inputs.values())
    expected = np.sum(np.square(np.maximum(x @ w1, 0) @ w2 - y))
    np.testing.assert_allclose(gg.evaluate(mlp, x, y, w1, w2), expected, rtol=1e-12)
    assert "%0:f64[8,4] = matmul %x, %w1  # h" in str(mlp)
    assert list(mlp.inputs) == ["x", "y", "w1", "w2"] and list(mlp.outputs) == ["out"]
