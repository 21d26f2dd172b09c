"""to_dot(marks=...): nodes, or a per-node report with .failures, drawn with a magenta border,
a "✗" and a legend row; nodes of the graph before gg.grad mark the same nodes after it."""
from dataclasses import dataclass

import pytest

import graphgrad as gg
from graphgrad.viz import style
from dotparse import parse
from vizgraphs import rnn, seed_forward, seed_jacobian_backward, tanh_chain_with_backward


@dataclass
class Failure:
    node: object
    error: float = 1.0


@dataclass
class Report:
    failures: list


def marked_ids(source) -> set:
    d = parse(source)
    return {k for k, a in d.nodes.items() if a.get("color") == style.MARK_LINE}


def test_nodes_are_drawn_marked_with_a_legend_row():
    g = seed_jacobian_backward()
    picks = [g.nodes[2], g.nodes[12], g.input_values["w1"]]
    source = gg.viz.to_dot(g, marks=picks).source
    d = parse(source)
    assert marked_ids(source) == {"n2", "n12", "in_w1"}
    for key in ("n2", "n12", "in_w1"):
        assert "✗ marked" in d.nodes[key]["label"] and d.nodes[key]["penwidth"] == "3.5"
    assert "✗ marked" not in d.nodes["n0"]["label"]
    assert "marked (e.g. failed its gradient check)" in d.nodes["legend"]["label"]
    assert "marked" not in gg.viz.to_dot(g).source  # no marks, no legend row


@pytest.mark.parametrize("wrap", [lambda ns: Report(ns), lambda ns: Report([Failure(n) for n in ns]),
                                  lambda ns: iter(ns), tuple])
def test_reports_and_iterables_mark_alike(wrap):
    g = seed_jacobian_backward()
    assert marked_ids(gg.viz.to_dot(g, marks=wrap([g.nodes[4], g.nodes[0]])).source) == {"n0", "n4"}
    assert marked_ids(gg.viz.to_dot(g, marks=Report([])).source) == set()


def test_nodes_of_the_forward_graph_mark_the_gradient_graph():
    f = seed_forward()
    g = gg.grad(f)
    assert marked_ids(gg.viz.to_dot(g, marks=[f.nodes[2], f.input_values["x"]]).source) == {"n2", "in_x"}


def test_unknown_marks_are_errors():
    g, other = seed_forward(), seed_jacobian_backward()
    with pytest.raises(gg.GraphError, match="no such node"):
        gg.viz.to_dot(g, marks=[other.nodes[-1]])
    with pytest.raises(gg.GraphError, match="cannot mark"):
        gg.viz.to_dot(g, marks=["h"])
    with pytest.raises(gg.GraphError, match="marks must be"):
        gg.viz.to_dot(g, marks=3)


def test_a_mark_in_a_collapsed_copy_marks_the_drawn_copy_and_op_boxes_count_marks():
    g = tanh_chain_with_backward(300)
    tanhs = [n for n in g.nodes if n.op == "tanh"]
    source = gg.viz.to_dot(g, marks=[tanhs[150]]).source
    (key,) = marked_ids(source)
    drawn = g.nodes[int(key[1:])]
    assert drawn.op == "tanh" and drawn is not tanhs[150]
    summary = parse(gg.viz.to_dot(g, summary="ops", marks=tanhs[:3]).source)
    assert "✗ 3 marked" in summary.nodes["forward_tanh"]["label"]
    assert summary.nodes["forward_tanh"]["color"] == style.MARK_LINE


def test_marks_survive_folding():
    g = gg.optimize(gg.grad(rnn(40), ["wx"]))
    target = [n for n in g.nodes if n.op == "tanh"][-1]
    assert f"n{target.id}" in marked_ids(gg.viz.to_dot(g, summary=False, marks=[target]).source)
