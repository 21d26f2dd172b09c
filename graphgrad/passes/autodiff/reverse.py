"""Reverse-mode autodiff as a graph pass: `grad(g, wrt, of=, style=)` appends the backward graph.

The driver walks the forward nodes in reverse topological order, asks each op's rule (rules.py)
for the contributions of its output cotangent to its operands, checks the rule's arity, sums
broadcast contributions back to the operand's shape with `sum_to` and fan-in with `add`, and
keeps zeros symbolic (an operand that receives nothing gets no node). Rules run inside the
graph's backward scope, so the nodes they make have role "backward" and equal ones are shared.
It works on a copy of the graph: the input graph is never mutated.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ...graph import FLOAT_DTYPES, JACOBIAN_OPS, Graph, Tensor
from ...graph.analysis import collector_paused, copy_graph
from ...graph.provenance import Provenance, summary
from .checks import check_style, gradient_prefix, order_of, pick_output, pick_wrt, rule_of
from .rules import NO_GRADIENT, RULES, sum_to


@collector_paused
def grad(g: Graph, wrt: str | Sequence[str] | None = None, *, of: str | None = None,
         style: str = "jacobian", prefix: str | None = None) -> Graph:
    """A new graph: g's outputs, in order, then `<prefix><input>` for each input in `wrt`.

    `of` names the scalar output to differentiate (default: the only output of the highest
    derivative order, so that grad of a grad graph of one scalar input is the second
    derivative); `wrt` is an input name or a list of them (default: every float input). An
    input the output does not depend on gets a gradient of zeros. `style` is "jacobian"
    (explicit Kronecker/diagonal Jacobian products, see jacobian.py) or "vjp" (the compact
    rules). `prefix` defaults to "grad_", or "grad2_", "grad3_", ... when g already has gradient
    outputs of the lower order; the new outputs are recorded in `gradients` with the order of
    `of` plus one. Appended nodes have role "backward".

    A graph that holds explicit Jacobian products (a Jacobian-style gradient) has them rewritten
    first (`rewrite_jacobians`' identities: the same values), since differentiating through
    them would build cotangents as large as the Jacobians; a Jacobian used otherwise is
    differentiated through its own rule.

    Explicit Jacobians multiply every element of the cotangent: unoptimized, one NaN or inf in
    a partial reaches every element of the gradient through 0 × NaN, as any explicit matrix
    product does. `gg.optimize` (the Jacobian rewrite) gives the compact products, which keep
    a NaN where it belongs.
    """
    check_style("grad", style)
    of = pick_output(g, of)
    wrt = pick_wrt(g, wrt)
    prefix = gradient_prefix(g, wrt, prefix, 1 + max((k for _, k in g.gradients.values()), default=0))
    order = 1 + order_of(g, of)
    source = without_jacobian_products(g)
    new, _ = copy_graph(source)
    declared = new.input_values
    inputs = [declared[name] for name in wrt]
    with new.role("backward") as scope:
        cotangents = _backprop(new, scope, new.output_values[of], inputs, of, style)
        scope.meta = None
        for name, x in zip(wrt, inputs):
            new.output(prefix + name, cotangents[x] if x in cotangents else _zeros(new, x))
            new.gradients[prefix + name] = (name, order)
    new.passes = source.passes + (f"grad-{style}",)
    return new


def without_jacobian_products(g):
    """g with its explicit Jacobian products in compact form (g itself when it has none)."""
    if not any(n.op in JACOBIAN_OPS for n in g.nodes):
        return g
    from ..rewrite_jacobians import NAME, RULES  # passes import autodiff: imported when needed
    from ..rebuild import rewrite

    return rewrite(g, RULES, NAME)


def _active(graph, y, inputs) -> set:
    """Values on a differentiable path from some wrt input to y (only these get cotangents)."""
    varying = set(inputs)
    for node in graph.nodes:
        if node.dtype in FLOAT_DTYPES and any(v in varying for v in node.inputs) \
                and rule_of(node.op) is not NO_GRADIENT:
            varying.add(node)
    useful = {y}
    for node in reversed(graph.nodes):
        if node in useful:
            useful.update(node.inputs)
    return varying & useful


def _backprop(graph, scope, y, inputs, of, style):
    """Cotangents of the active values, keyed by value, starting from the seed dL/dy = 1."""
    active = _active(graph, y, inputs)
    if y not in active:
        return {}
    seed = graph.add("constant", (), {"value": np.ones((), dtype=y.dtype)}, role="backward",
                     name=f"grad_{y.name or of}")  # its own node, not shared with other ones
    parts = {y: [seed]}
    done = {}  # value -> its finished cotangent
    for node in reversed(graph.nodes):
        if node not in active or node not in parts:
            continue
        g = done[node] = _total(graph, node, parts.pop(node))
        wants = tuple(v in active for v in node.inputs)
        xs = tuple(Tensor(v, graph) for v in node.inputs)
        rule, first = RULES[node.op], len(graph)
        scope.meta = Provenance(of=summary(node))
        results = rule.vjp(Tensor(g, graph), Tensor(node, graph), xs, wants, node.attrs, style)
        if len(results) != len(node.inputs):
            raise AssertionError(f"the {node.op} rule returned {len(results)} entries for "
                                 f"{len(node.inputs)} operands")
        for i, (v, wanted, c) in enumerate(zip(node.inputs, wants, results)):
            if c is not None and wanted:
                c = sum_to(c, v.shape).value
                if c.id >= first and c.role == "backward":  # made for this operand: say which
                    c.meta = replace(scope.meta, wrt=v.name or v.ref, rule=rule.describe(i, style))
                if c.dtype != v.dtype:
                    raise AssertionError(f"the {node.op} rule gave a {c.dtype} gradient for {v.dtype}")
                parts.setdefault(v, []).append(c)
    for x in inputs:
        if x in parts:
            done[x] = _total(graph, x, parts.pop(x))
    return done


def _total(graph, value, parts):
    """The sum of the contributions to `value`'s cotangent, named grad_<value's name>."""
    total = parts[0]
    for part in parts[1:]:
        total = graph.add("add", (total, part))
    if value.name and total.role == "backward" and total.name is None:
        total.name = f"grad_{value.name}"
    return total


def _zeros(graph, x):
    """The gradient of an input the output does not depend on: zeros of its shape (as jax)."""
    zero = graph.add("constant", (), {"value": np.zeros((), dtype=x.dtype)})
    if x.shape == ():
        zero.name = zero.name or f"grad_{x.name}"
        return zero
    return graph.add("broadcast_to", (zero,), {"shape": x.shape}, name=f"grad_{x.name}")

