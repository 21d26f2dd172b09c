"""compare: two graphs side by side in two top-level clusters, ids kept apart by prefixes."""
import graphgrad as gg
from dotparse import HAS_DOT, dot_json, json_structure, parse
from vizgraphs import seed_forward, seed_jacobian_backward


def test_two_sides_with_all_nodes_and_edges():
    before, after = seed_jacobian_backward(), seed_forward()
    d = parse(gg.viz.compare(before, after).source)
    assert {"cluster_a_side", "cluster_b_side"} <= set(d.clusters)
    for prefix, g in (("a_", before), ("b_", after)):
        side = set(d.clusters[f"cluster_{prefix}side"])
        assert {f"{prefix}n{n.id}" for n in g.nodes} <= side
        assert {f"{prefix}in_{name}" for name in g.inputs} <= side
        assert {f"{prefix}out_{name}" for name in g.outputs} <= side
        edges = [(a, b) for a, b, attrs in d.edges if a.startswith(prefix)
                 and attrs.get("style") != "invis" and not b.startswith(f"{prefix}out_")]
        assert len(edges) == g.to_networkx().number_of_edges()
    assert "cluster_a_backward" in d.clusters and "cluster_b_backward" not in d.clusters
    titles = d.cluster_attrs["cluster_a_side"]["label"] + d.cluster_attrs["cluster_b_side"]["label"]
    assert "explicit Jacobians" in titles and "rewritten" in titles and "largest intermediate" in titles


def test_custom_titles_and_determinism():
    a, b = seed_jacobian_backward(), seed_forward()
    source = gg.viz.compare(a, b, titles=("before", "after & <more>")).source
    assert "after &amp; &lt;more&gt;" in source
    assert source == gg.viz.compare(seed_jacobian_backward(), seed_forward(),
                                    titles=("before", "after & <more>")).source


def test_graphviz_reads_both_sides():
    if not HAS_DOT:
        return
    source = gg.viz.compare(seed_jacobian_backward(), seed_forward()).source
    names, _, clusters = json_structure(dot_json(source))
    assert sorted(parse(source).nodes) == names
    assert len(clusters["cluster_a_side"]) > len(clusters["cluster_b_side"])
