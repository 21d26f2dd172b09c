"""Jacobian accumulation as vertex elimination: the order in which per-op Jacobians are multiplied.

The linearized graph has a vertex per value (size n_v = its number of elements) and an edge u -> v
carrying the local Jacobian J[v,u] = ∂vec(v)/∂vec(u) (n_v × n_u). Eliminating an intermediate
vertex j replaces every path i -> j -> k by one edge:

    J[k,i] += J[k,j] · J[j,i]

When only sources (inputs) and sinks (outputs) remain, J[y,x] is the Jacobian. Eliminating in
topological order is forward accumulation; in reverse order, reverse accumulation. On a chain
x -> v1 -> ... -> y every parenthesization of J_L ··· J_1 is an elimination order, and the cheapest
is found by the matrix-chain dynamic program; on a general DAG, a greedy order (Markowitz: next
the vertex whose elimination is cheapest now; ties to the earlier vertex) is used, and "auto"
takes the cheapest of it, forward and reverse.

Costs are FLOPs by the kind of each matrix (`product_cost`, `sum_cost`): a dense product
(m×n)(n×p) is 2·m·n·p, a diagonal factor scales rows or columns (m·p), an identity is free.
Kronecker Jacobians count as dense, so estimates are upper bounds there. Nothing here builds
graph nodes: a `Plan` lists the steps, which the jacobian transform then builds.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

IDENTITY, DIAGONAL, DENSE = "identity", "diagonal", "dense"


def product_cost(left: str, right: str, m: int, n: int, p: int):
    """(FLOPs, kind) of the product of an m×n matrix of kind `left` and an n×p one of `right`."""
    if left == IDENTITY:
        return 0, right
    if right == IDENTITY:
        return 0, left
    if left == DIAGONAL and right == DIAGONAL:
        return m, DIAGONAL
    if left == DIAGONAL or right == DIAGONAL:
        return m * p, DENSE
    return 2 * m * n * p, DENSE


def sum_cost(a: str, b: str, m: int, p: int):
    """(FLOPs, kind) of the sum of two m×p matrices of kinds a and b."""
    if a != DENSE and b != DENSE:
        return m, DIAGONAL
    return m * p, DENSE


@dataclass(frozen=True)
class Step:
    """One elimination: J[k,i] (+)= J[k,j] · J[j,i]; `accumulate` when J[k,i] existed."""

    k: int
    j: int
    i: int
    flops: int
    kind: str
    accumulate: bool


@dataclass
class Linearized:
    """The linearized graph: vertex sizes and labels, sources, sinks, and edge kinds."""

    sizes: list                      # vertex id -> n_v
    labels: list                     # vertex id -> text for explanations and pictures
    sources: list
    sinks: list
    edges: dict = field(default_factory=dict)   # (k, i) -> kind of J[k,i]
    dtypes: list | None = None       # vertex id -> dtype (for the memory budget)

    def intermediates(self) -> list:
        ends = set(self.sources) | set(self.sinks)
        return [v for v in range(len(self.sizes)) if v not in ends]

    def copy(self) -> "Linearized":
        return Linearized(self.sizes, self.labels, self.sources, self.sinks, dict(self.edges),
                          self.dtypes)


class _Work:
    """A mutable copy of the edges with predecessor and successor sets, for eliminating."""

    def __init__(self, lin: Linearized):
        self.sizes, self.kinds = lin.sizes, dict(lin.edges)
        self.preds = {v: set() for v in range(len(lin.sizes))}
        self.succs = {v: set() for v in range(len(lin.sizes))}
        for k, i in lin.edges:
            self.preds[k].add(i)
            self.succs[i].add(k)

    def steps_of(self, j) -> list:
        """The steps eliminating j would take now (in a fixed order)."""
        n, steps = self.sizes, []
        for k in sorted(self.succs[j]):
            for i in sorted(self.preds[j]):
                flops, kind = product_cost(self.kinds[k, j], self.kinds[j, i], n[k], n[j], n[i])
                old = self.kinds.get((k, i))
                if old is not None:
                    more, kind = sum_cost(old, kind, n[k], n[i])
                    flops += more
                steps.append(Step(k, j, i, flops, kind, old is not None))
        return steps

    def cost(self, j) -> int:
        return sum(s.flops for s in self.steps_of(j))

    def eliminate(self, j) -> list:
        steps = self.steps_of(j)
        for s in steps:
            self.kinds[s.k, s.i] = s.kind
            self.succs[s.i].add(s.k)
            self.preds[s.k].add(s.i)
        for k in self.succs.pop(j):
            self.preds[k].discard(j)
            del self.kinds[k, j]
        for i in self.preds.pop(j):
            self.succs[i].discard(j)
            del self.kinds[j, i]
        return steps


def run_order(lin: Linearized, order) -> list:
    """The steps of eliminating the vertices in `order` (every intermediate, once)."""
    work = _Work(lin)
    return [s for j in order for s in work.eliminate(j)]


def greedy_order(lin: Linearized) -> list:
    """Markowitz-style: repeatedly eliminate the vertex that is cheapest to eliminate now (ties:
    the earlier vertex). Costs are kept in a heap and recomputed for the vertices whose
    neighbourhood an elimination changed."""
    work = _Work(lin)
    left = set(lin.intermediates())
    version = dict.fromkeys(left, 0)
    heap = [(work.cost(v), v, 0) for v in left]
    heapq.heapify(heap)
    order = []
    while heap:
        _, j, seen = heapq.heappop(heap)
        if j not in left or seen != version[j]:
            continue
        near = set(work.preds[j]) | set(work.succs[j])
        for v in list(near):
            near |= work.preds[v] | work.succs[v]
        work.eliminate(j)
        left.discard(j)
        order.append(j)
        for v in near & left:
            version[v] += 1
            heapq.heappush(heap, (work.cost(v), v, version[v]))
    return order


def chain(lin: Linearized):
    """The vertices of the linearized graph in chain order (source, ..., sink), or None when it is
    not one path with every intermediate between one predecessor and one successor."""
    if len(lin.sources) != 1 or len(lin.sinks) != 1:
        return None
    succ = {}
    for k, i in lin.edges:
        if i in succ:
            return None
        succ[i] = k
    path, v = [lin.sources[0]], lin.sources[0]
    while v in succ:
        v = succ[v]
        path.append(v)
    if v != lin.sinks[0] or len(path) != len(lin.sizes):
        return None
    return path


def chain_order(lin: Linearized, path):
    """The matrix-chain dynamic program: the cheapest parenthesization of J_L ··· J_1 along
    `path` (v_0 ... v_L, J_t = J[v_t, v_t-1]) as ((elimination order, text), its FLOPs)."""
    n = [lin.sizes[v] for v in path]
    kinds = [None] + [lin.edges[path[t], path[t - 1]] for t in range(1, len(path))]
    length = len(path) - 1
    best, split, seg = {}, {}, {}
    for t in range(1, length + 1):
        best[t, t], seg[t, t] = 0, kinds[t]
    for span in range(2, length + 1):
        for a in range(1, length - span + 2):
            b = a + span - 1
            seg[a, b] = _merge_kind(seg[a, b - 1], kinds[b])
            for s in range(b - 1, a - 1, -1):  # first of equals: the most forward split
                flops = product_cost(seg[s + 1, b], seg[a, s], n[b], n[s], n[a - 1])[0]
                total = best[a, s] + best[s + 1, b] + flops
                if (a, b) not in best or total < best[a, b]:
                    best[a, b], split[a, b] = total, s

    return _tree(path, lambda a, b: split[a, b], length), best.get((1, length), 0)


def _tree(path, split, length):
    """(elimination order, text) of the parenthesization that `split(a, b)` describes."""
    def order(a, b):  # post-order: both halves, then the vertex between them
        if a == b:
            return []
        s = split(a, b)
        return order(a, s) + order(s + 1, b) + [path[s]]

    def text(a, b):
        if a == b:
            return f"J{a}"
        s = split(a, b)
        return f"({text(s + 1, b)} · {text(a, s)})"

    return order(1, length), (text(1, length) if length else "I")


def _merge_kind(a, b):
    if a == IDENTITY and b == IDENTITY:
        return IDENTITY
    return DIAGONAL if DENSE not in (a, b) else DENSE


@dataclass
class Plan:
    """The chosen elimination: `mode` asked, `method` used, `order` of vertices, the `steps`,
    their total `cost` in FLOPs, the `costs` of forward and reverse accumulation, and for a chain
    its `parenthesization` (J1 the input's own Jacobian)."""

    mode: str
    method: str
    order: list
    steps: list
    cost: int
    costs: dict
    lin: Linearized
    parenthesization: str | None = None
    path: list | None = None

    def explain(self) -> str:
        """The plan as text: method, cost beside the alternatives, then each step."""
        lab = self.lin.labels
        lines = [f"jacobian by {self.method} (mode={self.mode!r}): {self.cost:,} FLOPs estimated "
                 f"(forward {self.costs['fwd']:,}, reverse {self.costs['rev']:,})"]
        if self.parenthesization:
            legend = ", ".join(f"J{t} = ∂{lab[v]}/∂{lab[u]}" for t, (u, v) in
                               enumerate(zip(self.path, self.path[1:]), 1))
            lines.append(f"  chain: {self.parenthesization}   where {legend}")
        for number, s in enumerate(self.steps, 1):
            shape = f"{self.lin.sizes[s.k]}×{self.lin.sizes[s.j]} · {self.lin.sizes[s.j]}×{self.lin.sizes[s.i]}"
            lines.append(f"  {number}. eliminate {lab[s.j]}: J[{lab[s.k]}, {lab[s.i]}] "
                         f"{'+=' if s.accumulate else '='} J[{lab[s.k]}, {lab[s.j]}] · "
                         f"J[{lab[s.j]}, {lab[s.i]}]   ({shape}, {s.kind}, {s.flops:,} FLOPs)")
        return "\n".join(lines)


def plan(lin: Linearized, mode: str) -> Plan:
    """The elimination plan for `mode`: "fwd", "rev", or "auto" (chain DP, else the cheapest of
    greedy, forward and reverse)."""
    inner = lin.intermediates()  # vertex ids are numbered in topological order
    orders = {"fwd": inner, "rev": inner[::-1]}
    steps = {m: run_order(lin, o) for m, o in orders.items()}
    costs = {m: sum(s.flops for s in st) for m, st in steps.items()}
    names = {"fwd": "forward accumulation", "rev": "reverse accumulation"}
    if mode in orders:
        return Plan(mode, names[mode], orders[mode], steps[mode], costs[mode], costs, lin)
    path = chain(lin)
    if path is not None:
        (order, text), cost = chain_order(lin, path)
        length = len(path) - 1
        for m, split in (("fwd", lambda a, b: b - 1), ("rev", lambda a, b: a)):
            if costs[m] == cost:  # an optimum as cheap as an extreme: the familiar order
                order, text = _tree(path, split, length)
                return Plan(mode, f"matrix-chain DP: {names[m]}", order, steps[m], cost, costs,
                            lin, text, path)
        return Plan(mode, "matrix-chain DP", order, run_order(lin, order), cost, costs, lin, text, path)
    order = greedy_order(lin)
    st = run_order(lin, order)
    candidates = [(sum(s.flops for s in st), 0, "greedy elimination (Markowitz)", order, st)]
    candidates += [(costs[m], n, names[m], orders[m], steps[m]) for n, m in ((1, "fwd"), (2, "rev"))]
    cost, _, method, order, st = min(candidates, key=lambda c: (c[0], c[1]))
    return Plan(mode, method, order, st, cost, costs, lin)
