"""`graphgrad draw`: --summary ops|layers|none, and a progress line only when drawing is slow."""
import importlib

import pytest

from graphgrad import cli

from graphgrad.cli import main
from dotparse import parse

render_module = importlib.import_module("graphgrad.viz.render")

MODEL = '''
import graphgrad as gg

@gg.function
def chain(x: gg.f64[2, 4], w: gg.f64[4, 4]):
    h = x
    for _ in range(120):
        h = gg.tanh(h @ w)
    return gg.sum(h)
'''


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "chain.py"
    path.write_text(MODEL)
    return str(path)


@pytest.mark.parametrize("summary, check", [
    ("ops", lambda d: "forward_tanh" in d.nodes and len(d.nodes) < 20),
    ("layers", lambda d: any("repeat" in c for c in d.clusters) and len(d.nodes) < 80),
    ("none", lambda d: len([k for k in d.nodes if k[0] == "n" and k[1:].isdigit()]) > 300),
    (None, lambda d: any("repeat" in c for c in d.clusters)),  # over 300 nodes: collapsed
])
def test_summary_option(model, tmp_path, capsys, summary, check):
    out = tmp_path / "chain.dot"
    argv = ["draw", f"{model}:chain", "-o", str(out)] + (["--summary", summary] if summary else [])
    assert main(argv) == 0
    assert check(parse(out.read_text(encoding="utf-8")))
    assert capsys.readouterr().out.startswith(f"wrote {out} (")


def test_bad_summary_is_one_line(model, tmp_path, capsys):
    assert main(["draw", f"{model}:chain", "--summary", "some", "-o", str(tmp_path / "c.svg")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--summary" in err and "ops" in err


def test_progress_line_only_when_drawing_is_slow(model, tmp_path, capsys, monkeypatch):
    out = tmp_path / "chain.dot"
    monkeypatch.setattr(cli, "PROGRESS_AFTER_S", 10.0)  # a busy machine may take a second anyway
    assert main(["draw", f"{model}:chain", "--summary", "ops", "-o", str(out)]) == 0
    assert "drawing" not in capsys.readouterr().err  # fast: silent
    monkeypatch.setattr(cli, "PROGRESS_AFTER_S", 1.0)

    slow = render_module.Path.write_bytes

    def write_slowly(self, data):
        __import__("time").sleep(1.3)
        return slow(self, data)

    monkeypatch.setattr(render_module.Path, "write_bytes", write_slowly)
    assert main(["draw", f"{model}:chain", "--summary", "ops", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "drawing chain" in err and "with Graphviz" in err
