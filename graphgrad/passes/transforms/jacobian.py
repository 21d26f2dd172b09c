"""`jacobian(g, of, wrt, mode=)`: whole Jacobians as products of the per-op Jacobians.

Each output y in `of` and input x in `wrt` gets an output `jac_<y>_<x>` of shape y.shape +
x.shape: ∂vec(y)/∂vec(x) reshaped. The per-op Jacobians (linearize.py) are multiplied in the
order of an elimination plan (elimination.py): "fwd" (forward accumulation), "rev" (reverse), or
"auto", the cheapest order found for the graph's shapes. The plan, with its estimated FLOPs, is
the result's `jacobian_plan` (its `explain()` is the text `explain=True` returns). The product
nodes are named d<row>_d<column> after the vertices they join; `gg.optimize` rewrites the
explicit diagonal and Kronecker products into compact ones. A graph holding explicit Jacobian
products (a Jacobian-style gradient) has them rewritten first, as `grad` does.
"""
from __future__ import annotations

import numpy as np

from ...graph import FLOAT_DTYPES, GraphError, functions as f
from ...graph.analysis import collector_paused, copy_graph
from ..autodiff.checks import order_of, pick_wrt
from ..autodiff.forward import check_new_names
from ..autodiff.reverse import without_jacobian_products
from ..rebuild import drop_dead
from .budget import check_max_bytes, check_output, check_plan
from .elimination import plan as make_plan
from .linearize import linearize
from .products import add, materialize, product

MODES = ("auto", "fwd", "rev")


def check_mode(mode) -> None:
    if mode not in MODES:
        raise GraphError(f"jacobian mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")


def pick_outputs(g, of) -> list:
    """The float outputs to take Jacobians of (default: every float output), checked."""
    outputs = g.outputs
    if of is None:
        names = [n for n, s in outputs.items() if s.dtype in FLOAT_DTYPES]
        if not names:
            raise GraphError(f"graph {g.name!r} has no float output to take a Jacobian of")
        return names
    names = [of] if isinstance(of, str) else of
    if not isinstance(names, (list, tuple)):
        raise GraphError(f"of must be an output name or a list of them, got {type(of).__name__}")
    for name in names:
        if not isinstance(name, str) or name not in outputs:
            raise GraphError(f"of: graph {g.name!r} has no output {name!r}; its outputs are "
                             f"{', '.join(map(repr, outputs))}")
        if outputs[name].dtype not in FLOAT_DTYPES:
            raise GraphError(f"of: output {name!r} is {outputs[name]}; only float outputs have "
                             "Jacobians (integer and boolean values are constant to a derivative)")
    if len(set(names)) != len(names):
        raise GraphError("of lists an output twice")
    return list(names)


@collector_paused
def jacobian(g, of=None, wrt=None, *, mode="auto", explain=False, max_bytes=2**30):
    """A new graph: g's outputs, then `jac_<y>_<x>` for each y in `of` (default: every float
    output) and x in `wrt` (default: every float input), y-major.

    `mode` is "auto", "fwd" or "rev"; `explain=True` returns (graph, the plan as text).
    `max_bytes` bounds each output and each dense Jacobian built (MemoryBudgetError)."""
    check_mode(mode)
    of, wrt = pick_outputs(g, of), pick_wrt(g, wrt)
    max_bytes = check_max_bytes(max_bytes)
    names = {(y, x): f"jac_{y}_{x}" for y in of for x in wrt}
    check_new_names(g, [], names.values())
    outputs, inputs = g.outputs, g.inputs
    for (y, x), name in names.items():
        check_output(name, outputs[y].shape + inputs[x].shape, outputs[y].dtype, max_bytes,
                     "raise max_bytes, or take fewer outputs (of=) or inputs (wrt=)")
    source = without_jacobian_products(g)  # as grad does: Jacobians of Jacobians are huge
    new, _ = copy_graph(source)
    values, declared = new.output_values, new.input_values
    with new.role("backward"):
        lin, jacs = linearize(new, {y: values[y] for y in of}, [declared[x] for x in wrt], max_bytes)
        plan = make_plan(lin, mode)
        check_plan(plan, max_bytes)
        _build(plan, jacs)
        for t, y in enumerate(of):
            sink = lin.sinks[t]
            for s, x in enumerate(wrt):
                shape = outputs[y].shape + inputs[x].shape
                jac = jacs.get((sink, lin.sources[s]))
                value = materialize(jac).reshape(shape) if jac is not None else _zeros(new, shape, outputs[y].dtype)
                new.output(names[y, x], value)
                new.gradients[names[y, x]] = (x, order_of(g, y) + 1)
    result = drop_dead(new)
    result.passes = source.passes + (f"jacobian-{mode}",)
    result.jacobian_plan = plan
    return (result, plan.explain()) if explain else result


def _build(plan, jacs) -> None:
    """Replay the plan's steps on the Jacobian values: J[k,i] (+)= J[k,j] · J[j,i] (the edges of an
    eliminated vertex are never read again)."""
    labels = plan.lin.labels
    for s in plan.steps:
        p = product(jacs[s.k, s.j], jacs[s.j, s.i])
        jacs[s.k, s.i] = add(jacs[s.k, s.i], p) if s.accumulate else p
        node = jacs[s.k, s.i].value
        if node is not None and node.value.name is None and node.value.role == "backward":
            node.value.name = _identifier(f"d{labels[s.k]}_d{labels[s.i]}")


def _identifier(text: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in text)


def _zeros(graph, shape, dtype):
    return f.broadcast_to(f.constant(np.zeros((), dtype), graph=graph), shape)
