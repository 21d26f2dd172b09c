"""Hostile user text (node name hints, titles) cannot break the DOT text or inject statements."""
import pytest

import graphgrad as gg
from graphgrad.viz.labels import escape
from dotparse import HAS_DOT, dot_json, json_structure, parse
from vizgraphs import small_jacobian

HOSTILE = [
    '"];\n evil -> x [label="',
    "<b>bold</b> & </TD></TABLE>> evil",
    "ends with a backslash \\",
    '\\" evil [shape=box]',
    "}\n}\ndigraph evil {",
    "tab\tnull\x00bell\x07",
    "<<B>>",
]


def hostile_graph(name):
    g = small_jacobian()
    g.nodes[0].name = name  # a name hint is free text (Tensor.name = ... accepts any string)
    g.nodes[9].name = name
    return g


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stay_inside_their_label(name):
    plain = parse(gg.viz.to_dot(small_jacobian()).source)
    d = parse(gg.viz.to_dot(hostile_graph(name), title=name).source)
    assert sorted(d.nodes) == sorted(plain.nodes)
    assert [(a, b) for a, b, _ in d.edges] == [(a, b) for a, b, _ in plain.edges]
    assert escape(name) in d.nodes["n0"]["label"]
    for ch in '<>"\n\x00':
        assert ch not in escape(name)


@pytest.mark.skipif(not HAS_DOT, reason="the Graphviz `dot` program is not installed")
@pytest.mark.parametrize("name", HOSTILE)
def test_graphviz_parses_hostile_names_and_sees_no_extra_node(name):
    source = gg.viz.to_dot(hostile_graph(name), title=name).source
    names, edges, clusters = json_structure(dot_json(source))
    d = parse(source)
    assert names == sorted(d.nodes) and "evil" not in names
    assert len(edges) == len(d.edges)
    compare_source = gg.viz.compare(hostile_graph(name), small_jacobian(), titles=(name, name)).source
    assert "evil" not in json_structure(dot_json(compare_source))[0]


def test_escape_rules():
    assert escape('a<b>&"c"') == "a&lt;b&gt;&amp;&quot;c&quot;"
    assert escape("a\nb\\") == "a&#92;nb&#92;"
    assert escape("x" * 100).endswith("…") and len(escape("x" * 100)) == 48
    assert escape("h_relu ⊗ I₂") == "h_relu ⊗ I₂"
