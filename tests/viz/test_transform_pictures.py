"""Pictures of the transforms: tangent nodes drawn in their own cluster, a jacobian's plan in its
title, and the elimination order as a picture of its own."""
from dotparse import HAS_DOT, dot_json, parse

import graphgrad as gg


def chain():
    g = gg.Graph("chain")
    x = g.input("x", (3,))
    with g:
        g.output("loss", gg.sum(gg.tanh(x) * 2.0))
    return g


def test_tangent_nodes_are_drawn_apart_and_every_edge_has_both_ends():
    h = gg.hvp(chain())
    d = parse(gg.viz.to_dot(h).source)
    tangent = [n for n in h.nodes if n.role == "tangent"]
    assert tangent and {f"n{n.id}" for n in tangent} <= set(d.clusters["cluster_tangent"])
    assert all(a in d.nodes and b in d.nodes for a, b, _ in d.edges)
    assert "tangent" in d.graph_attrs["label"] and "tangent op" in d.nodes["legend"]["label"]


def test_a_jacobian_picture_states_its_plan():
    jac = gg.jacobian(chain(), mode="rev")
    label = parse(gg.viz.to_dot(jac).source).graph_attrs["label"]
    assert "jacobian by reverse accumulation" in label and "FLOPs estimated" in label


def test_the_elimination_order_is_drawn():
    p = gg.jacobian(chain()).jacobian_plan
    source = gg.viz.elimination(p).source
    d = parse(source)
    assert len(d.nodes) == len(p.lin.sizes)
    assert {(f"v{i}", f"v{k}") for k, i in p.lin.edges} == {(a, b) for a, b, _ in d.edges}
    for position, v in enumerate(p.order, 1):
        assert f"eliminated {position}." in d.nodes[f"v{v}"]["label"]
    assert p.method in d.graph_attrs["label"]
    if HAS_DOT:
        assert dot_json(source)
