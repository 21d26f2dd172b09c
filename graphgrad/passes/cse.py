"""The `cse` pass: common-subexpression elimination by hash-consing.

Each node is keyed on (op, operands, attributes) with its operands already merged, so one forward
sweep merges whole equal subtrees. Attributes are keyed by their kind (numpy arrays by dtype, shape
and bytes), so constants with equal values merge. add, multiply, maximum, minimum and equal are
commutative bit for bit in IEEE arithmetic, so their operands are keyed in graph order.
"""
from __future__ import annotations

from ..graph import OPS, Graph, Input
from ..graph.attrs import attrs_key
from .rebuild import rebuild

NAME = "cse"
COMMUTATIVE = frozenset({"add", "multiply", "maximum", "minimum", "equal"})


def _position(value, inputs_order: dict):
    """A deterministic order for values: inputs first (declared order), then nodes by id."""
    return (0, inputs_order[value.name]) if isinstance(value, Input) else (1, value.id)


def cse(graph: Graph) -> Graph:
    """`graph` with each repeated computation done once (the first occurrence is kept)."""
    seen = {}
    order = {n: i for i, n in enumerate(graph.inputs)}

    def visit(b, node, inputs):
        operands = inputs
        if node.op in COMMUTATIVE:
            operands = sorted(inputs, key=lambda v: _position(v, order))
        key = (node.op, tuple(operands), attrs_key(OPS[node.op].attrs, node.attrs))
        found = seen.get(key)
        if found is None:
            found = seen[key] = b.copy(node, inputs)
        return found

    return rebuild(graph, visit, name=NAME)[0]
