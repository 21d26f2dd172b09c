"""Liveness for generated code: which values the outputs need, where each one dies, and when
the generated function frees them.

Values no output needs are never computed (no dead code). A large value is freed (`del`) right
after the statement that reads it last; small dead values are freed together, in one `del`, once
they add up to `BATCH_BYTES` — so peak memory stays near what a careful person writes by hand,
and small models read like hand-written backprop, without a `del` after every line.

An elementwise statement may also write its result into the buffer of a large operand that dies
there (`reusable`), as a person writes `np.add(h, b, out=h)`: one fresh array fewer, and for
arrays of megabytes the fresh one is what costs (its pages are faulted in on first touch, about
as long as the arithmetic itself, every call, once glibc has returned them to the OS).
"""
from __future__ import annotations

from ..graph import OPS, analysis
from ..graph.shapes import sum_to_axes

FREE_NOW_BYTES = 1 << 20   # values of at least 1 MiB are freed right after their last use
BATCH_BYTES = 4 << 20      # smaller dead values are freed together once they reach 4 MiB
IN_PLACE_BYTES = 1 << 18   # an operand of at least 256 KiB that dies may take the result

# ops whose numpy spelling always returns a new array sharing no memory with its operands (not
# reshape, transpose, slice, broadcast_to, im2col: views; not constants: read-only)
_FRESH_CATEGORIES = ("unary", "binary", "compare", "cast", "select", "reduction", "gather")
_FRESH_OPS = {"matmul", "conv", "conv_input_grad", "conv_filter_grad", "col2im", "max_pool",
              "avg_pool", "pad", "concatenate", "unslice", "kron", "eye"}


def fresh(node) -> bool:
    """Whether `node`'s value is a new array that no other value shares (a sum_to over no axis
    is its operand itself, a one-operand einsum may be a view)."""
    if node.op == "sum_to":
        return any(sum_to_axes(node.inputs[0].shape, node.attrs["shape"]))
    if node.op == "einsum":
        return len(node.inputs) >= 2
    return node.op in _FRESH_OPS or OPS[node.op].category in _FRESH_CATEGORIES


def reusable(value, node, consumers) -> bool:
    """Whether elementwise `node`, the last reader of `value`, may write into value's buffer:
    a large array of node's own shape and dtype, made fresh by its op and never viewed by another
    value (every op reading it copies), so that nothing else sees the buffer change."""
    return (getattr(value, "op", None) is not None and value.shape == node.shape
            and value.dtype == node.dtype and analysis.nbytes(value) >= IN_PLACE_BYTES
            and fresh(value) and all(fresh(c) for c in consumers.get(value, ())))


def live_nodes(graph) -> list:
    """The nodes some output depends on, in the graph's topological order."""
    live = analysis.live_nodes(graph)
    return [node for node in graph.nodes if node in live]


def deaths(statements, keep) -> list:
    """For each statement (target, operands), the operands that die right after it.

    `statements` is a list of (value, operand values) in execution order; values in `keep`
    (outputs, inputs, values without a variable) never die. Each death list keeps the order in
    which the operands first appear, so the `del` lines are deterministic.
    """
    last = {}
    for position, (_, operands) in enumerate(statements):
        for v in operands:
            last[v] = position
    result = [[] for _ in statements]
    for position, (_, operands) in enumerate(statements):
        for v in operands:
            if last[v] == position and v not in keep and v not in result[position]:
                result[position].append(v)
    return result


def frees(dying) -> list:
    """For each statement's dying values, those to `del` after it: large ones at once, small
    ones batched until they reach BATCH_BYTES (the rest are left to the function's return)."""
    out, pending, pending_bytes = [], [], 0
    for dead in dying:
        now = [v for v in dead if analysis.nbytes(v) >= FREE_NOW_BYTES]
        small = [v for v in dead if analysis.nbytes(v) < FREE_NOW_BYTES]
        pending += small
        pending_bytes += sum(analysis.nbytes(v) for v in small)
        if pending_bytes >= BATCH_BYTES:
            now, pending, pending_bytes = pending + now, [], 0
        out.append(now)
    return out
