"""Whole-graph helpers shared by the passes and code generators: copying and the memory estimate."""
from __future__ import annotations

import math

import numpy as np

from .ir import Graph


def copy_graph(graph: Graph, *, name: str | None = None, outputs: bool = True):
    """A fresh graph with the same inputs and nodes (roles and name hints kept).

    Returns (new graph, mapping from each old Input/Node to its new counterpart). Passes that
    append to a graph (autodiff) start here, since a pass never mutates its input.
    """
    new = Graph(name or graph.name)
    mapping = {}
    for v in graph.input_values.values():
        mapping[v] = new.input_like(v)
    for node in graph.nodes:  # add_like: the nodes passed the op table's checks already
        mapping[node] = new.add_like(node, [mapping[v] for v in node.inputs])
    if outputs:
        for n, v in graph.output_values.items():
            new.output(n, mapping[v])
    new.passes = graph.passes
    return new, mapping


def nbytes(value) -> int:
    """Bytes that one value of this shape and dtype occupies."""
    return math.prod(value.shape) * np.dtype(value.dtype).itemsize  # exact: no int64 overflow


def largest_intermediate(graph: Graph):
    """(bytes, node) of the largest single node value in the graph, or (0, None) if it has none.

    The code generators compare this with their memory budget before allocating anything; for
    the seed network's Jacobian-style gradient it is the 6400 x 100000 Kronecker Jacobian.
    """
    best, where = 0, None
    for node in graph.nodes:
        size = nbytes(node)
        if size > best:
            best, where = size, node
    return best, where
