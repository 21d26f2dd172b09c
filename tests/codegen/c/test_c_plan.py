"""The static memory plan: no two live values share memory (checked by a walk of the kernels'
own loop nests, independent of the plan's bookkeeping), the workspace is no larger than numpy's
measured peak, and the seed network's is below the sum of its intermediates."""
import itertools
import tracemalloc

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.codegen.c.access import Buf
from graphgrad.codegen.c.expr import leaves
from graphgrad.codegen.c.lower import lower
from graphgrad.codegen.c.plan import plan_memory

from bench import models
from cases import cnn_graph
from codegen_models import two_layer_net


def _digits():
    from examples.digits import make_loss_graph

    return gg.grad(make_loss_graph(64, 64), wrt=["w1", "b1", "w2", "b2"], style="vjp")


def _mixed():
    """float64, float32 and bool values in one graph (three regions of the workspace)."""
    g = gg.Graph("mixed")
    x = g.input("x", (8, 5))
    with g:
        h = gg.tanh(x @ gg.constant(np.ones((5, 5))))
        s = gg.sum(h.astype("float32") * 2.0)
        m = gg.where(h > 0, h, -h)
        g.output("out", gg.sum(m) + s.astype("float64"))
    return gg.grad(g)


GRAPHS = {
    "seed": lambda: gg.grad(two_layer_net(), wrt=["w1", "w2"]),
    "digits": _digits,
    "mlp": lambda: gg.grad(models.mlp),
    "deep": lambda: gg.grad(models.deep_chain(layers=6, width=16, batch=4)),
    "mixed": _mixed,
    "cnn": cnn_graph,  # gathers, scatters, convolutions: loop nests of their own (CodeNest)
}


def _reads(nest) -> set:
    """The stored values a loop nest reads, found from its own fields."""
    if hasattr(nest, "accesses"):
        return {a.base for a in nest.accesses if isinstance(a, Buf)}
    if hasattr(nest, "tree"):
        return {leaf.access.base for leaf in leaves(nest.tree) if isinstance(leaf.access, Buf)}
    if hasattr(nest, "src"):
        return {nest.src.base} if isinstance(nest.src, Buf) else set()
    return {nest.a[0].base, nest.b[0].base}


def _writes(nest):
    return nest.c[0].base if hasattr(nest, "c") else nest.dest.base


@pytest.mark.parametrize("which", list(GRAPHS))
def test_no_two_live_values_share_memory(which):
    g = gg.optimize(GRAPHS[which]())
    lowered = lower(g)
    plan = plan_memory(lowered)
    born, dies = {}, {}
    for step, kernel in enumerate(lowered.kernels):
        for nest in kernel.nests:
            born.setdefault(_writes(nest), step)
            for v in _reads(nest):
                dies[v] = step
    slots = plan.slots
    assert {s.value for s in slots} <= set(born)
    for s in slots:  # the plan's lifetimes cover the true ones
        assert s.first <= born[s.value] and dies.get(s.value, born[s.value]) <= s.last
    for a, b in itertools.combinations(slots, 2):
        if a.nbytes == 0 or b.nbytes == 0:
            continue
        if a.offset + a.nbytes <= b.offset or b.offset + b.nbytes <= a.offset:
            continue  # disjoint bytes
        first, second = sorted((a, b), key=lambda s: s.first)
        live_a = (born[first.value], dies.get(first.value, born[first.value]))
        live_b = (born[second.value], dies.get(second.value, born[second.value]))
        if live_a[1] < live_b[0]:
            continue  # disjoint lives
        # the one overlap allowed: an elementwise kernel writing over an operand dying there
        assert second.in_place_of is first.value and live_a[1] == live_b[0], (first, second)
        assert a.ctype == b.ctype
        assert lowered.kernels[live_b[0]].elementwise
    assert plan.workspace_bytes >= max((s.offset + s.nbytes for s in slots), default=0)


def _numpy_peak(g, args) -> int:
    fn = gg.compile(g, optimize=False)
    fn(*args)  # warm: imports, caches
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = fn(*args)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    del out
    return peak


@pytest.mark.parametrize("which", ["seed", "digits", "mlp", "deep"])
def test_workspace_is_no_larger_than_numpys_peak(which):
    g = gg.optimize(GRAPHS[which]())
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s.shape) for s in g.inputs.values()]
    plan = gg.codegen.memory_plan(g)
    peak = _numpy_peak(g, args)  # numpy's intermediates and the outputs made so far, at its worst
    assert plan.workspace_bytes <= peak, (plan.workspace_bytes, peak)


def test_seed_workspace_is_below_the_sum_of_its_intermediates_and_runs_in_place():
    g = gg.optimize(GRAPHS["seed"]())
    plan = gg.codegen.memory_plan(g)
    assert 0 < plan.workspace_bytes < plan.intermediate_bytes
    by_name = {s.value.name: s for s in plan.slots}
    assert by_name["grad_h"].in_place_of is by_name["grad_h_relu"].value
    assert by_name["grad_h"].offset == by_name["grad_h_relu"].offset
    text = gg.codegen.emit(g, backend="c")
    assert f"double *grad_h = (double *)(ws + {by_name['grad_h'].offset}); " in text
    assert "in place of grad_h_relu" in str(plan) and "in place of grad_h_relu" in text


def test_regions_of_different_c_types_never_overlap():
    plan = gg.codegen.memory_plan(gg.optimize(GRAPHS["mixed"]()))
    spans = {}
    for s in plan.slots:
        lo, hi = spans.get(s.ctype, (s.offset, s.offset + s.nbytes))
        spans[s.ctype] = (min(lo, s.offset), max(hi, s.offset + s.nbytes))
    assert len(spans) >= 2
    for (_, a), (_, b) in itertools.combinations(spans.items(), 2):
        assert a[1] <= b[0] or b[1] <= a[0]
