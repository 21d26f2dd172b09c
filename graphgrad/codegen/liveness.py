"""Liveness for generated code: which values the outputs need, and where each one dies.

Generated functions `del` an intermediate right after the statement that uses it last, so that
peak memory stays near what a careful person writes by hand; values no output needs are never
computed at all (no dead code).
"""
from __future__ import annotations

from ..graph import analysis


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
