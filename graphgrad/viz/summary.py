"""Legible pictures of large graphs: collapse repeated layers, or summarize by op kind.

Collapsing: each node gets a structural signature (op, attributes, type, role and its operands'
op and type). A run of `k >= MIN_REPEATS` consecutive, equal blocks of signatures (period up to
MAX_PERIOD nodes) in topological order is drawn once, in a dashed box marked "× k"; the other
copies map onto it, and so do inputs and outputs that differ only in which copy they feed. Run
finding is linear in the graph size (one vectorized pass per period).

Op summary, the fallback when collapsing is not enough: one box per (role, op) with its count,
one box each for inputs, parameters and outputs, and edges between boxes with their counts.
"""
from __future__ import annotations

import re

import numpy as np

from ..graph.errors import GraphError
from ..graph.printer import format_attr
from . import style
from .labels import INDEXED, escape, type_text
from .style import html, small
from .view import parameters, Group, View, full_view, only_read_forward

MIN_REPEATS = 3
MAX_PERIOD = 128
MODES = (None, True, False, "layers", "ops")


def choose_view(g, summary, threshold, forward=True):
    """The view to draw for a `summary` setting (see `to_dot`); None means the op summary."""
    if summary not in MODES:
        raise GraphError(f"summary must be None, True, False, 'layers' or 'ops', got {summary!r}")
    if summary is False or (summary is None and len(g) <= threshold):
        return _trim(full_view(g), forward)
    if summary == "ops":
        return None
    view = _trim(collapsed_view(g), forward)
    if summary == "layers" or len(view.nodes) <= threshold:
        return view
    return None


def _trim(view, forward):
    return view if forward else only_read_forward(view)


def signatures(g) -> np.ndarray:
    """One small int per node; equal ints mean structurally identical nodes. Slices that differ
    only in their integer indexes (`x[t]` at each step of an RNN) are alike: the drawn copy
    shows the range (`x[0…19]`)."""
    table, out = {}, []
    for n in g.nodes:
        operands = tuple((v.op, v.shape, v.dtype) for v in n.inputs)
        attrs = tuple((k, _attr_key(n, k)) for k in sorted(n.attrs))
        key = (n.op, n.role, n.shape, n.dtype, attrs, operands)
        out.append(table.setdefault(key, len(table)))
    return np.asarray(out, dtype=np.int64)


def _attr_key(node, key) -> str:
    value = node.attrs[key]
    if key == "index" and node.op in INDEXED:
        value = tuple("int" if isinstance(e, int) else e for e in value)
    return format_attr(value)


def _best_runs(sig: np.ndarray):
    """For each start i: (covered length, period) of the best run of repeated blocks there."""
    n = len(sig)
    best_cover = np.zeros(n, dtype=np.int64)
    best_period = np.ones(n, dtype=np.int64)
    idx = np.arange(n)
    for p in range(1, min(MAX_PERIOD, n // MIN_REPEATS) + 1):
        eq = np.zeros(n, dtype=bool)
        eq[:n - p] = sig[:n - p] == sig[p:]
        stop = np.where(eq, n, idx)  # first mismatch at or after i, via a suffix minimum
        run = np.minimum.accumulate(stop[::-1])[::-1] - idx
        repeats = 1 + run // p
        cover = np.where(repeats >= MIN_REPEATS, repeats * p, 0)
        better = cover > best_cover
        best_cover[better], best_period[better] = cover[better], p
    return best_cover, best_period


def find_groups(g) -> list:
    """Greedy left-to-right runs of repeated blocks: [(start, period, repeats)]."""
    nodes = g.nodes
    if len(nodes) < MIN_REPEATS:
        return []
    cover, period = _best_runs(signatures(g))
    found, i = [], 0
    while i < len(nodes):
        if cover[i]:
            found.append((i, int(period[i]), int(cover[i] // period[i])))
            i += int(cover[i])
        else:
            i += 1
    return found


def collapsed_view(g) -> View:
    """A view drawing one copy of each run of repeated layers (see the module docstring)."""
    nodes = g.nodes
    rep = {v: v for v in g.input_values.values()}
    rep.update((n, n) for n in nodes)
    view = View(g, rep)
    for start, p, k in find_groups(g):
        view.groups.append(Group(nodes[start:start + p], k, nodes[start], nodes[start + p * k - 1]))
        for j in range(start, start + p * k):
            rep[nodes[j]] = nodes[start + (j - start) % p]
            view.block_of[nodes[j]] = (j - start) // p
        for n in nodes[start:start + p]:
            view.group_of[n] = len(view.groups) - 1
    _merge_inputs(view)
    _merge_outputs(view)
    return view


def _pattern(name: str) -> str:
    return re.sub(r"\d+", "#", name)


def _merge_inputs(view: View) -> None:
    """Inputs of the same type, name pattern and (drawn) consumers become one drawn input."""
    consumers = {v: [] for v in view.graph.input_values.values()}
    for n in view.graph.nodes:
        for pos, v in enumerate(n.inputs):
            if v.op == "input":
                consumers[v].append((view.rep[n].id, pos))
    params = view.parameters
    merged = {}
    for v, used in consumers.items():
        key = (tuple(sorted(set(used))), v.shape, v.dtype, v.name in params, _pattern(v.name))
        first = merged.setdefault(key, v)
        view.rep[v] = first
        view.names.setdefault(first, []).append(v.name)


def _merge_outputs(view: View) -> None:
    """Outputs whose values map to the same drawn value and share a name pattern merge."""
    merged = {}
    for name, v in view.graph.output_values.items():
        key = (view.rep[v], _pattern(name))
        if key not in merged:
            merged[key] = ([], view.rep[v])
            view.outputs.append(merged[key])
        merged[key][0].append(name)


def draw_op_summary(dot, g, prefix: str = "", marked=frozenset()) -> None:
    """One box per (role, op) with counts; inputs, parameters and outputs as one box each; a box
    holding `marked` values says how many, with the mark's border."""
    params = parameters(g)
    box, members = {}, {}
    for v in g.input_values.values():
        key = ("parameter" if v.name in params else "input", "input")
        box[v] = key
        members.setdefault(key, []).append(v)
    for n in g.nodes:
        box[n] = (n.role, n.op)
        members.setdefault(box[n], []).append(n)
    for key, values in members.items():
        _summary_node(dot, key, values, prefix, sum(1 for v in values if v in marked))
    outs = list(g.output_values.items())
    if outs:
        label = html([f"<B>{escape(style.names_text([nm for nm, _ in outs]), 80)}</B>",
                      small("outputs · " + _types_text([v for _, v in outs]))])
        dot.node(f"{prefix}outputs", label, **style.kind_attrs("output"))
    edges = {}
    for n in g.nodes:
        for v in n.inputs:
            edges.setdefault((box[v], box[n]), []).append(v)
    for _, v in outs:
        edges.setdefault((box[v], "outputs"), []).append(v)
    for (a, b), values in edges.items():
        colour = style.ROLE_LINE["backward"] if a[0] == "backward" or b[0] == "backward" else None
        dot.edge(_summary_id(a, prefix), _summary_id(b, prefix), label=_types_text(values),
                 **({"color": colour} if colour else {}))


def _summary_node(dot, key, values, prefix, marked) -> None:
    role, op = key
    kind = style.node_kind(values[0], {v.name for v in values} if role == "parameter" else set())
    head = f"{op} × {len(values)}" if op != "input" else f"{role}s × {len(values)}"
    lines = [f"<B>{head}</B>", small(escape(_types_text(values), 60))]
    if op != "input":
        lines.insert(1, small(role))
    attrs = style.kind_attrs(kind)
    if marked:
        lines.append(f'<FONT COLOR="{style.MARK_LINE}"><B>✗ {marked} marked</B></FONT>')
        attrs = style.mark_attrs(attrs)
    dot.node(_summary_id(key, prefix), html(lines), **attrs)


def _summary_id(key, prefix) -> str:
    return f"{prefix}outputs" if key == "outputs" else f"{prefix}{key[0]}_{key[1]}"


def _types_text(values) -> str:
    """The common type of the values, or how many distinct types they have, and the count."""
    types = list(dict.fromkeys(type_text(v) for v in values))
    text = types[0] if len(types) == 1 else f"{len(types)} types"
    return f"{text} ×{len(values)}" if len(values) > 1 else text
