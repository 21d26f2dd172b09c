"""The `fold-constants` pass: a node whose operands are all constants, and whose result is small,
becomes a constant computed with the op table's numpy implementation.

Jacobian builders (kron, diag, eye) are never folded: the Jacobian rewrite must see them, so the
pipeline runs it first. Large results stay symbolic so graphs (and generated code) stay small.
"""
from __future__ import annotations

import numpy as np

from ..graph import JACOBIAN_OPS, Graph
from ..graph.optable import lookup, shape_size
from .rebuild import rebuild

NAME = "fold-constants"
MAX_ELEMENTS = 1024  # results up to this many elements are folded


def _foldable(node, inputs) -> bool:
    return (node.op not in JACOBIAN_OPS and bool(inputs)
            and all(v.op == "constant" for v in inputs)
            and shape_size(node.shape) <= MAX_ELEMENTS)


def fold_constants(graph: Graph) -> Graph:
    """`graph` with every small all-constant computation replaced by its value."""
    def visit(b, node, inputs):
        if not _foldable(node, inputs):
            return b.add(node.op, inputs, node.attrs)
        with np.errstate(all="ignore"):
            value = lookup(node.op).impl(*(v.attrs["value"] for v in inputs), **node.attrs)
        return b.add("constant", (), {"value": np.asarray(value, dtype=node.dtype)})

    return rebuild(graph, visit, name=NAME)[0]
