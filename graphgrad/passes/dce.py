"""The `dce` pass: dead-code elimination, keeping only the nodes that the outputs need.

Inputs are kept even when unused: they are the graph's calling convention.
"""
from __future__ import annotations

from ..graph import Graph
from .rebuild import rebuild

NAME = "dce"


def dce(graph: Graph) -> Graph:
    """`graph` without the nodes no output depends on (one backward marking walk, one copy)."""
    return rebuild(graph, name=NAME)[0]
