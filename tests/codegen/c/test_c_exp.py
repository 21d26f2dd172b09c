"""The C backend's own `gg_exp` (a branch-free exp that loops vectorize): within 1 ulp of numpy's
exp in float64 (of the correctly rounded value in float32), over the whole range and at its edges (overflow to inf, underflow
through the subnormals to 0, inf, -inf, NaN), and used by exp, softmax, log_softmax and
logsumexp without changing their results; `gg_tanh` (the same polynomial) within 3 ulp of
numpy's tanh on a dense sweep and down through the subnormals."""
import re
import subprocess

import numpy as np
import pytest

import graphgrad as gg

N = 4096


def _exp_of(dtype):
    g = gg.Graph(f"exp_{dtype}")
    x = g.input("x", (N,), dtype)
    with g:
        g.output("y", gg.exp(x))
    f = gg.compile(g, backend="c")
    body = f.source[f.source.index("_workspace_bytes(void)"):]
    assert "gg_exp" in body and not re.search(r"\bexpf?\(", body)
    return f


def _values(dtype):
    """Random values over the whole finite range of exp, near 0, and its edges."""
    rng = np.random.default_rng(7)
    fi = np.finfo(dtype)
    top = float(np.log(fi.max))  # exp overflows above this
    bottom = float(np.log(fi.smallest_subnormal))  # and is 0 below about this
    edges = [np.inf, -np.inf, np.nan, 0.0, -0.0, fi.tiny, -fi.tiny, 1e-30, -1e-30, top, -top,
             np.nextafter(top, np.inf), top + 1, bottom, bottom - 0.5, bottom - 1, 2 * bottom,
             float(np.log(fi.tiny)), float(np.log(fi.tiny)) - 1, 1000.0, -1000.0, 1.0, -1.0, 0.5]
    parts = [edges, rng.uniform(bottom - 2, top + 2, N // 4), rng.uniform(-1, 1, N // 4),
             rng.uniform(bottom - 1, np.log(fi.tiny) + 1, N // 4)]  # results subnormal
    x = np.concatenate(parts)[:N]
    return np.concatenate([x, rng.standard_normal(N - len(x)) * 20]).astype(dtype)


def _ulps(got, want):
    """|got - want| in units of the last place of want (of the smallest subnormal below it)."""
    spacing = np.spacing(np.abs(want))
    return np.abs(got.astype(np.float64) - want.astype(np.float64)) / spacing.astype(np.float64)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gg_exp_is_within_one_ulp_everywhere(dtype):
    x = _values(dtype)
    got = _exp_of(dtype)(x)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        want = np.exp(x)
        exact = np.exp(x.astype(np.float64)).astype(dtype)  # float32: correctly rounded
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
    np.testing.assert_array_equal(got == 0, want == 0)  # underflows where numpy's does
    assert np.signbit(got[~np.isnan(got)]).sum() == 0
    if dtype == "float64":
        assert _ulps(got[finite], want[finite]).max() <= 1.0
    else:  # via double, so correctly rounded here; numpy's own float32 exp is up to 2 ulp off
        assert _ulps(got[finite], exact[finite]).max() <= 1.0
        assert _ulps(got[finite], want[finite]).max() <= 2.0


def test_gg_exp_edges_are_libm_s():
    x = np.zeros(N)
    x[:8] = [np.inf, -np.inf, np.nan, 709.78, 709.79, -745.13, -745.14, -1e-320]
    got = _exp_of("float64")(x)[:8]
    assert got[0] == np.inf and got[1] == 0.0 and np.isnan(got[2])
    assert got[3] == np.exp(709.78) and got[4] == np.inf
    assert got[5] == np.finfo(np.float64).smallest_subnormal and got[6] == 0.0 and got[7] == 1.0


def test_gg_tanh_is_within_three_ulp_of_numpy_on_a_dense_sweep():
    sub = np.finfo(np.float64).smallest_subnormal
    tiny = np.geomspace(sub, 1.0, 100_000)
    x = np.concatenate([np.linspace(-25, 25, 1_000_001), tiny, -tiny,
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 22.0, -22.0, 1e300, -1e300]])
    g = gg.Graph("tanh_sweep")
    xin = g.input("x", x.shape)
    with g:
        g.output("y", gg.tanh(xin))
    f = gg.compile(g, backend="c")
    assert "gg_tanh" in f.source
    got, want = f(x), np.tanh(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    assert _ulps(got[ok], want[ok]).max() <= 3.0
    np.testing.assert_array_equal(np.signbit(got[ok]), np.signbit(want[ok]))  # -0.0 stays -0.0
    assert (got[-9:-5] == [0.0, -0.0, 1.0, -1.0]).all() and (np.abs(got[-4:]) == 1.0).all()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_softmax_kernels_use_gg_exp_and_agree_with_numpy(dtype):
    g = gg.Graph(f"soft_{dtype}")
    x = g.input("x", (16, 10), dtype)
    with g:
        g.output("p", gg.softmax(x, axis=1))
        g.output("lp", gg.log_softmax(x, axis=1))
        g.output("lse", gg.logsumexp(x, axis=1))
        g.output("p0", gg.softmax(x, axis=0))  # rows strided: the exps still one flat loop
        g.output("lp0", gg.log_softmax(x, axis=0))
    f = gg.compile(g, backend="c")
    assert f.source.count("i < 160; ++i") == 4  # contiguous outputs: all the exps in one loop
    body = f.source[f.source.index("_workspace_bytes(void)"):]
    assert "gg_exp" in body and not re.search(r"\bexpf?\(", body)
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((16, 10)) * 30).astype(dtype)
    x[0, :3] = [700.0, -700.0, 0.0] if dtype == "float64" else [80.0, -80.0, 0.0]
    x[1, 0] = -np.inf
    rtol = 1e-12 if dtype == "float64" else 1e-5
    for got, want in zip(f(x), gg.compile(g)(x)):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-300 if dtype == "float64" else 1e-6)


@pytest.mark.parametrize("flags", [[], ["-march=native"], ["-DGRAPHGRAD_CBLAS"]])
def test_float32_helpers_alone_compile_strictly(tmp_path, flags):
    """gg_expf and gg_tanhf need gg_exp, gg_tanh and string.h's memcpy though no float64 helper
    is used; with fma hardware (-march=native) GG_FMA is C99's fma."""
    from graphgrad.codegen.c import build

    g = gg.Graph("f32")
    x = g.input("x", (8,), "float32")
    with g:
        g.output("y", gg.tanh(x) + gg.exp(x))
        g.output("z", gg.log_softmax(gg.reshape(x, (2, 4)), axis=1))
    path = gg.export(g, tmp_path / "f32.c", backend="c")
    assert "#include <string.h>" in path.read_text()
    done = subprocess.run([*build.find_compiler(), "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                           "-O2", *flags, "-c", str(path), "-o", str(tmp_path / "f32.o")],
                          capture_output=True, text=True)
    if done.returncode and flags == ["-march=native"] and "march" in done.stderr:
        pytest.skip("this compiler knows no -march=native")
    assert done.returncode == 0, done.stderr
