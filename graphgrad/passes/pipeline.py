"""The pass pipeline: `DEFAULT_PIPELINE`, read top to bottom, and `optimize`, which runs it.

Every pass is a pure `Graph -> Graph` function, linear in the graph size, named in kebab-case
(scaling figures: docs/performance.md). With `verify` on, each result is checked with
`Graph.verify()`, a rule-table pass must have reached its fixed point (a second sweep changes
nothing), and a failure names the pass and the passes before it. `verify` defaults to the
GRAPHGRAD_VERIFY environment variable (off when unset; the test suite sets it). `on_pass(name,
graph)` is called after each pass, for dumps and pictures of every stage.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
import weakref

from ..graph import Graph, GraphError
from ..graph.analysis import collector_paused
from .cse import NAME as CSE, cse
from .dce import NAME as DCE, dce
from .fold_constants import NAME as FOLD, fold_constants
from .rebuild import check_fixed_point, verify_by_default
from .rewrite_jacobians import JACOBIAN_RULES, NAME as REWRITE, rewrite_jacobians
from .simplify import NAME as SIMPLIFY, RULES as SIMPLIFY_RULES, simplify

PASSES = {
    REWRITE: rewrite_jacobians,
    FOLD: fold_constants,
    SIMPLIFY: simplify,
    CSE: cse,
    DCE: dce,
}

RULE_TABLES = {REWRITE: JACOBIAN_RULES, SIMPLIFY: SIMPLIFY_RULES}  # checked for a fixed point

DEFAULT_PIPELINE = [
    "rewrite-jacobians",  # explicit Jacobian products -> compact ones (first: it must see kron/diag/eye)
    "fold-constants",     # small all-constant computations -> constants (exposes x*1, x+0, ...)
    "simplify",           # algebraic and structural identities, to a fixed point
    "cse",                # each repeated computation once (the two gradient routes meet here)
    "dce",                # only what the outputs need
]


def lookup_pass(name: str):
    """The pass function called `name`, or GraphError listing the known passes."""
    try:
        return PASSES[name]
    except (KeyError, TypeError):
        raise GraphError(f"unknown pass {name!r}; the passes are {', '.join(PASSES)}") from None


def run_pipeline(graph: Graph, passes, *, verify=None, on_pass=None) -> Graph:
    """Run the named passes in order on `graph` (which is left untouched)."""
    if not isinstance(graph, Graph):
        raise GraphError(f"optimize takes a gg.Graph, got {type(graph).__name__}")
    if isinstance(passes, str):
        passes = [passes]
    functions = [(name, lookup_pass(name)) for name in passes]  # unknown names fail before any work
    verify = verify_by_default() if verify is None else verify
    done = []
    for name, function in functions:
        graph = collector_paused(function)(graph)
        if verify:
            try:
                graph.verify()
            except GraphError as e:
                before = ", ".join(done) or "none"
                raise GraphError(f"pass {name!r} (after: {before}) left an invalid graph: {e}") from None
            if name in RULE_TABLES:
                check_fixed_point(graph, RULE_TABLES[name], name)
        done.append(name)
        if on_pass is not None:
            on_pass(name, graph)
    return graph


_OPTIMIZED = weakref.WeakSet()  # graphs this process made with the default pipeline


def optimize(graph: Graph, passes: Sequence[str] | str | None = None, *, verify: bool | None = None,
             on_pass: Callable[[str, Graph], None] | None = None) -> Graph:
    """`graph` after `passes` (default: `DEFAULT_PIPELINE`): the same values, compact algebra."""
    result = run_pipeline(graph, DEFAULT_PIPELINE if passes is None else passes,
                          verify=verify, on_pass=on_pass)
    if passes is None:
        _OPTIMIZED.add(result)
    return result


def is_optimized(graph: Graph) -> bool:
    """Whether `optimize` made `graph` with the default pipeline in this process (a graph's own
    `passes` record, which a JSON document can forge, is never trusted for this)."""
    return graph in _OPTIMIZED
