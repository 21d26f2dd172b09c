"""Op cases for the C backend: those of tests/codegen/test_ops.py plus zero-size dimensions,
scalars, broadcasting and layouts BLAS cannot read as they are; and the gradient graphs of each."""
import numpy as np

import graphgrad as gg
from test_ops import CASES as OP_CASES, _const


class Ints:
    """An integer input (an index array): shape, values drawn from [low, high), dtype."""

    def __init__(self, shape, low, high, dtype="int64"):
        self.shape, self.low, self.high, self.dtype = tuple(shape), low, high, dtype


def _ints(g, values):
    return g.add("constant", [], {"value": np.asarray(values, dtype=np.int64)})


def _t(g, x, axes=None):
    return g.add("transpose", [x], {"axes": axes})


def _sl(g, x, *index):
    return g.add("slice", [x], {"index": index})


_CONV = {"stride": (2, 2), "padding": (1, 1, 0, 1), "dilation": (1, 2), "groups": 1}
_WINDOW = {"kernel": (3, 2), "stride": (1, 2), "padding": (0, 1, 2, 0), "dilation": (2, 1)}


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
    # the ops with loop nests of their own, on layouts that matter: views as operands, repeated
    # and negative indices, index arrays as (int64 and int32) inputs, zero sizes, groups
    ("conv:transposed_input", [(6, 7, 3, 2), (4, 3, 3, 3)], lambda g, x, w: [
        g.add("conv", [_t(g, x), w], _CONV)], False),
    ("conv:strided_weight", [(1, 4, 6, 6), (8, 2, 2, 3)], lambda g, x, w: [
        g.add("conv", [x, _sl(g, w, (None, None, 2))], {**_CONV, "groups": 2, "padding": (2, 0, 1, 1)})], False),
    ("conv_input_grad:scalar_grad", [(6, 2, 2, 2)], lambda g, w: [g.add("conv_input_grad", [
        g.add("broadcast_to", [_const(g, 1.0, w.dtype)], {"shape": (1, 6, 5, 5)}), w],
        {"stride": (1, 1), "padding": (1, 0, 0, 1), "dilation": (1, 1), "groups": 2, "shape": (1, 4, 5, 5)})],
     False),
    ("conv:zero_batch", [(0, 3, 5, 5), (2, 3, 2, 2)], lambda g, x, w: [
        g.add("conv", [x, w], {**_CONV, "padding": (0, 0, 0, 0)})], False),
    ("im2col:sliced", [(2, 3, 9, 6)], lambda g, x: [
        g.add("im2col", [_sl(g, x, (None, None, None), (None, None, -1), (1, None, 2))], _WINDOW)], False),
    ("max_pool:transposed", [(2, 6, 5, 3)], lambda g, x: [
        g.add("max_pool", [_t(g, x, (0, 3, 2, 1))], {"kernel": (3, 2), "stride": (1, 2), "padding": (1, 1, 1, 0)})],
     False),
    ("avg_pool:sliced", [(2, 3, 8, 6)], lambda g, x: [
        g.add("avg_pool", [_sl(g, x, (None, None, None), (None, None, None), (None, None, 2))],
              {"kernel": (2, 2), "stride": (2, 2), "padding": (0, 1, 1, 1)})], False),
    ("take:repeated_transposed", [(4, 3)], lambda g, a: [
        g.add("take", [_t(g, a), _ints(g, [[1, 1], [-1, 1], [0, 1]])], {"axis": 1})], False),
    ("take:flat_strided", [(4, 3)], lambda g, a: [g.add("take", [_t(g, a), _ints(g, [11, 0, 4, 4])],
                                                         {"axis": None})], False),
    ("take:int_input", [(5, 3), Ints((4,), -5, 5)], lambda g, a, i: [
        g.add("take", [a, i], {"axis": 0}), g.add("take", [a, i], {"axis": None})], False),
    ("take:scalar_index", [(5, 3), Ints((), 0, 3, "int32")], lambda g, a, i: [
        g.add("take", [a, i], {"axis": 1})], False),
    ("take:broadcast_operand", [(1, 3), Ints((5,), -4, 4)], lambda g, a, i: [
        g.add("take", [g.add("broadcast_to", [a], {"shape": (4, 3)}), i], {"axis": 0})], False),
    ("scatter_add:axis_of_one", [(2, 3), Ints((2,), -1, 1)], lambda g, a, i: [
        g.add("scatter_add", [a, i], {"axis": 0, "shape": (1, 3)})], False),
    ("take:zero", [(5, 3)], lambda g, a: [g.add("take", [a, _ints(g, np.zeros((0, 2), np.int64))],
                                                 {"axis": 0})], False),
    ("take_along_axis:int32_input", [(3, 4), Ints((3, 2), -4, 4, "int32")], lambda g, a, i: [
        g.add("take_along_axis", [_t(g, a, (1, 0)), g.add("transpose", [i], {"axes": None})], {"axis": 0})],
     False),
    ("take_along_axis:broadcast", [(3, 4)], lambda g, a: [
        g.add("take_along_axis", [a, _ints(g, [[3, 3, 0]])], {"axis": 1})], False),
    ("scatter_add:repeated", [(5, 2)], lambda g, a: [
        g.add("scatter_add", [a, _ints(g, [1, 1, 0, 1, -1])], {"axis": 0, "shape": (3, 2)})], False),
    ("scatter_along_axis:int_input", [(2, 4), Ints((2, 4), 0, 3)], lambda g, a, i: [
        g.add("scatter_along_axis", [a, i], {"axis": 1, "shape": (2, 3)})], False),
    ("pad:slice", [(4, 5)], lambda g, x: [
        g.add("pad", [_sl(g, x, (None, None, -2), (1, 4, 1))], {"pad_width": (2, 1, 0, 3), "value": 1.5})], False),
    ("pad:scalar_zero", [(0, 2)], lambda g, x: [g.add("pad", [x], {"pad_width": (1, 1, 0, 1), "value": 0.0})],
     False),
    ("logsumexp:transposed", [(3, 4, 2)], lambda g, x: [
        g.add("logsumexp", [_t(g, x)], {"axis": (0, 2), "keepdims": False})], False),
    ("logsumexp:all_padding", [(2, 3)], lambda g, x: [
        g.add("logsumexp", [g.add("pad", [x], {"pad_width": (1, 0, 0, 0), "value": -np.inf})],
              {"axis": (1,), "keepdims": True})], False),
    ("einsum:views", [(4, 3), (3, 3), (3,)], lambda g, a, b, c: [
        g.add("einsum", [_t(g, a), b, c], {"subscripts": "ji,jj,j->i"}),
        g.add("einsum", [a, _sl(g, a, (None, None, -1))], {"subscripts": "ij,ij->ij"}),
        g.add("einsum", [c, c], {"subscripts": "i,i->"})], False),
    ("einsum:as_matmul", [(4, 3), (5, 3), (3,), (2, 4, 3)], lambda g, a, b, c, d: [
        g.add("einsum", [a, b], {"subscripts": "ij,kj->ik"}),
        g.add("einsum", [_sl(g, a, (None, None, -1)), c], {"subscripts": "ij,j->i"}),
        g.add("einsum", [c, _sl(g, c, (None, None, -1))], {"subscripts": "i,i->"}),
        g.add("einsum", [a, d], {"subscripts": "ij,bij->bi"}),
        g.add("einsum", [d, b], {"subscripts": "bij,kj->bik"})], False),
]

CASES = OP_CASES + EXTRA_CASES


def _input(g, i, s, dtype):
    if isinstance(s, Ints):
        return g.input(f"x{i}", s.shape, s.dtype).value
    return g.input(f"x{i}", s, dtype).value


def inputs(case, dtype):
    name, shapes, _, positive = case
    rng = np.random.default_rng(len(name))
    args = []
    for s in shapes:
        if isinstance(s, Ints):
            args.append(rng.integers(s.low, s.high, s.shape).astype(s.dtype))
        else:
            a = rng.standard_normal(s)
            args.append((np.abs(a) + 0.5 if positive else a).astype(dtype))
    return args


def forward_graph(case, dtype):
    name, shapes, fn, _ = case
    g = gg.Graph("case")
    xs = [_input(g, i, s, dtype) for i, s in enumerate(shapes)]
    for i, out in enumerate(fn(g, *xs)):
        g.output(f"out{i}", out)
    return g


def loss_graph(case, dtype):
    """The case's float outputs weighted by fixed random constants and summed (a scalar loss),
    or None when the case has no float output (comparisons only)."""
    name, shapes, fn, _ = case
    g = gg.Graph("case")
    xs = [_input(g, i, s, dtype) for i, s in enumerate(shapes)]
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


def cnn_graph():
    """A small CNN loss with the ops that have loop nests of their own (conv with groups, pooling,
    pad, take_along_axis of integer labels, logsumexp, einsum), and its gradient."""
    g = gg.Graph("cnn")
    x, w1, w2, w3 = (g.input(n, s).value for n, s in
                     [("x", (2, 3, 8, 8)), ("w1", (4, 3, 3, 3)), ("w2", (6, 2, 3, 3)), ("w3", (24, 5))])
    conv = {"stride": (1, 1), "padding": (1, 1, 1, 1), "dilation": (1, 1), "groups": 1}
    h = g.add("tanh", [g.add("conv", [g.add("sin", [x]), w1], conv)])
    p = g.add("max_pool", [h], {"kernel": (2, 2), "stride": (2, 2), "padding": (0, 0, 0, 0)})
    p = g.add("pad", [p], {"pad_width": (0, 0, 0, 0, 1, 0, 0, 1), "value": 0.0})
    c = g.add("conv", [p, w2], {"stride": (2, 1), "padding": (1, 0, 0, 1), "dilation": (1, 2), "groups": 2})
    a = g.add("avg_pool", [c], {"kernel": (2, 2), "stride": (1, 1), "padding": (0, 1, 1, 0)})
    flat = g.add("reshape", [a], {"shape": (2, 24)})
    logits = g.add("einsum", [flat, w3], {"subscripts": "ij,jk->ik"})
    labels = g.add("constant", [], {"value": np.array([[3], [1]], dtype=np.int64)})
    picked = g.add("take_along_axis", [logits, labels], {"axis": 1})
    lse = g.add("logsumexp", [logits], {"axis": (1,), "keepdims": True})
    loss = g.add("sum", [g.add("subtract", [lse, picked])], {"axis": None, "keepdims": False})
    g.output("loss", loss)
    return gg.grad(g, wrt=["x", "w1", "w2", "w3"], style="vjp")
