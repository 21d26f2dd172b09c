"""to_dot: golden text, every node and edge present, clusters, colours, Jacobian highlighting,
edge types, node kinds, determinism, and agreement with Graphviz's own parser."""
import os
from pathlib import Path

import pytest

import graphgrad as gg
from graphgrad.graph.spec import format_type
from graphgrad.viz import style
from dotparse import HAS_DOT, dot_json, json_structure, parse
from vizgraphs import seed_forward, seed_jacobian_backward, small_jacobian

GOLDEN = Path(__file__).parent / "golden" / "small.dot"


def dot_id(key: str) -> str:
    """The DOT id that to_dot gives a networkx key (`x` -> `in_x`, `%3` -> `n3`)."""
    return f"n{key[1:]}" if key.startswith("%") else f"in_{key}"


def test_golden_small_graph():
    """The exact text for a small graph; regenerate deliberately with GRAPHGRAD_REGEN_GOLDEN=1."""
    source = gg.viz.to_dot(small_jacobian()).source
    if os.environ.get("GRAPHGRAD_REGEN_GOLDEN"):
        GOLDEN.write_text(source, encoding="utf-8")
    assert source == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.parametrize("build", [seed_forward, seed_jacobian_backward, small_jacobian])
def test_every_node_and_edge_is_drawn(build):
    g = build()
    nxg, d = g.to_networkx(), parse(gg.viz.to_dot(g).source)
    for key in nxg.nodes:
        assert dot_id(key) in d.nodes
    drawn = {(a, b): attrs for a, b, attrs in d.edges if attrs.get("style") != "invis"}
    for u, v, data in nxg.edges(data=True):
        assert drawn[dot_id(u), dot_id(v)]["label"] == format_type(data["shape"], data["dtype"])
    for name, key in nxg.graph["outputs"].items():
        assert (dot_id(key), f"out_{name}") in drawn
    op_edges = [e for e in drawn if not e[1].startswith("out_")]
    assert len(op_edges) == nxg.number_of_edges()  # nothing drawn that the graph lacks
    assert len(d.nodes) == nxg.number_of_nodes() + len(g.outputs) + 1  # + the legend


def test_roles_sit_in_separate_coloured_clusters():
    g = seed_jacobian_backward()
    d = parse(gg.viz.to_dot(g).source)
    assert set(d.clusters) == {"cluster_forward", "cluster_backward"}
    for n in g.nodes:
        assert f"n{n.id}" in d.clusters[f"cluster_{n.role}"]
        if n.op not in gg.JACOBIAN_OPS and n.op != "constant":
            assert d.nodes[f"n{n.id}"]["fillcolor"] == style.ROLE_FILL[n.role]
    fills = {c: d.cluster_attrs[c]["fillcolor"] for c in d.clusters}
    assert fills == {f"cluster_{r}": style.CLUSTER_FILL[r] for r in ("forward", "backward")}
    assert len(set(fills.values())) == 2 and style.ROLE_FILL["forward"] != style.ROLE_FILL["backward"]


def test_jacobian_nodes_stand_out_with_their_formula():
    g = seed_jacobian_backward(n=64, d_in=1000, h=100, d_out=10)
    d = parse(gg.viz.to_dot(g).source)
    jacobians = [n for n in g.nodes if n.op in gg.JACOBIAN_OPS]
    assert {n.op for n in jacobians} == {"kron", "diag", "eye"}
    for n in jacobians:
        attrs = d.nodes[f"n{n.id}"]
        assert attrs["shape"] == "box3d" and "bold" in attrs["style"]
        assert attrs["fillcolor"] == style.JACOBIAN_FILL
    labels = " ".join(d.nodes[f"n{n.id}"]["label"] for n in jacobians)
    for formula in ("x ⊗ I₁₀₀", "I₆₄ ⊗ w2ᵀ", "h_relu ⊗ I₁₀", "diag(h &gt; 0)", "I₁₀₀<"):
        assert formula in labels
    assert "5.1 GB" in labels  # the 6400 x 100000 Kronecker Jacobian of x @ w1


def test_each_kind_of_value_has_its_own_shape():
    d = parse(gg.viz.to_dot(seed_jacobian_backward()).source)
    shapes = {"in_x": "ellipse", "in_w1": "hexagon", "n1": "note", "n0": "box", "n12": "box3d",
              "out_grad_w1": "invhouse"}
    for node, shape in shapes.items():
        assert d.nodes[node]["shape"] == shape
    assert len(set(shapes.values())) == len(shapes)
    assert "parameter" in d.nodes["in_w1"]["label"] and "input" in d.nodes["in_y"]["label"]


def test_labels_carry_op_user_names_and_type():
    d = parse(gg.viz.to_dot(seed_jacobian_backward()).source)
    assert "h = matmul" in d.nodes["n0"]["label"] and "f64[4,3]" in d.nodes["n0"]["label"]
    assert "h_relu = maximum" in d.nodes["n2"]["label"]
    assert "grad_w1" in d.nodes["out_grad_w1"]["label"] and "f64[5,3]" in d.nodes["out_grad_w1"]["label"]


def test_same_graph_gives_identical_source():
    first = gg.viz.to_dot(seed_jacobian_backward()).source
    assert gg.viz.to_dot(seed_jacobian_backward()).source == first  # a fresh, equal graph
    g = small_jacobian()
    assert gg.viz.to_dot(g).source == gg.viz.to_dot(g).source


def test_title_and_options():
    g = small_jacobian()
    assert "my &lt;title&gt;" in gg.viz.to_dot(g, title="my <title>").source
    assert "rankdir=LR" in gg.viz.to_dot(g, rankdir="LR").source
    assert "legend" not in parse(gg.viz.to_dot(g, legend=False).source).nodes
    with pytest.raises(gg.GraphError, match="rankdir"):
        gg.viz.to_dot(g, rankdir="sideways")
    with pytest.raises(gg.GraphError, match="gg.Graph"):
        gg.viz.to_dot("not a graph")


@pytest.mark.skipif(not HAS_DOT, reason="the Graphviz `dot` program is not installed")
def test_graphviz_reads_the_same_structure():
    source = gg.viz.to_dot(seed_jacobian_backward()).source
    names, edges, clusters = json_structure(dot_json(source))
    d = parse(source)
    assert names == sorted(d.nodes)
    assert sorted(edges) == sorted((a, b) for a, b, _ in d.edges)
    assert clusters == {k: sorted(v) for k, v in d.clusters.items()}


def test_forward_false_keeps_only_what_the_backward_pass_reads():
    g = seed_jacobian_backward()
    d = parse(gg.viz.to_dot(g, forward=False).source)
    for gone in ("n1", "n3", "n5", "n6", "in_y", "in_w1", "out_loss"):
        assert gone not in d.nodes
    for kept in ("n0", "n2", "n4", "in_x", "in_w2", "out_grad_w1", "out_grad_w2"):
        assert kept in d.nodes
    forward = {k for k in d.nodes if k[0] == "n" and k[1:].isdigit() and g.nodes[int(k[1:])].role == "forward"}
    assert forward == {"n0", "n2", "n4"}
    assert all(a in d.nodes and b in d.nodes for a, b, _ in d.edges)  # no dangling edge
    assert "only the values the backward pass reads" in d.cluster_attrs["cluster_forward"]["label"]
    plain = seed_forward()  # nothing backward: drawn whole
    assert gg.viz.to_dot(plain, forward=False).source == gg.viz.to_dot(plain).source
