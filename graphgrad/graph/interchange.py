"""`Graph.to_networkx`: the graph as a networkx.DiGraph for analyses and interchange."""
from __future__ import annotations

import networkx as nx


def _key(value) -> str:
    return value.name if value.op == "input" else value.ref


def to_networkx(graph) -> nx.DiGraph:
    """Nodes keyed by input name or `%id`, carrying op, shape, dtype, role (and name, attrs);
    edges carry the operand position and the operand's shape and dtype."""
    g = nx.DiGraph(name=graph.name)
    outputs = {}
    for name, v in graph.output_values.items():
        outputs.setdefault(_key(v), []).append(name)
    for v in graph.input_values.values():
        g.add_node(_key(v), op="input", shape=v.shape, dtype=v.dtype, role="forward", name=v.name,
                   attrs={}, outputs=outputs.get(_key(v), []))
    for n in graph.nodes:
        g.add_node(_key(n), op=n.op, shape=n.shape, dtype=n.dtype, role=n.role, name=n.name,
                   attrs=dict(n.attrs), outputs=outputs.get(_key(n), []))
        for position, v in enumerate(n.inputs):
            if g.has_edge(_key(v), _key(n)):
                g.edges[_key(v), _key(n)]["positions"].append(position)
            else:
                g.add_edge(_key(v), _key(n), positions=[position], shape=v.shape, dtype=v.dtype)
    g.graph["outputs"] = {name: _key(v) for name, v in graph.output_values.items()}
    return g
