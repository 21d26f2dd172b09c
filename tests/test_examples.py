"""The gg.nn model examples at tiny sizes: each trains through a module exported to a file and
imported from that file (no graphgrad in it), its loss goes down, and its loss curve is written."""
import inspect

import numpy as np
import pytest

from examples import char_transformer, cnn_digits, demo, rnn_sequence


def _check_exported(files, tmp_path):
    modules = [f for f in files if f.suffix == ".py"]
    assert modules and all(f.parent.parent == tmp_path for f in modules)
    for f in modules:
        body = f.read_text().split('"""', 2)[2]
        assert "import numpy as np" in body and "graphgrad" not in body
    assert any(f.suffix == ".png" and f.stat().st_size > 0 for f in files)


def _decreases(losses, k=10):
    return np.mean(losses[-k:]) < 0.85 * np.mean(losses[:k])


def test_cnn_digits_tiny(tmp_path):
    r = cnn_digits.train(tmp_path / "cnn", ch1=4, ch2=4, steps=80, lr=0.03, plot=tmp_path / "cnn.png")
    _check_exported(r["files"], tmp_path)
    assert _decreases(r["losses"]) and r["test_accuracy"] > 0.5


def test_char_transformer_tiny(tmp_path):
    r = char_transformer.train(tmp_path / "tr", width=16, context=8, heads=2, batch=8, steps=120, lr=1e-2,
                               n_samples=2, sample_chars=5, plot=tmp_path / "tr.png")
    _check_exported(r["files"], tmp_path)
    assert _decreases(r["losses"]) and r["val_loss"] < r["unigram_loss"] + 0.5
    assert len(r["samples"]) == 2 and all(len(s) == 5 for s in r["samples"])


def test_rnn_sequence_tiny(tmp_path):
    r = rnn_sequence.train(tmp_path / "rnn", hidden=8, steps=150, n_test=50, plot=tmp_path / "rnn.png")
    _check_exported(r["files"], tmp_path)
    assert _decreases(r["losses"]) and r["test_mse"] < rnn_sequence.BASELINE_MSE


def test_training_step_runs_the_imported_file(tmp_path):
    from examples.training import export_and_import

    step = export_and_import(rnn_sequence.make_graph(2, 3, 1), tmp_path / "m" / "loss.py", "loss")
    assert inspect.getsourcefile(step) == str(step.path) and step.path.exists()


def test_corpus_is_deterministic_text():
    text = char_transformer.corpus()
    assert len(text) > 50_000 and text == char_transformer.corpus()
    assert all(32 <= ord(c) < 127 or c == "\n" for c in text)


@pytest.mark.parametrize("module", [cnn_digits, char_transformer, rnn_sequence])
def test_command_line_quick_run(module, tmp_path, capsys):
    module.main(["--steps", "3", "--out", str(tmp_path / "out"), "--plot", str(tmp_path / "curve.png")])
    assert (tmp_path / "curve.png").exists() and "wrote" in capsys.readouterr().out


def test_demo_lists_the_models():
    assert "cnn_digits" in inspect.getsource(demo.nn_models)
