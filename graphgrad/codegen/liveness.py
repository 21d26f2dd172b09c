"""Liveness for generated code: which values the outputs need, where each one dies, and when
the generated function frees them.

Values no output needs are never computed (no dead code). A large value is freed (`del`) right
after the statement that reads it last; small dead values are freed together, in one `del`, once
they add up to `BATCH_BYTES` — so peak memory stays near what a careful person writes by hand,
and small models read like hand-written backprop, without a `del` after every line.
"""
from __future__ import annotations

from ..graph import analysis

FREE_NOW_BYTES = 1 << 20   # values of at least 1 MiB are freed right after their last use
BATCH_BYTES = 4 << 20      # smaller dead values are freed together once they reach 4 MiB


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
