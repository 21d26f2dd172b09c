"""The `simplify` pass: the algebraic and structural identities of simplify_rules.py, applied in
forward sweeps (each new node simplified as it is made) until none fires, then dead code dropped."""
from __future__ import annotations

from ..graph import Graph
from .patterns import RuleTable
from .rebuild import rewrite
from .simplify_rules import ALGEBRA, STRUCTURAL

NAME = "simplify"
RULES = RuleTable(ALGEBRA, STRUCTURAL)


def simplify(graph: Graph) -> Graph:
    """A simpler graph computing the same values (x + 0 -> x, reshape(reshape(x)) -> reshape(x), ...)."""
    return rewrite(graph, RULES, NAME)
