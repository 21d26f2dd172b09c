"""In-process C builds call numpy's own bundled OpenBLAS (numpy_blas.py): one BLAS in the process,
the same numbers as through the system's libopenblas or plain loops, and the settings that choose."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.codegen.c import build
from graphgrad.codegen.c.numpy_blas import numpy_blas

BUNDLED = numpy_blas()
needs_bundled = pytest.mark.skipif(BUNDLED is None, reason="this numpy bundles no OpenBLAS")


def _products(dtype):
    """Every BLAS path of the generated gemm: matrix @ matrix (both transposes), matrix @ vector
    and vector @ matrix, with a gradient so that transposed operands appear."""
    g = gg.Graph("products")
    a, b = g.input("a", (7, 5), dtype), g.input("b", (5, 6), dtype)
    v, u = g.input("v", (5,), dtype), g.input("u", (7,), dtype)
    y = gg.sum(gg.tanh(a @ b)) + gg.sum((a @ v) * u) + gg.sum(u @ a)
    g.output("loss", y)
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s.shape).astype(dtype) for s in (a, b, v, u)]
    return gg.grad(g, wrt=["a", "b", "v", "u"]), args


@needs_bundled
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-5)])
def test_products_through_numpy_blas_equal_the_numpy_backend(dtype, rtol, monkeypatch):
    g, args = _products(dtype)
    shim, flags = build.inprocess_blas()
    assert BUNDLED.library in flags and "#define cblas_dgemm gg_numpy_dgemm" in shim
    assert "#define cblas_sgemv gg_numpy_sgemv" in shim
    got = gg.compile(g, backend="c")(*args)
    want = gg.compile(g)(*args)
    monkeypatch.setenv("GRAPHGRAD_CBLAS", "0")
    loops = gg.compile(g, backend="c")(*args)
    for x, y, z in zip(got, want, loops):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(z, y, rtol=rtol, atol=rtol)


@needs_bundled
def test_a_process_holds_one_blas():
    """A fresh interpreter that runs a C-compiled matmul has mapped numpy's OpenBLAS and no other."""
    script = textwrap.dedent("""
        import numpy as np, graphgrad as gg
        g = gg.Graph("mm")
        a, b = g.input("a", (40, 30)), g.input("b", (30, 20))
        g.output("y", a @ b)
        x, w = np.ones((40, 30)), np.ones((30, 20))
        assert (gg.compile(g, backend="c")(x, w)[0] == 30.0).all()
        with open("/proc/self/maps") as f:
            print(sorted({line.split()[-1] for line in f if "blas" in line.lower()}))
    """)
    if not os.path.exists("/proc/self/maps"):
        pytest.skip("no /proc to read the mapped libraries from")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "GRAPHGRAD_CBLAS": ""})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == repr([BUNDLED.library])


def test_the_settings_choose_the_blas(monkeypatch):
    monkeypatch.delenv("GRAPHGRAD_BLAS_LIBS", raising=False)
    monkeypatch.setenv("GRAPHGRAD_CBLAS", "0")
    assert build.inprocess_blas() == ("", [])
    monkeypatch.setenv("GRAPHGRAD_CBLAS", "system")
    assert build.inprocess_blas() == ("", build.blas_flags())
    assert not any("numpy.libs" in f for f in build.blas_flags())
    monkeypatch.setenv("GRAPHGRAD_CBLAS", "")
    monkeypatch.setenv("GRAPHGRAD_BLAS_LIBS", "-lmyblas")
    assert build.inprocess_blas() == ("", ["-DGRAPHGRAD_CBLAS", "-lmyblas"])
    monkeypatch.delenv("GRAPHGRAD_BLAS_LIBS")
    shim, flags = build.inprocess_blas()
    if BUNDLED is None:
        assert (shim, flags) == ("", build.blas_flags())
    else:
        assert flags[:2] == ["-DGRAPHGRAD_CBLAS", BUNDLED.library]
        assert "static inline GG_NUMPY_UNUSED void gg_numpy_dgemm" in shim


def test_another_blas_setting_builds_and_imports_another_module(monkeypatch):
    """The CPython module of a build is named after its settings too, so that a graph compiled
    again with another BLAS runs that build, not the module imported for the first."""
    g = gg.Graph("settings")  # a graph no other test compiles
    a, b = g.input("a", (9, 7)), g.input("b", (7, 5))
    g.output("y", gg.tanh(a @ b))
    args = [np.random.default_rng(1).standard_normal(s) for s in ((9, 7), (7, 5))]
    gg.compile(g, backend="c")
    before = {m for m in sys.modules if m.startswith("graphgrad_c_")}
    monkeypatch.setenv("GRAPHGRAD_CBLAS", "0")
    loops = gg.compile(g, backend="c")
    if loops.entry != "cpython":
        pytest.skip("no CPython entry points here (Python.h missing)")
    assert len({m for m in sys.modules if m.startswith("graphgrad_c_")} - before) == 1
    np.testing.assert_allclose(loops(*args)[0], gg.compile(g)(*args)[0], rtol=1e-12)


@needs_bundled
def test_the_system_blas_gives_the_same_numbers(monkeypatch):
    monkeypatch.setenv("GRAPHGRAD_CBLAS", "system")
    if not build.blas_flags():
        pytest.skip("no system libopenblas (libopenblas-dev)")
    g, args = _products("float64")
    system = gg.compile(g, backend="c")
    monkeypatch.setenv("GRAPHGRAD_CBLAS", "")
    for x, y in zip(system(*args), gg.compile(g, backend="c")(*args)):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)
