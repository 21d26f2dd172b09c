"""The main job's steps at reduced size: every stage runs, checks pass and files appear."""
import shutil

import numpy as np
import pytest

from examples import demo, digits

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")


@needs_dot
def test_seed_stage_writes_code_and_pictures(tmp_path, capsys):
    files = []
    demo.seed_network(tmp_path, files)
    names = sorted(f.name for f in files)
    assert names == sorted(["two_layer_net_grad_numpy.py", "two_layer_net_grad_jax.py",
                            "two_layer_forward.svg", "two_layer_backward.svg",
                            "two_layer_optimized.svg", "two_layer_compare.svg"])
    assert all(f.stat().st_size > 0 for f in files)
    out = capsys.readouterr().out
    assert "refused before allocating" in out and "(6400, 100000)" in out
    assert "MISMATCH" not in out and out.count(" ok") == 6
    numpy_code = (tmp_path / "two_layer_net_grad_numpy.py").read_text()
    assert "grad_w2 = h_relu.T @ grad_y_pred" in numpy_code
    assert "kron" not in numpy_code and "diag" not in numpy_code


def test_handwritten_backprop_matches_jax():
    rng = np.random.default_rng(1)
    args = [rng.standard_normal(s) for s in ((4, 6), (4, 2), (6, 3), (3, 2))]
    for a, b in zip(demo.handwritten_backprop(*args), demo.jax_reference(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_digits_training_learns_at_small_size(tmp_path):
    result = digits.train(tmp_path, epochs=3, hidden=16, plot=True)
    assert result["test_accuracy"] > 0.85
    assert result["losses"][-1] < result["losses"][0] / 3
    assert {f.name for f in result["files"]} == {"digits_train_step.py", "digits_loss.png"}
    module = (tmp_path / "digits_train_step.py").read_text()
    assert "graphgrad" not in module.split('"""', 2)[2] and "import numpy as np" in module
