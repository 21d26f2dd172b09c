"""Every op through the C backend: forward, both gradient styles after gg.optimize, and the
explicit Jacobian-style gradient, in float64 and float32, equal the numpy backend (rtol 1e-12 and
1e-5) and keep their dtypes. All cases are one C file, built once for this module."""
import subprocess

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.codegen.c import C_OPS, UNSPELLABLE, emit_c, emit_module, load_module
from graphgrad.codegen.c.build import find_compiler
from graphgrad.graph import OPS

from cases import CASES, inputs, variants
from test_ops import as_tuple, check_close

# Ops that cannot be written in C: none today. An op listed here must raise one GraphError naming
# it; every other op of the op table must have a C spelling (the first test names any that lacks one).
UNSPELLABLE_OPS = []
DTYPES = ["float64", "float32"]
CASE_IDS = [c[0] for c in CASES]


def _numpy_backend(g, x):
    """The numpy backend's outputs; the reference evaluator's where that backend writes a
    zero-size constant as np.array([]) and loses its shape (its bug, reported to its owner)."""
    try:
        want = as_tuple(gg.compile(g, "numpy", optimize=False)(*x))
    except ValueError:
        want = None
    if want is None or [np.shape(w) for w in want] != [s.shape for s in g.outputs.values()]:
        assert any(n.op == "constant" and 0 in n.shape for n in g.nodes)
        want = as_tuple(gg.evaluate(g, *x))
    return want


def _fname(case, dtype, variant):
    base = "".join(ch if ch.isalnum() else "_" for ch in f"{case[0]}_{variant}")
    return f"case_{base}_{dtype[-2:]}"


@pytest.fixture(scope="module")
def compiled():
    graphs, args = {}, {}
    for dtype in DTYPES:
        for case in CASES:
            for variant, g in variants(case, dtype):
                name = _fname(case, dtype, variant)
                graphs[name], args[name] = g, inputs(case, dtype)
    module = emit_module(graphs, module="op_cases")
    return graphs, args, load_module(module), module


def test_every_op_has_a_c_spelling_and_a_case():
    missing = sorted(op for op in OPS if op not in C_OPS and op not in UNSPELLABLE_OPS)
    assert missing == [], f"the C backend has no spelling for {missing}"
    assert sorted(UNSPELLABLE) == sorted(UNSPELLABLE_OPS)
    covered = {node.op for dtype in DTYPES for case in CASES for _, g in variants(case, dtype)
               for node in g.nodes}
    assert sorted(set(OPS) - covered - set(UNSPELLABLE_OPS)) == []


def test_an_op_without_a_c_spelling_is_one_clear_error(monkeypatch):
    g = gg.Graph("jac")
    a, b = g.input("a", (2, 2)), g.input("b", (2, 2))
    g.output("k", g.add("kron", [a.value, b.value]))
    monkeypatch.delitem(C_OPS, "kron")
    with pytest.raises(gg.GraphError, match=r"no spelling for op 'kron'"):
        emit_c(g)
    for op in UNSPELLABLE_OPS:  # pragma: no cover - none today
        raise AssertionError(f"write a case showing that {op} raises GraphError")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_c_equals_numpy(compiled, case, dtype):
    graphs, args, fns, _ = compiled
    rtol = 1e-12 if dtype == "float64" else 1e-5
    for variant, _ in variants(case, dtype):
        name = _fname(case, dtype, variant)
        g, x = graphs[name], args[name]
        with np.errstate(all="ignore"):
            want = _numpy_backend(g, x)
        got = as_tuple(fns[name](*x))
        assert len(got) == len(want)
        check_close(got, want, rtol)
        for v, w in zip(got, want):
            assert np.asarray(v).dtype == np.asarray(w).dtype, (variant, np.asarray(v).dtype)


@pytest.mark.parametrize("flags", [[], ["-DGRAPHGRAD_CBLAS"]], ids=["loops", "cblas"])
def test_every_case_compiles_warning_free(compiled, tmp_path, flags):
    module = compiled[3]
    (tmp_path / "op_cases.c").write_text(module.source)
    (tmp_path / "op_cases.h").write_text(module.header)
    (tmp_path / "use.c").write_text('#include "op_cases.h"\n')
    done = subprocess.run([*find_compiler(), "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1",
                           *flags, "-c", "op_cases.c", "use.c"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr[:3000]


@pytest.mark.parametrize("itype", ["int64", "int32"])
def test_out_of_range_indices_wrap_once_then_clamp(itype):
    """numpy raises for these indices and jax clamps its gathers; the C code wraps a negative index
    once and clamps what is still out of range, in gathers and scatters alike (never out of bounds)."""
    g = gg.Graph("oob")
    a, up, idx = g.input("a", (5, 3)), g.input("up", (4, 3)), g.input("idx", (4,), itype)
    g.output("rows", g.add("take", [a.value, idx.value], {"axis": 0}))
    g.output("flat", g.add("take", [a.value, idx.value], {"axis": None}))
    g.output("along", g.add("take_along_axis", [a.value, g.add("reshape", [idx.value], {"shape": (4, 1)})],
                            {"axis": 0}))
    g.output("spread", g.add("scatter_add", [up.value, idx.value], {"axis": 0, "shape": (5, 3)}))
    fn = gg.compile(g, backend="c", optimize=False)
    rng = np.random.default_rng(0)
    x, u = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    i = np.array([7, -1, -9, 2], dtype=itype)
    rows, flat, along, spread = fn(x, u, i)
    q = np.array([4, 4, 0, 2])
    np.testing.assert_array_equal(rows, x[q])
    np.testing.assert_array_equal(flat, x.reshape(-1)[[7, 14, 6, 2]])
    np.testing.assert_array_equal(along, x[q])  # the index broadcast along axis 1
    want = np.zeros((5, 3))
    np.add.at(want, q, u)
    np.testing.assert_array_equal(spread, want)
