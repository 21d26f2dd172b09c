"""The `cse` pass: common-subexpression elimination by hash-consing.

Each node is keyed on (op, operands, attributes) with its operands already merged, so one forward
sweep merges whole equal subtrees. Attributes are keyed by their kind (numpy arrays by dtype, shape
and bytes), so constants with equal values merge. add, multiply, maximum, minimum and equal are
commutative bit for bit in IEEE arithmetic, so their operands are keyed in graph order.

A product of a product, (a * b) * c, is a * (b * c) when both b * c and that are already computed:
the product rule's terms of a gradient (those of 0.044715 * x * x * x in GELU: g * (c x²),
(g x) * (c x), ((g x) x) * c) become one product computed once, and their partial products die.
That regrouping is the one place where values agree to rounding, not to the bit.
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
    no_attrs = attrs_key(OPS["multiply"].attrs, {})

    def key(op, inputs, attrs):
        operands = sorted(inputs, key=lambda v: _position(v, order)) if op in COMMUTATIVE else inputs
        return op, tuple(operands), attrs

    def regrouped(inputs, spec):
        """An existing a * (b * c) for (a * b) * c (either operand the product a * b), or None."""
        for p, c in (inputs, inputs[::-1]):
            if getattr(p, "op", None) != "multiply":
                continue
            for a, b in (p.inputs, p.inputs[::-1]):
                bc = seen.get(key("multiply", (b, c), no_attrs))
                if bc is None or bc is p or a.dtype != spec.dtype or bc.dtype != spec.dtype:
                    continue
                found = seen.get(key("multiply", (a, bc), no_attrs))
                if found is not None and found.shape == spec.shape:
                    return found
        return None

    def visit(b, node, inputs):
        k = key(node.op, inputs, attrs_key(OPS[node.op].attrs, node.attrs))
        found = seen.get(k)
        if found is None and node.op == "multiply":  # (a * b) * c = a * (b * c), both computed
            found = seen[k] = regrouped(inputs, node.spec)  # later regroupings may meet this one
        if found is None:
            found = seen[k] = b.copy(node, inputs)
        return found

    return rebuild(graph, visit, name=NAME)[0]
