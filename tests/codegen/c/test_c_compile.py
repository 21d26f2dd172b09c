"""gg.compile / gg.export / gg.codegen.emit with backend="c": the same checked callable as the
other backends, a cached build (a second compile runs no compiler), files that stand alone, and
one clear GraphError for each way it can fail."""
import threading

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.codegen.c import build, emit_c

from codegen_models import two_layer_net


@pytest.fixture(scope="module")
def seed():
    g = gg.grad(two_layer_net(n=8, d_in=20, h=6, d_out=3), wrt=["w1", "w2"])
    rng = np.random.default_rng(1)
    args = [rng.standard_normal(s.shape) for s in g.inputs.values()]
    return g, args


def test_compile_gives_the_checked_callable_of_the_other_backends(seed):
    g, args = seed
    f = gg.compile(g, backend="c")
    assert isinstance(f, gg.codegen.CompiledFunction) and f.backend == "c"
    assert f.input_names == ["x", "y", "w1", "w2"] and f.output_names == ["out", "grad_w1", "grad_w2"]
    assert "void two_layer_net(const double *x" in f.source and "#ifndef GRAPHGRAD_" in f.header
    want = gg.compile(g)(*args)
    got = f(*args)
    assert isinstance(got, tuple) and np.ndim(got[0]) == 0 and type(got[0]) is type(want[0])
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)
        assert a.dtype == b.dtype
    for a, b in zip(f(**dict(zip(f.input_names, args))), want):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    with pytest.raises(ValueError, match=r"input 'x': expected shape \(8, 20\)"):
        f(args[0][:2], *args[1:])
    with pytest.raises(ValueError, match="input 'w1'"):
        f(args[0], args[1], args[2].astype("float32"), args[3])
    transposed = np.asfortranarray(args[0])  # any memory layout in, the same numbers out
    np.testing.assert_allclose(f(transposed, *args[1:])[1], want[1], rtol=1e-12)


def test_a_second_compile_runs_no_compiler(seed):
    g, _ = seed
    gg.compile(g, backend="c")
    runs = build.STATS["compiler_runs"]
    f = gg.compile(g, backend="c")
    assert build.STATS["compiler_runs"] == runs
    assert f(*seed[1])[0] is not None
    g2 = gg.grad(two_layer_net(n=8, d_in=20, h=7, d_out=3), wrt=["w1"])
    gg.compile(g2, backend="c")
    assert build.STATS["compiler_runs"] == runs + 1


def test_plain_loops_without_cblas_give_the_same_numbers(seed, monkeypatch):
    g, args = seed
    monkeypatch.setenv("GRAPHGRAD_CBLAS", "0")
    assert build.blas_flags() == []
    loops = gg.compile(g, backend="c")
    for a, b in zip(loops(*args), gg.compile(g)(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_emit_and_export(seed, tmp_path):
    g, _ = seed
    opt = gg.optimize(g)
    text = gg.codegen.emit(opt, backend="c")
    assert text == emit_c(opt).source
    path = gg.export(g, tmp_path / "out" / "model.c", backend="c", name="seed_step")
    assert path == tmp_path / "out" / "model.c"
    assert path.read_text() == gg.codegen.c.emit_module({"seed_step": opt}, module="model").source
    header = path.with_suffix(".h").read_text()
    assert "void seed_step(const double *x, const double *y, const double *w1, const double *w2," in header
    assert "SEED_STEP_WORKSPACE_BYTES" in header and "float64, shape (8, 20)" in header
    with pytest.raises(gg.GraphError, match=r"\.c file"):
        gg.export(g, tmp_path / "model.py", backend="c")


def test_float32_and_bool_outputs():
    g = gg.Graph("mixed32")
    x = g.input("x", (4, 3), "float32")
    with g:
        g.output("positive", x > 0)
        g.output("y", gg.softmax(x, axis=1) * 2.0)
    f = gg.compile(g, backend="c")
    a = np.random.default_rng(2).standard_normal((4, 3)).astype("float32")
    pos, y = f(a)
    assert pos.dtype == np.bool_ and y.dtype == np.float32
    np.testing.assert_array_equal(pos, a > 0)
    np.testing.assert_allclose(y, gg.compile(g)(a)[1], rtol=1e-5)


def test_threads_each_get_their_own_workspace(seed):
    g, args = seed
    f = gg.compile(g, backend="c")
    rng = np.random.default_rng(5)
    batches = [[rng.standard_normal(a.shape) for a in args] for _ in range(4)]
    want = [gg.compile(g)(*b) for b in batches]
    got = [None] * 4

    def work(i):
        for _ in range(50):
            got[i] = f(*batches[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g_, w in zip(got, want):
        for a, b in zip(g_, w):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_the_memory_budget_is_checked_before_anything_is_built():
    g = gg.grad(two_layer_net(), wrt=["w1", "w2"])  # the 5 GB Kronecker Jacobian, unrewritten
    runs = build.STATS["compiler_runs"]
    with pytest.raises(gg.MemoryBudgetError, match="kron"):
        gg.compile(g, backend="c", optimize=False)
    assert build.STATS["compiler_runs"] == runs


def test_no_compiler_is_one_clear_error(seed, monkeypatch, tmp_path):
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(gg.GraphError, match="needs a C compiler on PATH"):
        gg.compile(gg.grad(two_layer_net(n=3, d_in=4, h=5, d_out=2)), backend="c")


def test_a_compiler_failure_is_one_clear_error(seed, monkeypatch):
    monkeypatch.setenv("GRAPHGRAD_CFLAGS", "-fno-such-flag-for-graphgrad")
    with pytest.raises(gg.GraphError, match="C compiler rejected"):
        gg.compile(seed[0], backend="c")


def test_long_schedules_are_written_in_parts():
    from bench import models

    graph = models.deep_chain(layers=40, width=4, batch=2, name="chain")
    g = gg.optimize(gg.grad(graph))
    f = gg.compile(g, backend="c", optimize=False)
    assert "static void chain_part2(" in f.source and "    chain_part1(" in f.source
    args = models.random_inputs(graph)
    for a, b in zip(f(*args), gg.compile(g, optimize=False)(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)


def test_more_arguments_than_ctypes_passes():
    g = gg.Graph("wide")
    xs = [g.input(f"x{i}", (2,)) for i in range(600)]
    with g:
        for i in range(0, 600, 1):
            g.output(f"y{i}", xs[i] * float(i))
    f = gg.compile(g, backend="c")
    assert "void wide_packed(void *const *args)" in f.source and "wide_packed" in f.header
    args = [np.full(2, i, dtype=float) for i in range(600)]
    out = f(*args)
    assert len(out) == 600 and out[7].tolist() == [49.0, 49.0]


def test_outputs_the_caller_holds_are_never_overwritten():
    g = gg.Graph("keep")
    x = g.input("x", (3,))
    with g:
        g.output("y", gg.exp(x))
        g.output("s", gg.sum(x))
    f = gg.compile(g, backend="c")
    first, _ = f(np.zeros(3))
    view = f(np.ones(3))[0][:2]
    for k in range(2, 6):
        y, s = f(np.full(3, float(k)))
        assert s == 3 * k and np.allclose(y, np.exp(k))
    assert first.tolist() == [1.0] * 3 and np.allclose(view, np.e)
    out = None
    for k in range(4):  # the usual loop: the last result is held while the next is made
        prev, out = out, f(np.full(3, float(k)))
        assert np.allclose(out[0], np.exp(k)) and (prev is None or np.allclose(prev[0], np.exp(k - 1)))


def test_tanh_is_within_three_ulp_of_numpys_everywhere():
    g = gg.Graph("tanh_only")
    x = g.input("x", (200_003,))
    with g:
        g.output("y", gg.tanh(x))
    f = gg.compile(g, backend="c")
    rng = np.random.default_rng(0)
    pts = np.concatenate([rng.uniform(-30, 30, 100_000), rng.uniform(-1e-3, 1e-3, 50_000),
                          rng.standard_normal(49_995),
                          [0.0, -0.0, np.inf, -np.inf, np.nan, 22.0, -22.0, 5e-324]])
    y, want = f(pts), np.tanh(pts)
    assert np.array_equal(np.isnan(y), np.isnan(want))
    ok = ~np.isnan(want)
    assert np.all(np.abs(y[ok] - want[ok]) <= 3 * np.spacing(np.abs(want[ok])))
    assert np.signbit(y[-7]) and y[-6] == 1.0 and y[-5] == -1.0 and y[-1] == 5e-324


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sums_over_leading_rows_add_four_rows_at_a_time(dtype):
    g = gg.Graph("bias_grads")
    x, s = g.input("x", (66, 5, 3), dtype), g.input("s", (6, 4), dtype)
    with g:
        e = x * 2.0
        g.output("b", gg.sum(e, axis=0))          # 66 rows: 16 steps of four, then 2 rows
        g.output("m", gg.mean(x, axis=(0, 1)))    # 330 rows of 3 after coalescing
        g.output("few", gg.sum(s, axis=0))        # 6 rows: too few, one at a time
        long = gg.exp(gg.sin(x) * x + x * x) * gg.cos(x) * gg.exp(x * x * x)
        g.output("sq", gg.sum(long, axis=0))      # a local for part of it: one row at a time
    f = gg.compile(g, backend="c", optimize=False)
    assert "b[j] += (x[i*15 + j] * 2.0 + x[(i + 1)*15 + j] * 2.0) + (x[(i + 2)*15 + j] * 2.0 + " \
           "x[(i + 3)*15 + j] * 2.0);" in f.source.replace("2.0f", "2.0")
    assert "for (long i = 64; i < 66; ++i) {" in f.source and "i < 328; i += 4)" in f.source
    assert "few[j] += s[i*4 + j];" in f.source and "sq[j] += t * gg_exp" in f.source
    rng = np.random.default_rng(0)
    args = [rng.standard_normal((66, 5, 3)).astype(dtype), rng.standard_normal((6, 4)).astype(dtype)]
    tol = 1e-5 if dtype == "float32" else 1e-12
    for got, want in zip(f(*args), gg.compile(g, optimize=False)(*args)):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_a_helper_call_used_twice_is_computed_once():
    g = gg.Graph("twice")
    a, b = g.input("a", (300,)), g.input("b", (300,))
    with g:
        t, m = gg.tanh(a), gg.maximum(a, b)
        g.output("y", t * t + m * m + gg.exp(b))
    f = gg.compile(g, backend="c", optimize=False)
    body = f.source[f.source.index("_workspace_bytes(void)"):]
    assert body.count("gg_tanh(a[i])") == 1 and body.count("gg_exp(b[i])") == 1
    assert "const double t = gg_tanh(a[i]);" in body and "t * t" in body
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(300) for _ in range(2)]
    np.testing.assert_allclose(f(*args)[0], gg.compile(g, optimize=False)(*args)[0], rtol=1e-12)


def test_narrow_concatenations_share_one_loop_and_long_sums_use_partial_sums():
    g = gg.Graph("cc")
    x, z, w = g.input("x", (50, 1)), g.input("z", (50, 3)), g.input("w", (2, 5, 2))
    with g:
        a = x * 2.0
        g.output("y", gg.concatenate([gg.constant(np.ones((50, 1))), a, gg.exp(x), z, a + 1.0], axis=1))
        g.output("v", gg.concatenate([w, gg.tanh(w)], axis=2))
        g.output("s", gg.sum(z * z))
    f = gg.compile(g, backend="c")
    assert "y[i*7 + 2] = gg_exp(x[i]);" in f.source and "part[lane] +=" in f.source
    assert f.module.polynomial  # built with the widest vectors where the CPU has them
    rng = np.random.default_rng(0)
    args = [rng.standard_normal((50, 1)), rng.standard_normal((50, 3)), rng.standard_normal((2, 5, 2))]
    for a_, b in zip(f(*args), gg.compile(g)(*args)):
        np.testing.assert_allclose(a_, b, rtol=1e-12)


def test_in_process_builds_are_host_tuned_unless_turned_off(monkeypatch):
    assert build.host_flags() == ["-march=native"]
    wide = ["-mprefer-vector-width=512"] if "avx512f" in build._cpu_flags() else []
    assert build.host_flags(polynomial=True) == ["-march=native", *wide]
    monkeypatch.setenv("GRAPHGRAD_HOST_TUNED", "0")
    assert build.host_flags() == [] and build.host_flags(polynomial=True) == []
    g = gg.grad(two_layer_net(n=3, d_in=4, h=5, d_out=2))
    args = [np.ones(s.shape) for s in g.inputs.values()]
    for a, b in zip(gg.compile(g, backend="c")(*args), gg.compile(g)(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_only_modules_that_evaluate_polynomials_are_marked_for_wide_vectors():
    from graphgrad.codegen.c import emit_c

    g = gg.Graph("plain")
    x = g.input("x", (4,))
    with g:
        g.output("y", gg.relu(x) * 2.0)
    assert not emit_c(g).polynomial
    with g:
        g.output("z", gg.log(x))
    assert emit_c(g).polynomial
