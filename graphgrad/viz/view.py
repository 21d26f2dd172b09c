"""What a picture shows of a graph: which values are drawn, which stand for repeated copies,
and the edges between drawn values.

The full view draws every value. The collapsed view (`summary.collapsed_view`) draws one copy of
each run of repeated layers; every other value maps to the drawn copy that stands for it, so
that no edge of the graph is lost, only merged.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..graph.errors import GraphError
from ..graph.ir import Graph


@dataclass(frozen=True)
class Group:
    """A run of `repeats` structurally identical blocks; `nodes` is the first block, drawn once."""

    nodes: tuple
    repeats: int
    first: object  # the first node of the run
    last: object  # the last node of the run


@dataclass
class View:
    """The drawn subset of a graph. `rep` maps each value to the value drawn for it; `names`
    lists the input names a drawn input stands for; `outputs` is [(names, drawn value)]."""

    graph: Graph
    rep: dict
    groups: list = field(default_factory=list)
    group_of: dict = field(default_factory=dict)  # drawn node -> index into groups
    block_of: dict = field(default_factory=dict)  # node in a group -> its block number
    names: dict = field(default_factory=dict)  # drawn input -> [input names]
    outputs: list = field(default_factory=list)
    hidden: set = field(default_factory=set)  # drawn stand-ins left out (see only_read_forward)
    marked: set = field(default_factory=set)  # drawn values marked (see marks.py)
    _copies: dict = field(default=None, repr=False)

    @property
    def inputs(self) -> list:
        return [v for v in self.graph.input_values.values()
                if self.rep[v] is v and v not in self.hidden]

    @property
    def nodes(self) -> list:
        return [n for n in self.graph.nodes if self.rep[n] is n and n not in self.hidden]

    @property
    def parameters(self) -> set:
        return parameters(self.graph)

    def copies(self, value) -> list:
        """The values that a drawn value stands for, in graph order (itself among them)."""
        if self._copies is None:
            self._copies = {}
            for v in list(self.graph.input_values.values()) + list(self.graph.nodes):
                self._copies.setdefault(self.rep[v], []).append(v)
        return self._copies.get(value, [value])

    def edges(self) -> list:
        """[(src, dst, count, carry)] between drawn values in graph order; `count` merged
        operand edges; `carry` marks an edge from one repeated block into the next."""
        found = {}
        for node in self.graph.nodes:
            for v in node.inputs:
                src, dst = self.rep[v], self.rep[node]
                if src in self.hidden or dst in self.hidden:
                    continue
                carry = (node in self.block_of and v in self.block_of
                         and self.block_of[v] != self.block_of[node])
                key = (src, dst, carry)
                found[key] = found.get(key, 0) + 1
        return [(s, d, count, carry) for (s, d, carry), count in found.items()]


def parameters(g) -> set:
    """Names of the inputs that get a gradient, as the graph records its gradient outputs."""
    return {of for of, _ in g.gradients.values()}


def check_graph(g) -> Graph:
    """The argument as a Graph, or a GraphError naming what was passed instead."""
    if not isinstance(g, Graph):
        raise GraphError(f"expected a gg.Graph to draw, got {type(g).__name__}")
    return g


def full_view(g: Graph) -> View:
    """Every input, node and output drawn as itself."""
    rep = {v: v for v in g.input_values.values()}
    rep.update((n, n) for n in g.nodes)
    names = {v: [v.name] for v in g.input_values.values()}
    outputs = [([name], v) for name, v in g.output_values.items()]
    return View(g, rep, names=names, outputs=outputs)


def only_read_forward(view: View) -> View:
    """Hide the forward values that no backward node reads (and outputs of hidden values), so
    that a picture of a gradient shows the backward pass and just what it takes from the forward
    pass. A graph without backward nodes is left whole."""
    keep = set()
    for node in view.graph.nodes:
        if node.role == "backward":
            keep.add(view.rep[node])
            keep.update(view.rep[v] for v in node.inputs)
    if keep:
        drawn = list(view.graph.input_values.values()) + list(view.graph.nodes)
        view.hidden = {view.rep[v] for v in drawn if view.rep[v] not in keep}
        view.outputs = [(names, v) for names, v in view.outputs if v not in view.hidden]
    return view
