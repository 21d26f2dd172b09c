"""Whole-graph helpers shared by the passes and code generators: copying, liveness, the memory
estimate, and the one place the garbage collector is paused while a large graph is built."""
from __future__ import annotations

import functools
import gc
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
        mapping[v] = new._declare(v.name, v.spec)
    for node in graph.nodes:  # the nodes passed the op table's checks already
        mapping[node] = new._append(node.op, tuple([mapping[v] for v in node.inputs]), node.attrs,
                                    node.spec, node.role, node.name, node.meta)
    if outputs:
        for n, v in graph.output_values.items():
            new.output(n, mapping[v])
        new.gradients = dict(graph.gradients)
    new.passes = graph.passes
    return new, mapping


def nbytes(value) -> int:
    """Bytes that one value of this shape and dtype occupies."""
    return math.prod(value.shape) * np.dtype(value.dtype).itemsize  # exact: no int64 overflow


def live_nodes(graph: Graph) -> set:
    """The nodes that some output needs (one backward walk over the node list)."""
    live = set(graph.output_values.values())
    for node in reversed(graph.nodes):
        if node in live:
            live.update(node.inputs)  # inputs too, taken out once at the end
    live.difference_update(graph.input_values.values())
    return live


def largest_intermediate(graph: Graph):
    """(bytes, node) of the largest value some output needs, or (0, None) if there is none.

    The code generators compare this with their memory budget before allocating anything; for
    the seed network's Jacobian-style gradient it is the 6400 x 100000 Kronecker Jacobian.
    Nodes no output needs are never computed, so they do not count.
    """
    best, where = 0, None
    live = live_nodes(graph)
    for node in graph.nodes:
        if node not in live:
            continue
        size = nbytes(node)
        if size > best:
            best, where = size, node
    return best, where


def collector_paused(fn):
    """Run `fn` with the cyclic garbage collector paused. Graphs hold no reference cycles, but
    `grad`, a pass or the emitter makes tens of thousands of long-lived objects, and the
    collector's repeated walks over them cost a third of the time (docs/performance.md)."""
    @functools.wraps(fn)
    def paused(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()
    return paused
