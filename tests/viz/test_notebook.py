"""Jupyter display of a Graph: SVG of the default picture plus the text print; text alone when
Graphviz is missing or fails; IPython's include/exclude filters are honoured."""
import importlib

import graphgrad as gg
from dotparse import HAS_DOT
from vizgraphs import rnn, small_jacobian

notebook = importlib.import_module("graphgrad.viz.notebook")
render_module = importlib.import_module("graphgrad.viz.render")


def test_bundle_has_the_picture_and_the_text():
    g = small_jacobian()
    bundle = g._repr_mimebundle_()
    assert bundle["text/plain"] == str(g)
    if HAS_DOT:
        assert bundle["image/svg+xml"].lstrip().startswith("<?xml") and "x ⊗ I₂" in bundle["image/svg+xml"]


def test_without_dot_the_bundle_is_the_text(monkeypatch):
    monkeypatch.setattr(notebook.shutil, "which", lambda name: None)
    g = small_jacobian()
    assert g._repr_mimebundle_() == {"text/plain": str(g)}


def test_a_failing_dot_falls_back_to_the_text(monkeypatch):
    def fail(dot, fmt):
        raise gg.GraphError("Graphviz failed to draw svg: boom")

    monkeypatch.setattr(notebook.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(render_module, "run_dot", fail)
    assert list(small_jacobian()._repr_mimebundle_()) == ["text/plain"]


def test_include_and_exclude():
    g = small_jacobian()
    assert list(g._repr_mimebundle_(exclude=["image/svg+xml"])) == ["text/plain"]
    assert "image/svg+xml" not in g._repr_mimebundle_(include=["text/plain"])


def test_a_big_graph_displays_its_default_view():
    g = gg.optimize(gg.grad(rnn(20)))
    bundle = g._repr_mimebundle_()
    if HAS_DOT:
        assert "x[1…19]" in bundle["image/svg+xml"]
