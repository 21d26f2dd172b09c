"""Large graphs: repeated layers collapse to one copy marked "× k"; the op-kind summary."""
import pytest

import graphgrad as gg
from graphgrad.viz.dot import value_id
from graphgrad.viz.summary import collapsed_view, find_groups
from dotparse import parse
from vizgraphs import rnn, seed_forward, tanh_chain, tanh_chain_with_backward


@pytest.fixture(scope="module")
def chain():
    return tanh_chain_with_backward(300)


def test_deep_chain_collapses_automatically(chain):
    assert len(chain) > gg.viz.SUMMARY_THRESHOLD
    d = parse(gg.viz.to_dot(chain).source)
    assert len(d.nodes) < 40 < len(chain) // 50
    repeats = [c for c in d.clusters if "repeat" in c]
    assert len(repeats) == 2  # one forward run, one backward run
    labels = " ".join(a["label"] for a in d.cluster_attrs.values())
    assert "× 299" in labels
    assert "w1, w2 … w299 (299)" in d.nodes["in_w1"]["label"]
    assert "grad_w1, grad_w2 … grad_w299 (299)" in " ".join(a["label"] for a in d.nodes.values())


def test_collapsed_view_keeps_every_edge(chain):
    """Each edge of the graph maps onto a drawn edge between the copies that stand for its ends."""
    view = collapsed_view(chain)
    d = parse(gg.viz.to_dot(chain).source)
    drawn = {(a, b) for a, b, _ in d.edges}
    for node in chain.nodes:
        for v in node.inputs:
            assert (value_id(view.rep[v]), value_id(view.rep[node])) in drawn
    for n in chain.nodes:  # every drawn stand-in has the same op and type as what it stands for
        rep = view.rep[n]
        assert (rep.op, rep.shape, rep.role) == (n.op, n.shape, n.role)


def test_runs_are_found_in_plain_chains():
    g = tanh_chain(50)
    ((start, period, repeats),) = find_groups(g)
    assert period == 2 and repeats == 49 and start == 1  # layer 0 reads x, the others a tanh


def test_summary_switch(chain):
    small = seed_forward()
    full = parse(gg.viz.to_dot(small).source)
    assert len(full.nodes) == len(small) + 4 + 1 + 1  # nodes, inputs, output, legend
    assert len(parse(gg.viz.to_dot(chain, summary=False).source).nodes) > len(chain)
    forced = parse(gg.viz.to_dot(tanh_chain(10), summary="layers").source)
    assert any("repeat" in c for c in forced.clusters)
    assert len(parse(gg.viz.to_dot(tanh_chain(10), threshold=5).source).nodes) < 20
    with pytest.raises(gg.GraphError, match="summary"):
        gg.viz.to_dot(small, summary="sometimes")


def test_op_summary_counts_each_kind(chain):
    d = parse(gg.viz.to_dot(chain, summary="ops").source)
    labels = {k: a["label"] for k, a in d.nodes.items()}
    assert "tanh × 300" in labels["forward_tanh"]
    assert "matmul × 600" in labels["backward_matmul"]
    assert "parameters × 300" in labels["parameter_input"]
    assert len(d.nodes) == 13  # 2 input kinds, 3 forward ops, 7 backward ops, outputs


def test_summary_falls_back_to_op_kinds_when_collapsing_is_not_enough():
    g = seed_forward()  # nothing repeats, so collapsing leaves 7 nodes > threshold 3
    d = parse(gg.viz.to_dot(g, summary=True, threshold=3).source)
    assert "forward_matmul" in d.nodes and "× 2" in d.nodes["forward_matmul"]["label"]


def test_source_does_not_depend_on_hash_seeds():
    """No set or id() order leaks into the DOT: two processes with different hash seeds agree."""
    import os
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import graphgrad as gg; "
            "from vizgraphs import *; g = tanh_chain_with_backward(40); "
            "print(gg.viz.to_dot(g, threshold=50).source + gg.viz.to_dot(g, summary='ops').source"
            " + gg.viz.compare(seed_jacobian_backward(), g).source"
            " + gg.viz.to_dot(g, summary=False).source)")  # the last one folded, with references
    outs = [subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")]
    assert outs[0] == outs[1] and "× 39" in outs[0] and "_to_" in outs[0]


def test_rnn_steps_collapse_and_show_the_range_of_their_slices():
    """x[t] at each step differs only in t: the steps still collapse, drawn as x[1…19]."""
    g = gg.optimize(gg.grad(rnn(20), ["wx", "wh", "b"]))
    assert len(g) > gg.viz.SUMMARY_THRESHOLD
    d = parse(gg.viz.to_dot(g).source)
    labels = " ".join(a.get("label", "") for a in d.nodes.values())
    assert "<B>x[0]</B>" in labels and "<B>x[1…19]</B>" in labels
    assert "× 19" in " ".join(a["label"] for a in d.cluster_attrs.values())
    assert len(d.nodes) < 80
