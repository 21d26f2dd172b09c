"""Op cases for the C backend: those of tests/codegen/test_ops.py plus zero-size dimensions,
scalars, broadcasting and layouts BLAS cannot read as they are; and the gradient graphs of each."""
import numpy as np

import graphgrad as gg
from test_ops import CASES as OP_CASES, _const


def _add(op, shapes, positive=False, **attrs):
    return (op, shapes, lambda g, *xs: [g.add(op, xs, attrs or None)], positive)


EXTRA_CASES = [
    ("add:zero", [(0, 4), (4,)], lambda g, a, b: [g.add("add", [a, b])], False),
    ("sum:zero", [(0, 3)], lambda g, a: [g.add("sum", [a], {"axis": 0, "keepdims": False})], False),
    ("max:zero_rows", [(0, 3)], lambda g, a: [g.add("max", [a], {"axis": 1, "keepdims": False})], False),
    ("matmul:zero_k", [(3, 0), (0, 2)], lambda g, a, b: [g.add("matmul", [a, b])], False),
    ("matmul:zero_m", [(0, 4), (4, 2)], lambda g, a, b: [g.add("matmul", [a, b])], False),
    ("concatenate:zero", [(2, 0), (2, 3)], lambda g, *xs: [g.add("concatenate", xs, {"axis": 1})], False),
    ("softmax:zero", [(0, 4)], lambda g, a: [g.add("softmax", [a], {"axis": 1})], False),
    ("exp:scalar", [()], lambda g, a: [g.add("exp", [a])], False),
    ("multiply:scalar", [(), (3, 4)], lambda g, a, b: [g.add("multiply", [a, b])], False),
    ("where:broadcast", [(3, 1), (4,), ()], lambda g, c, a, b: [
        g.add("where", [g.add("less", [c, _const(g, 0.0, c.dtype)]), a, b])], False),
    ("tanh:wide", [(50,)], lambda g, a: [g.add("tanh", [g.add("multiply", [a, _const(g, 12.0, a.dtype)])])],
     False),
    ("sigmoid:wide", [(50,)], lambda g, a: [
        g.add("sigmoid", [g.add("multiply", [a, _const(g, 40.0, a.dtype)])])], False),
    ("power:square", [(3, 4)], lambda g, a: [g.add("power", [g.add("add", [a, a])], {"exponent": 2.0})],
     False),
    ("power:half", [(3, 4)], lambda g, a: [g.add("power", [a], {"exponent": 0.5})], True),
    ("power:inverse", [(3, 4)], lambda g, a: [g.add("power", [a], {"exponent": -1.0})], True),
    ("power:fourth", [(3, 4)], lambda g, a: [g.add("power", [g.add("exp", [a])], {"exponent": 4.0})], False),
    ("power:odd", [(3, 4)], lambda g, a: [g.add("power", [a], {"exponent": 2.5})], True),
    ("log_softmax:3d", [(2, 3, 4)], lambda g, a: [g.add("log_softmax", [a], {"axis": 1})], False),
    ("softmax:strided", [(4, 3)], lambda g, a: [
        g.add("softmax", [g.add("transpose", [a], {"axes": None})], {"axis": 1})], False),
    ("mean:all", [(2, 3, 4)], lambda g, a: [g.add("mean", [a], {"axis": None, "keepdims": False})], False),
    ("max:lead", [(5, 3)], lambda g, a: [g.add("max", [a], {"axis": 0, "keepdims": False})], False),
    ("mean:lead", [(5, 3)], lambda g, a: [g.add("mean", [a], {"axis": 0, "keepdims": True})], False),
    ("sum:fused", [(4, 5), (5,)], lambda g, a, b: [g.add("sum", [g.add("exp", [g.add("add", [a, b])])],
                                                          {"axis": 1, "keepdims": False})], False),
    ("matmul:batched_both", [(2, 3, 4), (2, 4, 5)], lambda g, a, b: [g.add("matmul", [a, b])], False),
    ("matmul:broadcast_batch", [(2, 1, 3, 4), (3, 4, 2)], lambda g, a, b: [g.add("matmul", [a, b])], False),
    ("matmul:vec_batched", [(4,), (2, 4, 5)], lambda g, a, b: [g.add("matmul", [a, b])], False),
    ("matmul:batched_vec", [(2, 3, 4), (4,)], lambda g, a, b: [g.add("matmul", [a, b])], False),
    ("matmul:transposed", [(4, 3), (2, 4)], lambda g, a, b: [
        g.add("matmul", [g.add("transpose", [a], {"axes": None}), g.add("transpose", [b], {"axes": None})])],
     False),
    ("matmul:reversed", [(5, 4), (4, 2)], lambda g, a, b: [
        g.add("matmul", [g.add("slice", [a], {"index": ((None, None, -2),)}), b])], False),
    ("matmul:broadcast_operand", [(4,), (4, 2)], lambda g, a, b: [
        g.add("matmul", [g.add("broadcast_to", [a], {"shape": (3, 4)}), b])], False),
    ("matmul:scalar_operand", [(4, 2)], lambda g, b: [
        g.add("matmul", [g.add("broadcast_to", [_const(g, 1.5, b.dtype)], {"shape": (3, 4)}), b])], False),
    ("reshape:strided", [(3, 4)], lambda g, a: [
        g.add("exp", [g.add("reshape", [g.add("transpose", [a], {"axes": None})], {"shape": (12,)})])], False),
    ("slice:then_op", [(5, 4)], lambda g, a: [
        g.add("tanh", [g.add("slice", [a], {"index": ((4, None, -2), (1, 3, 1))})])], False),
    ("output:input", [(2, 3)], lambda g, a: [a, g.add("exp", [a])], False),
    ("output:twice", [(2, 3)], lambda g, a: [g.add("exp", [a])] * 2, False),
    ("output:view", [(2, 3)], lambda g, a: [g.add("transpose", [g.add("exp", [a])], {"axes": None})], False),
    ("cast:to_bool", [(3,)], lambda g, a: [g.add("cast", [a], {"dtype": "bool"})], False),
]

CASES = OP_CASES + EXTRA_CASES


def inputs(case, dtype):
    name, shapes, _, positive = case
    rng = np.random.default_rng(len(name))
    args = [rng.standard_normal(s) for s in shapes]
    return [(np.abs(a) + 0.5 if positive else a).astype(dtype) for a in args]


def forward_graph(case, dtype):
    name, shapes, fn, _ = case
    g = gg.Graph("case")
    xs = [g.input(f"x{i}", s, dtype).value for i, s in enumerate(shapes)]
    for i, out in enumerate(fn(g, *xs)):
        g.output(f"out{i}", out)
    return g


def loss_graph(case, dtype):
    """The case's float outputs weighted by fixed random constants and summed (a scalar loss),
    or None when the case has no float output (comparisons only)."""
    name, shapes, fn, _ = case
    g = gg.Graph("case")
    xs = [g.input(f"x{i}", s, dtype).value for i, s in enumerate(shapes)]
    outs = [o for o in fn(g, *xs) if o.dtype != "bool"]
    if not outs:
        return None
    rng = np.random.default_rng(7)
    total = None
    for o in outs:
        w = g.add("constant", [], {"value": rng.standard_normal(o.shape).astype(o.dtype)})
        term = g.add("sum", [g.add("multiply", [o, w])], {"axis": None, "keepdims": False})
        if term.dtype != dtype:
            term = g.add("cast", [term], {"dtype": dtype})
        total = term if total is None else g.add("add", [total, term])
    g.output("loss", total)
    return g


JACOBIAN_OPS = {"eye", "kron", "diag"}  # explicit Jacobians: they cannot be differentiated
# Saturated tanh and sigmoid: their derivatives 1 - y*y and y*(1 - y) cancel, so a last-bit
# difference in y (any two libms differ there) is a large relative one; forward only.
SATURATED = {"tanh:wide", "sigmoid:wide"}


def variants(case, dtype):
    """(variant, graph) pairs: the forward graph as it is, its gradient in both styles after
    gg.optimize, and the explicit Jacobian-style gradient before the rewrite (kron, diag, eye)."""
    out = [("forward", forward_graph(case, dtype))]
    g = loss_graph(case, dtype)
    if g is None or JACOBIAN_OPS & {n.op for n in g.nodes} or case[0] in SATURATED:
        return out
    for style in ("jacobian", "vjp"):
        out.append((f"grad-{style}", gg.optimize(gg.grad(g, style=style))))
    raw = gg.grad(g, style="jacobian")
    if sum(n.size if hasattr(n, "size") else int(np.prod(n.shape)) for n in raw.nodes) < 20000:
        out.append(("grad-jacobian-raw", raw))
    return out
