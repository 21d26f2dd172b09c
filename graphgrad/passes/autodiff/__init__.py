"""Reverse-mode autodiff as a graph pass: `grad(g, wrt, of=, style=)` appends the backward graph.

The driver walks the forward nodes in reverse topological order, asks each op's rule (rules.py)
for the contributions of its output cotangent to its operands, checks the rule's arity, sums
broadcast contributions back to the operand's shape with `sum_to` and fan-in with `add`, and
keeps zeros symbolic (an operand that receives nothing gets no node). It works on a copy of the
graph: the input graph is never mutated.
"""
from __future__ import annotations

import numpy as np

from ...graph import GraphError
from ...graph.analysis import copy_graph
from ...graph.optable import lookup
from ...graph.analysis import gc_paused
from .emit import Emitter
from .rules import RULES

STYLES = ("jacobian", "vjp")
_FLOATS = ("float32", "float64")


def grad(g, wrt=None, *, of=None, style="jacobian"):
    """A new graph: g's outputs, in order, then `grad_<input>` for each input in `wrt`.

    `of` names the scalar output to differentiate (default: the only output); `wrt` is an input
    name or a list of them (default: every float input). An input the output does not depend on
    gets a gradient of zeros. `style` is "jacobian" (explicit Kronecker/diagonal Jacobian products,
    see jacobian.py) or "vjp" (the compact rules). Appended nodes have role "backward".
    """
    if style not in STYLES:
        raise GraphError(f"grad style must be one of {', '.join(map(repr, STYLES))}, got {style!r}")
    of = pick_output(g, of)
    wrt = pick_wrt(g, wrt)
    with gc_paused():  # like a pass, grad makes thousands of long-lived nodes
        new, _ = copy_graph(g)
        em = Emitter(new, style)
        declared = new.input_values  # (a copy per access: taken once, not once per name)
        inputs = [declared[name] for name in wrt]
        cotangents = _backprop(em, new, new.output_values[of], inputs, of)
        for name, x in zip(wrt, inputs):
            new.output(f"grad_{name}", cotangents[x] if x in cotangents else _zeros(em, x))
    new.passes = g.passes + (f"grad-{style}",)
    return new


def pick_output(g, of):
    """The name of the scalar float output to differentiate, checked."""
    outputs = g.outputs
    if of is None:
        if len(outputs) != 1:
            names = ", ".join(map(repr, outputs)) or "none"
            raise GraphError(f"graph {g.name!r} has {len(outputs)} outputs ({names}); "
                             "name the scalar one to differentiate with of=")
        of = next(iter(outputs))
    if of not in outputs:
        raise GraphError(f"graph {g.name!r} has no output {of!r}; its outputs are "
                         f"{', '.join(map(repr, outputs))}")
    spec = outputs[of]
    if spec.shape != () or spec.dtype not in _FLOATS:
        raise GraphError(f"output {of!r} is {spec}; grad needs a float scalar output "
                         "(reduce it with gg.sum or gg.mean)")
    return of


def pick_wrt(g, wrt):
    """The list of input names to differentiate with respect to, checked."""
    inputs, outputs = g.inputs, g.outputs
    if wrt is None:
        wrt = [n for n, spec in inputs.items() if spec.dtype in _FLOATS]
    elif isinstance(wrt, str):
        wrt = [wrt]
    wrt = list(wrt)
    counts = {}  # (list.count per name was quadratic: a 1000-layer model has 1000 weights)
    for name in wrt:
        if isinstance(name, str):
            counts[name] = counts.get(name, 0) + 1
    for name in wrt:
        if not isinstance(name, str) or name not in inputs:
            raise GraphError(f"wrt: graph {g.name!r} has no input {name!r}; its inputs are "
                             f"{', '.join(map(repr, inputs))}")
        if inputs[name].dtype not in _FLOATS:
            raise GraphError(f"wrt: input {name!r} is {inputs[name]}; only float inputs have gradients")
        if counts[name] > 1:
            raise GraphError(f"wrt lists input {name!r} twice")
        if f"grad_{name}" in outputs:
            raise GraphError(f"graph {g.name!r} already has an output named 'grad_{name}' (from an "
                             "earlier grad?); grad adds that output, so rename or drop it first")
    return wrt


def _active(graph, y, inputs) -> set:
    """Values on a differentiable path from some wrt input to y (only these get cotangents)."""
    varying = set(inputs)
    for node in graph.nodes:
        if node.dtype in _FLOATS and lookup(node.op).differentiable \
                and any(v in varying for v in node.inputs):
            varying.add(node)
    useful = {y}
    for node in reversed(graph.nodes):
        if node in useful:
            useful.update(node.inputs)
    return varying & useful


def _backprop(em, graph, y, inputs, of):
    """Cotangents of the active values, keyed by value, starting from the seed dL/dy = 1."""
    active = _active(graph, y, inputs)
    if y not in active:
        return {}
    seed = em.add("constant", (), {"value": np.ones((), dtype=y.dtype)}, name=f"grad_{_hint(y) or of}")
    parts = {y: [seed]}
    done = {}  # value -> its finished cotangent
    for node in reversed(graph.nodes):
        if node not in active or node not in parts:
            continue
        g = done[node] = _total(em, node, parts.pop(node))
        wants = tuple(v in active for v in node.inputs)
        results = RULES[node.op](em, node, g, wants)
        if len(results) != len(node.inputs):
            raise AssertionError(f"the {node.op} rule returned {len(results)} entries for "
                                 f"{len(node.inputs)} operands")
        for v, wanted, c in zip(node.inputs, wants, results):
            if c is not None and wanted:
                c = em.sum_to(c, v.shape)
                if c.dtype != v.dtype:
                    raise AssertionError(f"the {node.op} rule gave a {c.dtype} gradient for {v.dtype}")
                parts.setdefault(v, []).append(c)
    for x in inputs:
        if x in parts:
            done[x] = _total(em, x, parts.pop(x))
    return done


def _total(em, value, parts):
    """The sum of the contributions to `value`'s cotangent, named grad_<value's name>."""
    total = parts[0]
    for part in parts[1:]:
        total = em.add("add", (total, part))
    hint = _hint(value)
    if hint and total.role == "backward" and total.name is None:
        total.name = f"grad_{hint}"
    return total


def _hint(value):
    return value.name


def _zeros(em, x):
    """The gradient of an input the output does not depend on: zeros of its shape (as jax)."""
    zero = em.add("constant", (), {"value": np.zeros((), dtype=x.dtype)})
    if x.shape == ():
        zero.name = f"grad_{x.name}"
        return zero
    return em.add("broadcast_to", (zero,), {"shape": x.shape}, name=f"grad_{x.name}")
