"""render: svg/png/pdf by suffix, format override, parent folders, Digraphs, and the errors for a
missing Graphviz binary or an unknown format."""
import importlib

import pytest

import graphgrad as gg
from dotparse import HAS_DOT
from vizgraphs import seed_jacobian_backward, small_jacobian

needs_dot = pytest.mark.skipif(not HAS_DOT, reason="the Graphviz `dot` program is not installed")
render_module = importlib.import_module("graphgrad.viz.render")  # gg.viz.render is the function
MAGIC = {"svg": b"<svg", "png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


@needs_dot
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_render_by_suffix(tmp_path, fmt):
    path = gg.viz.render(small_jacobian(), tmp_path / "deep" / "er" / f"small.{fmt.upper()}")
    assert path == tmp_path / "deep" / "er" / f"small.{fmt.upper()}"
    data = path.read_bytes()
    assert MAGIC[fmt] in data[:300]
    assert list(path.parent.iterdir()) == [path]  # no stray .gv source beside it


@needs_dot
def test_format_overrides_suffix_and_svg_keeps_the_text(tmp_path):
    path = gg.viz.render(seed_jacobian_backward(), tmp_path / "picture.out", format="svg")
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "x ⊗ I₃" in text and "grad_w1" in text


@needs_dot
def test_render_accepts_a_digraph(tmp_path):
    dot = gg.viz.compare(seed_jacobian_backward(), small_jacobian())
    assert gg.viz.render(dot, tmp_path / "c.png").read_bytes().startswith(MAGIC["png"])
    with pytest.raises(gg.GraphError, match="apply to a Graph"):
        gg.viz.render(dot, tmp_path / "c.png", summary=True)


def test_dot_source_needs_no_binary(tmp_path, monkeypatch):
    monkeypatch.setattr(render_module.shutil, "which", lambda name: None)
    path = gg.viz.render(small_jacobian(), tmp_path / "small.dot")
    assert path.read_text(encoding="utf-8") == gg.viz.to_dot(small_jacobian()).source


def test_missing_binary_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setattr(render_module.shutil, "which", lambda name: None)
    with pytest.raises(gg.GraphError, match="apt-get install graphviz") as info:
        gg.viz.render(small_jacobian(), tmp_path / "small.svg")
    assert "https://graphviz.org/download/" in str(info.value)
    assert not (tmp_path / "small.svg").exists()


def test_binary_missing_from_path_is_caught(tmp_path, monkeypatch):
    """`which` says yes but the program cannot be run: graphviz's ExecutableNotFound becomes a
    GraphError too."""
    monkeypatch.setattr(render_module.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(gg.GraphError, match="apt-get install graphviz"):
        gg.viz.render(small_jacobian(), tmp_path / "small.png")


def test_unknown_format_and_object(tmp_path):
    with pytest.raises(gg.GraphError, match="suffix"):
        gg.viz.render(small_jacobian(), tmp_path / "small.jpeg")
    with pytest.raises(gg.GraphError, match="format 'bmp'"):
        gg.viz.render(small_jacobian(), tmp_path / "small.svg", format="bmp")
    with pytest.raises(gg.GraphError, match="suffix"):
        gg.viz.render(small_jacobian(), tmp_path / "no_suffix")
    with pytest.raises(gg.GraphError, match="gg.Graph or a graphviz.Digraph"):
        gg.viz.render("graph", tmp_path / "x.svg")

