"""Every op, through both backends: the generated code agrees with the reference evaluator (and the
two backends with each other to 1e-12 in float64), keeps float32 as float32, and no op lacks a
spelling in any backend."""
import jax
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.codegen import BACKENDS
from graphgrad.graph import OPS

jax.config.update("jax_enable_x64", True)


POSITIVE = {"log", "sqrt", "log1p"}  # elementwise ops tested on positive inputs (every other one is derived)


def _unary(op, positive=False):
    return (op, [(3, 4)], lambda g, a: [g.add(op, [a])], positive)


def _const(g, value, dtype):
    return g.add("constant", [], {"value": np.asarray(value, dtype=dtype)})


def _reduce(op, axis, keepdims=False):
    return lambda g, a: [g.add(op, [a], {"axis": axis, "keepdims": keepdims})]


_CONV = {"stride": (2, 2), "padding": (1, 1, 0, 1), "dilation": (1, 2), "groups": 1}
_WINDOW = {"kernel": (3, 3), "stride": (2, 2), "padding": (1, 1, 0, 1), "dilation": (1, 2)}
_POOL = {"kernel": (2, 3), "stride": (2, 1), "padding": (1, 1, 0, 1)}


def _ints(g, values):
    return g.add("constant", [], {"value": np.asarray(values, dtype=np.int64)})


def _where(g, a, b):
    cond = g.add("greater", [a, _const(g, 0.0, a.dtype)])
    return [g.add("where", [cond, a, b])]


def _index(g, a, index):
    return [g.add("slice", [a], {"index": index})]


# (case id, input shapes, build(graph, *inputs) -> output nodes, inputs positive)
CASES = [
    *(_unary(op, op in POSITIVE) for op, d in OPS.items() if d.category == "unary" and not d.attrs),
    ("power", [(3, 4)], lambda g, a: [g.add("power", [a], {"exponent": 3.0})], False),
    ("power:neg", [(3, 4)], lambda g, a: [g.add("power", [a], {"exponent": -1.5})], True),
    *((op, [(3, 4), (4,) if d.category == "binary" else (3, 1)],
       lambda g, a, b, op=op: [g.add(op, [a, b])], False)
      for op, d in OPS.items() if d.category in ("binary", "compare")),
    ("equal:ties", [(3, 4)], lambda g, a: [g.add("equal", [a, a])], False),
    ("cast", [(3, 4)], lambda g, a: [g.add("cast", [a], {"dtype": "float32" if a.dtype == "float64"
                                                             else "float64"})], False),
    ("cast:bool", [(3,)], lambda g, a: [g.add("cast", [g.add("less", [a, a])], {"dtype": a.dtype})],
     False),
    ("where", [(3, 4), (4,)], _where, False),
    ("constant:scalar", [(3,)], lambda g, a: [g.add("multiply", [_const(g, -2.5, a.dtype), a]),
                                              _const(g, 0.1, a.dtype)], False),
    ("constant:array", [(2, 3)], lambda g, a: [g.add("add", [a, _const(g, [1.5, -0.25, 3.0], a.dtype)]),
                                               _const(g, [[1.0, 2.0]], a.dtype)], False),
    ("constant:table", [(5, 6)], lambda g, a: [
        g.add("multiply", [a, _const(g, np.arange(30.0).reshape(5, 6) / 7, a.dtype)])], False),
    ("constant:special", [(3,)], lambda g, a: [
        g.add("maximum", [a, _const(g, [-np.inf, np.nan, 1e-300], a.dtype)]),
        g.add("minimum", [a, _const(g, np.inf, a.dtype)])], False),
    ("eye", [(3, 3)], lambda g, a: [g.add("add", [a, g.add("eye", [], {"n": 3, "dtype": a.dtype})])],
     False),
    ("sum", [(2, 3, 4)], _reduce("sum", None), False),
    ("sum:axis", [(2, 3, 4)], _reduce("sum", (1,)), False),
    ("sum:keep", [(2, 3, 4)], _reduce("sum", (0, 2), True), False),
    ("mean", [(2, 3, 4)], _reduce("mean", (0, 2)), False),
    ("max", [(2, 3, 4)], _reduce("max", None, True), False),
    ("max:axis", [(2, 3, 4)], _reduce("max", (2,)), False),
    ("sum_to:lead", [(2, 3, 4)], lambda g, a: [g.add("sum_to", [a], {"shape": (3, 4)})], False),
    ("sum_to:ones", [(2, 3, 4)], lambda g, a: [g.add("sum_to", [a], {"shape": (2, 1, 4)})], False),
    ("sum_to:both", [(2, 3, 4)], lambda g, a: [g.add("sum_to", [a], {"shape": (3, 1)})], False),
    ("sum_to:same", [(2, 3)], lambda g, a: [g.add("sum_to", [a], {"shape": (2, 3)})], False),
    ("reshape", [(3, 4)], lambda g, a: [g.add("reshape", [a], {"shape": (2, 6)}),
                                        g.add("reshape", [a], {"shape": (12,)})], False),
    ("reshape:scalar", [(1,)], lambda g, a: [g.add("reshape", [a], {"shape": ()})], False),
    ("transpose", [(3, 4)], lambda g, a: [g.add("transpose", [a], {"axes": None})], False),
    ("transpose:used", [(3, 4), (3, 2)], lambda g, a, b: [
        g.add("matmul", [g.add("transpose", [a], {"axes": None}), b])], False),
    ("transpose:3d", [(2, 3, 4)], lambda g, a: [g.add("transpose", [a], {"axes": (2, 0, 1)})], False),
    ("transpose:1d", [(3,)], lambda g, a: [g.add("exp", [g.add("transpose", [a], {"axes": None})])],
     False),
    ("broadcast_to", [(3, 1)], lambda g, a: [g.add("broadcast_to", [a], {"shape": (2, 3, 4)})], False),
    ("concatenate", [(2, 3), (2, 1), (2, 2)], lambda g, *xs: [g.add("concatenate", xs, {"axis": 1})],
     False),
    ("concatenate:one", [(2, 3)], lambda g, a: [g.add("concatenate", [a], {"axis": 0})], False),
    ("slice", [(5, 4)], lambda g, a: _index(g, a, ((1, 3, 1), (None, None, -1))), False),
    ("slice:int", [(5, 4)], lambda g, a: _index(g, a, (0,)), False),
    ("slice:step", [(5, 4)], lambda g, a: _index(g, a, ((None, None, 2), -1)), False),
    ("slice:all_ints", [(5, 4)], lambda g, a: _index(g, a, (2, 3)), False),
    ("unslice", [(2, 4)], lambda g, a: [g.add("unslice", [a], {"index": ((1, 3, 1),), "shape": (5, 4)})],
     False),
    ("unslice:step", [(3,)], lambda g, a: [g.add("unslice", [a], {"index": (1, (None, None, -2)),
                                                                   "shape": (2, 5)})], False),
    ("softmax", [(3, 4)], lambda g, a: [g.add("softmax", [a], {"axis": 1})], False),
    ("log_softmax", [(3, 4)], lambda g, a: [g.add("log_softmax", [a], {"axis": 0})], False),
    ("matmul", [(3, 4), (4, 2)], lambda g, a, b: [g.add("matmul", [a, b])], False),
    ("matmul:vec", [(4,), (4, 2)], lambda g, a, b: [g.add("matmul", [a, b])], False),
    ("matmul:dot", [(4,), (4,)], lambda g, a, b: [g.add("matmul", [a, b])], False),
    ("matmul:batched", [(2, 3, 4), (4, 5)], lambda g, a, b: [g.add("matmul", [a, b])], False),
    ("take", [(3, 4)], lambda g, a: [g.add("take", [a, _ints(g, [[2, 0], [2, 2]])], {"axis": 0}),
                                     g.add("take", [a, _ints(g, [5, -1])], {"axis": None})], False),
    ("take_along_axis", [(3, 4)], lambda g, a: [g.add("take_along_axis", [a, _ints(g, [[1], [3], [0]])],
                                                      {"axis": 1})], False),
    ("scatter_add", [(2, 2, 4)], lambda g, a: [g.add("scatter_add", [a, _ints(g, [[2, 0], [2, 2]])],
                                                     {"axis": 0, "shape": (3, 4)})], False),
    ("scatter_add:flat", [(2,)], lambda g, a: [g.add("scatter_add", [a, _ints(g, [5, 5])],
                                                     {"axis": None, "shape": (3, 4)})], False),
    ("scatter_along_axis", [(3, 1)], lambda g, a: [g.add("scatter_along_axis", [a, _ints(g, [[1], [3], [1]])],
                                                         {"axis": 1, "shape": (3, 4)})], False),
    ("einsum", [(2, 3, 4), (2, 4, 5)], lambda g, a, b: [g.add("einsum", [a, b], {"subscripts": "bij,bjk->bik"}),
                                                        g.add("einsum", [a], {"subscripts": "bij->j"})], False),
    ("logsumexp", [(2, 3, 4)], _reduce("logsumexp", (1,), True), False),
    ("logsumexp:all", [(2, 3, 4)], _reduce("logsumexp", None), False),
    ("conv", [(2, 3, 7, 6), (4, 3, 3, 3)], lambda g, x, w: [g.add("conv", [x, w], _CONV)], False),
    ("conv:groups", [(1, 4, 5, 5), (6, 2, 2, 3)], lambda g, x, w: [g.add("conv", [x, w], {
        **_CONV, "groups": 2, "padding": (0, 1, 1, 0), "stride": (1, 1)})], False),
    ("conv:1d", [(2, 3, 8), (4, 3, 3)], lambda g, x, w: [g.add("conv", [x, w], {
        "stride": (2,), "padding": (1, 1), "dilation": (1,), "groups": 1})], False),
    ("conv_input_grad", [(2, 4, 4, 2), (4, 3, 3, 3)], lambda g, gy, w: [
        g.add("conv_input_grad", [gy, w], {**_CONV, "shape": (2, 3, 7, 6)})], False),
    ("conv_filter_grad", [(2, 3, 7, 6), (2, 4, 4, 2)], lambda g, x, gy: [
        g.add("conv_filter_grad", [x, gy], {**_CONV, "shape": (4, 3, 3, 3)})], False),
    ("im2col", [(2, 3, 7, 6)], lambda g, x: [g.add("im2col", [x], _WINDOW)], False),
    ("col2im", [(2, 3, 4, 2, 3, 3)], lambda g, p: [g.add("col2im", [p], {**_WINDOW, "shape": (2, 3, 7, 6)})],
     False),
    ("max_pool", [(2, 3, 5, 6)], lambda g, x: [g.add("max_pool", [x], _POOL)], False),
    ("avg_pool", [(2, 3, 5, 6)], lambda g, x: [g.add("avg_pool", [x], _POOL)], False),
    ("pad", [(2, 3)], lambda g, x: [g.add("pad", [x], {"pad_width": (1, 0, 2, 3), "value": -np.inf}),
                                    g.add("pad", [x], {"pad_width": (0, 0, 1, 1), "value": 0.5})], False),
    ("kron", [(2, 3), (3, 2)], lambda g, a, b: [g.add("kron", [a, b])], False),
    ("diag", [(4,)], lambda g, a: [g.add("diag", [a])], False),
]
CASE_IDS = [c[0] for c in CASES]


def build(case, dtype):
    """The case's graph and random inputs for it."""
    name, shapes, fn, positive = case
    g = gg.Graph("case")
    xs = [g.input(f"x{i}", s, dtype).value for i, s in enumerate(shapes)]
    for i, out in enumerate(fn(g, *xs)):
        g.output(f"out{i}", out)
    rng = np.random.default_rng(len(name))
    args = [rng.standard_normal(s) for s in shapes]
    return g, [(np.abs(a) + 0.5 if positive else a).astype(dtype) for a in args]


def as_tuple(result):
    return result if isinstance(result, tuple) else (result,)


def check_close(got, want, rtol):
    for gv, wv in zip(as_tuple(got), as_tuple(want)):
        gv, wv = np.asarray(gv), np.asarray(wv)
        assert gv.shape == wv.shape
        if wv.dtype == bool:
            np.testing.assert_array_equal(gv, wv)
        else:  # absolute error relative to the values' scale: sums of products cancel
            scale = float(np.max(np.abs(wv[np.isfinite(wv)]), initial=1.0))
            np.testing.assert_allclose(gv, wv, rtol=rtol, atol=rtol * scale * (10 if wv.dtype == np.float32 else 1e-3))


def test_every_op_has_a_case_and_every_backend_a_template():
    covered = {node.op for case in CASES for node in build(case, "float64")[0].nodes}
    assert sorted(set(OPS) - covered) == []
    for name, backend in BACKENDS.items():
        missing = sorted(op for op in OPS if op not in backend.templates)
        assert missing == [], f"backend {name} lacks {missing}"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_backends_agree_with_the_evaluator(case, dtype):
    g, args = build(case, dtype)
    want = as_tuple(gg.evaluate(g, *args))
    got_np = as_tuple(gg.compile(g, "numpy", optimize=False)(*args))
    got_jax = as_tuple(gg.compile(g, "jax", optimize=False, jit=False)(*args))
    rtol = 1e-12 if dtype == "float64" else 2e-6
    check_close(got_np, want, rtol)
    check_close(got_jax, want, rtol)
    check_close(got_np, got_jax, rtol)
    for v, w in zip(got_np, want):  # the numpy code keeps the graph's dtypes (float32 stays float32)
        assert np.asarray(v).dtype == w.dtype
    for v, w in zip(got_jax, want):
        assert np.asarray(v).dtype == w.dtype


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in ("softmax", "matmul:batched", "unslice")],
                         ids=["softmax", "matmul:batched", "unslice"])
def test_jitted_jax_agrees(case):
    g, args = build(case, "float64")
    check_close(gg.compile(g, "jax", optimize=False)(*args), gg.evaluate(g, *args), 1e-12)
