"""The `fold-constants` pass: a node whose operands are all constants, and whose result is small,
becomes a constant computed with the op table's numpy implementation.

Jacobian builders (kron, diag, eye) are never folded: the Jacobian rewrite must see them, so the
pipeline runs it first. Large results, and results larger than their operands (a broadcast of a
scalar), stay symbolic, so graphs and generated code stay small and simplify can still see
`x * broadcast_to(1)` for what it is.
"""
from __future__ import annotations

import numpy as np

from ..graph import JACOBIAN_OPS, Graph
from ..graph.optable import lookup
from ..graph.shapes import shape_size
from .rebuild import drop_dead, rebuild

NAME = "fold-constants"
MAX_ELEMENTS = 1024  # results up to this many elements are folded


def _foldable(node, inputs) -> bool:
    """All operands constant, a small result, and no more elements than the operands hold
    (broadcast_to, unslice and outer products stay symbolic: folding never grows the data)."""
    if node.op in JACOBIAN_OPS or not inputs or any(v.op != "constant" for v in inputs):
        return False
    size = shape_size(node.shape)
    return size <= MAX_ELEMENTS and size <= sum(shape_size(v.shape) for v in inputs)


def fold_constants(graph: Graph) -> Graph:
    """`graph` with every small all-constant computation replaced by its value (and the
    constants only they used dropped)."""
    folded = []

    def visit(b, node, inputs):
        if not _foldable(node, inputs):
            return b.copy(node, inputs)
        with np.errstate(all="ignore"):
            value = lookup(node.op).impl(*(v.attrs["value"] for v in inputs), **node.attrs)
        folded.append(node)
        return b.add("constant", (), {"value": np.asarray(value, dtype=node.dtype)})

    result = rebuild(graph, visit)[0]
    result = drop_dead(result) if folded else result  # folded nodes' operands may be dead
    result.passes = graph.passes + (NAME,)
    return result
