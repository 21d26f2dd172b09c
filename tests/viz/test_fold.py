"""Folding tall pictures into columns: which views fold, that no edge is lost (drawn or as a
reference), that Graphviz places the columns in reading order, and that a PNG fits the cap."""
import importlib
import re
import subprocess

import pytest

import graphgrad as gg
from graphgrad.viz import layout
from graphgrad.viz.dot import value_id
from graphgrad.viz.folded import ref_id
from graphgrad.viz.view import full_view
from dotparse import HAS_DOT, parse
from vizgraphs import rnn, seed_jacobian_backward, small_jacobian, varied_mlp

render_module = importlib.import_module("graphgrad.viz.render")
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="the Graphviz `dot` program is not installed")


@pytest.fixture(scope="module")
def tall():
    """About 200 nodes in a chain that nothing collapses: too tall for one column."""
    return gg.optimize(gg.grad(varied_mlp(25)))


def test_small_graphs_are_not_folded():
    for g in (small_jacobian(), seed_jacobian_backward()):
        assert not layout.plan(full_view(g)).folded
    for g in (small_jacobian(), seed_jacobian_backward(), gg.optimize(gg.grad(rnn(20), ["wx", "wh"]))):
        assert "_to_" not in gg.viz.to_dot(g).source  # no references: the RNN collapses


def test_tall_graph_folds_into_columns_by_role(tall):
    fold = layout.plan(full_view(tall))
    assert fold.folded and fold.columns["forward"] >= 2 and fold.columns["backward"] >= 2
    d = parse(gg.viz.to_dot(tall, summary=False).source)
    columns = [c for c in d.clusters if c[len("cluster_"):].rstrip("0123456789") in ("forward", "backward")]
    want = [f"cluster_forward{k}" for k in range(fold.columns["forward"])]
    want += [f"cluster_backward{k}" for k in range(fold.columns["backward"])]
    assert columns == want  # emitted in reading order
    for n in tall.nodes:
        (home,) = [c for c in columns if f"n{n.id}" in d.clusters[c]]
        assert home.startswith(f"cluster_{n.role}")
    for role in ("forward", "backward"):  # no column taller than a page
        for k in range(fold.columns[role]):
            ranks = [fold.rank[v] for v, c in fold.column.items() if c == (role, k)]
            assert max(ranks) - min(ranks) < layout.MAX_RANKS
    labels = [d.cluster_attrs[c]["label"] for c in columns]
    assert "1 / " in labels[0] and f"{fold.columns['backward']} / {fold.columns['backward']}" in labels[-1]


def test_every_edge_is_drawn_or_referenced(tall):
    view = full_view(tall)
    fold = layout.plan(view)
    d = parse(gg.viz.to_dot(tall, summary=False).source)
    drawn = {(a, b): attrs for a, b, attrs in d.edges}
    assert fold.refs  # the picture needs references: columns do not touch
    for src, dst, count, carry in view.edges():
        ref = fold.refs.get((src, dst, carry))
        tail = value_id(src) if ref is None else ref_id(ref)
        assert (tail, value_id(dst)) in drawn
        if ref is not None:
            assert src in ref[2] and fold.column[ref[2][0]] != fold.column[dst] or \
                fold.rank[dst] - fold.rank[src] > layout.LONG_EDGE
            assert d.nodes[tail]["style"] == "dashed,rounded,filled"
            assert "from " in d.nodes[tail]["label"] or src.op == "constant"
    for a, b in drawn:
        assert a in d.nodes and b in d.nodes
    for c, members in d.clusters.items():  # a reference sits in its reader's column
        for node in members:
            if "_to_" in node:
                reader = node.split("_to_")[1].removesuffix("_next")
                assert reader in members or reader.startswith("out_")


def test_references_merge_same_kind_sources():
    """An op that reads many values of one kind from far away gets one reference listing them."""
    g = gg.Graph("taps")
    h = g.input("x", (2, 3))
    with g:
        taps = []
        for i in range(60):
            h = gg.tanh(h * (1.0 + i))
            taps.append(h)
        g.output("out", gg.concatenate(taps, axis=0))
    view = full_view(g)
    fold = layout.plan(view)
    assert fold.folded
    merged = [r for r in set(fold.refs.values()) if len(r[2]) > 1]
    assert merged
    d = parse(gg.viz.to_dot(g, summary=False).source)
    dst, carry, sources = max(merged, key=lambda r: len(r[2]))
    label = d.nodes[ref_id((dst, carry, sources))]["label"]
    assert f"({len(sources)})" in label if len(sources) > 3 else sources[-1].ref in label


@needs_dot
def test_graphviz_places_columns_left_to_right(tall):
    source = gg.viz.to_dot(tall, summary=False).source
    plain = subprocess.run(["dot", "-Tplain"], input=source.encode(), capture_output=True,
                           check=True).stdout.decode().splitlines()
    x = {line.split()[1]: float(line.split()[2]) for line in plain if line.startswith("node ")}
    fold = layout.plan(full_view(tall))
    middle = {}
    for v, column in fold.column.items():
        middle.setdefault(column, []).append(x[value_id(v)])
    order = [("forward", k) for k in range(fold.columns["forward"])]
    order += [("backward", k) for k in range(fold.columns["backward"])]
    centres = [sum(middle[c]) / len(middle[c]) for c in order]
    assert centres == sorted(centres)


@needs_dot
def test_png_fits_the_cap_and_svg_keeps_its_size(tmp_path, tall):
    big = gg.optimize(gg.grad(varied_mlp(60)))
    png = gg.viz.render(big, tmp_path / "big.png", summary=False).read_bytes()
    width, height = (int.from_bytes(png[i:i + 4], "big") for i in (16, 20))
    assert max(width, height) <= render_module.MAX_PNG_PX
    svg = gg.viz.render(big, tmp_path / "big.svg", summary=False).read_text(encoding="utf-8")
    assert not re.search(r"\bsize=", gg.viz.to_dot(big, summary=False).source)
    assert 'width="' in svg


def test_compare_heads_a_folded_side_with_its_title(tall):
    d = parse(gg.viz.compare(tall, small_jacobian(), titles=("tall one", "small")).source)
    assert "cluster_a_side" not in d.clusters and "cluster_b_side" in d.clusters
    assert "tall one" in d.cluster_attrs["cluster_a_forward0"]["label"]
    assert "cluster_a_backward0" in d.clusters
