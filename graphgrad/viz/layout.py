"""Folding: how a picture too tall for one page is cut into side-by-side columns.

Graphviz's `dot` spends its time placing nodes across (network simplex over every node and every
rank an edge passes), so long edges cost most: a forward value read at the far end of the backward
pass, an input read by every step of an RNN. They also make pictures wide, one lane per edge.
See docs/performance.md ("Pictures: render times") for the measurements.

A view with more ranks than fit on a page (`MAX_RANKS`, about 4,000 px at 96 dpi) is folded: each
role's ranks are cut into columns of at most `MAX_RANKS`, drawn side by side (forward columns, then
backward ones), and every edge that crosses a column, or spans more than `LONG_EDGE` ranks, is
drawn as a short reference: a small dashed copy of its source (`%97 tanh`, `x`) right above the
consumer. No edge is lost, it is only drawn as a reference. Smaller views are drawn as before.

Ranks here are longest-path levels of the drawn nodes, by role, with values a few ops from the
inputs (`x[t]`, `wᵀ`) placed just above their first reader. They decide the columns and which edges are long;
`dot` still ranks each column itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..graph.ir import ROLES
from .view import View

MAX_RANKS = 36  # ranks per column: about 36 × 1.1 in ≈ 3,800 px at 96 dpi
LONG_EDGE = 8  # in a folded picture, an edge spanning more ranks than this becomes a reference
LEAFY_DEPTH = 2  # values this close to the inputs (x[t], wᵀ, x[t] @ w) sit above their reader


@dataclass
class Fold:
    """Where each drawn value goes. `column[v]` is (role, index) for every drawn value (inputs
    take their first reader's); `refs` maps each view edge (src, dst, carry) drawn as a reference
    to its reference: (dst, carry, sources), where `sources` are all the values of one op, type
    and column that `dst` reads that way, drawn as one reference. An unfolded picture has no
    columns and no references."""

    folded: bool = False
    column: dict = field(default_factory=dict)
    rank: dict = field(default_factory=dict)
    refs: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)  # role -> number of columns


def plan(view: View, max_ranks: int = MAX_RANKS, long_edge: int = LONG_EDGE) -> Fold:
    """The fold of a view: unfolded when every role fits in `max_ranks` ranks in all."""
    edges = [(s, d, carry) for s, d, _, carry in view.edges()]
    rank, role, reader = _ranks(view, edges)
    height = {r: 1 + max((rank[v] for v in rank if role[v] == r), default=-1) for r in ROLES}
    if sum(height.values()) <= max_ranks:
        return Fold(rank=rank)
    fold = Fold(folded=True, rank=rank)
    for r in ROLES:
        cuts = _cuts(view, rank, role, r, height[r], max_ranks)
        fold.columns[r] = len(cuts)
        for v in rank:
            if role[v] == r:
                fold.column[v] = (r, sum(1 for c in cuts[1:] if rank[v] >= c))
    for v in reversed(list(reader)):  # a leafy value goes where its first reader goes
        fold.column[v] = fold.column[reader[v]]
    merged = {}
    for s, d, carry in edges:
        if fold.column[s] != fold.column[d] or (not carry and rank[d] - rank[s] > long_edge):
            key = (d, carry, s.op, s.shape, s.dtype, fold.column[s])
            merged.setdefault(key, []).append(s)
            fold.refs[s, d, carry] = key
    for edge, key in fold.refs.items():
        fold.refs[edge] = (key[0], key[1], tuple(merged[key]))
    return fold


def _ranks(view: View, edges):
    """The level of each drawn value within its role, and the role it is drawn in. Levels are
    longest paths from the role's first values, except that values a few ops from the inputs
    (and the other role) alone, such as `x[t]` or `wᵀ`, sit just above their first reader, in
    its column."""
    nodes, inputs = view.nodes, view.inputs
    role = {n: n.role for n in nodes}
    preds = {v: [] for v in inputs + nodes}
    succs = {v: [] for v in inputs + nodes}
    for s, d, carry in edges:
        if not carry:
            preds[d].append(s)
            succs[s].append(d)
    for v in inputs:  # an input is drawn with its first reader
        readers = sorted(succs[v], key=lambda n: (ROLES.index(n.role), n.id))
        role[v] = readers[0].role if readers else "forward"
    rank = {v: 0 for v in inputs}
    leafy = {v: True for v in inputs}  # a few ops from inputs (and the other role) alone
    for n in nodes:  # as soon as possible ...
        own = [p for p in preds[n] if role[p] == role[n]]
        rank[n] = 1 + max(rank[p] for p in own) if own else 0
        leafy[n] = rank[n] <= LEAFY_DEPTH and all(leafy[p] for p in own)
    reader = {}  # leafy value -> its first reader, in graph order
    for v in reversed(inputs + nodes):  # ... but leafy values just above their first reader
        below = [s for s in succs[v] if role[s] == role[v]]
        if leafy[v] and below:
            reader[v] = min(below, key=lambda s: rank[s])
            rank[v] = rank[reader[v]] - 1
    for r in ROLES:
        low = min((rank[v] for v in rank if role[v] == r), default=0)
        for v in rank:
            if role[v] == r:
                rank[v] -= low
    return rank, role, dict(reversed(reader.items()))


def _cuts(view, rank, role, r, height, max_ranks) -> list:
    """Start ranks of the columns of role `r`: balanced, and never inside a repeated block."""
    if height == 0:
        return [0]
    blocked = set()  # ranks a column may not start at: inside a drawn repeated-layer box
    for grp in view.groups:
        ranks = [rank[n] for n in grp.nodes if n in rank and role[n] == r]
        if ranks:
            blocked.update(range(min(ranks) + 1, max(ranks) + 1))
    count = -(-height // max_ranks)
    size = -(-height // count)
    cuts = [0]
    while cuts[-1] + max_ranks < height or (len(cuts) < count and cuts[-1] + size < height):
        want = cuts[-1] + size
        options = [c for c in range(cuts[-1] + 1, min(cuts[-1] + max_ranks, height - 1) + 1)
                   if c not in blocked]
        if not options:
            options = [c for c in range(cuts[-1] + 1, height) if c not in blocked] or [height]
            if options[0] >= height:
                break
        cuts.append(min(options, key=lambda c: (abs(c - want), c)))
    return cuts
