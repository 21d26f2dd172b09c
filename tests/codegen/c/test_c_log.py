"""The C backend's own `gg_log` (a branch-free log that loops vectorize, used for log_softmax's
per-row log-sums): within 1 ulp of numpy's log on positive normal and subnormal values, exact at
0, inf, NaN and negative values; and log_softmax/softmax in blocks of rows (many rows, long rows,
rows strided) agreeing with numpy."""
import ctypes
import re
import subprocess

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.codegen.c import build
from graphgrad.codegen.c.helpers import helper_sources
from graphgrad.codegen.c.nests import SoftmaxNest



def _ulps(got, want):
    """|got - want| in units of the last place of want (of the smallest subnormal below it)."""
    return np.abs(got - want) / np.spacing(np.abs(want))


@pytest.fixture(scope="module", params=[(), ("-march=native",)], ids=["portable", "native"])
def gg_log(request, tmp_path_factory):
    """gg_log compiled alone into a shared library, as a loop over an array."""
    tmp = tmp_path_factory.mktemp("gg_log")
    src = "#include <math.h>\n#include <string.h>\n" + "".join(helper_sources(["gg_log"])) + \
        "void run(const double *x, double *y, long n)\n{\n    for (long i = 0; i < n; ++i) {\n" \
        "        y[i] = gg_log(x[i]);\n    }\n}\n"
    (tmp / "log.c").write_text(src)
    done = subprocess.run([*build.find_compiler(), *build.FLAGS, "-Wall", "-Wextra", "-Werror", "-pedantic",
                           *request.param, "-shared", "-fPIC", str(tmp / "log.c"), "-o", str(tmp / "log.so"),
                           "-lm"], capture_output=True, text=True)
    if done.returncode and request.param and "march" in done.stderr:
        pytest.skip("this compiler knows no -march=native")
    assert done.returncode == 0, done.stderr
    lib = ctypes.CDLL(str(tmp / "log.so"))

    def call(x):
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.empty_like(x)
        lib.run(x.ctypes.data_as(ctypes.c_void_p), y.ctypes.data_as(ctypes.c_void_p), ctypes.c_long(len(x)))
        return y
    return call


def test_gg_log_is_within_one_ulp_of_numpy(gg_log):
    rng = np.random.default_rng(11)
    fi = np.finfo(np.float64)
    x = np.concatenate([np.exp(rng.uniform(np.log(fi.smallest_subnormal), np.log(fi.max), 200_000)),
                        rng.uniform(0, 10, 100_000), np.linspace(0.5, 2, 100_001),
                        1 + rng.standard_normal(50_000) * 1e-8, rng.uniform(0, 1, 50_000) * fi.tiny,
                        [fi.smallest_subnormal, fi.tiny, np.nextafter(fi.tiny, 0), fi.max, 1.0, 2.0, 0.5,
                         np.sqrt(2), np.nextafter(np.sqrt(2), 0), 1e-300, 1e300]])
    x = x[x > 0]
    got, want = gg_log(x), np.log(x)
    assert np.isfinite(got).all()
    assert _ulps(got, want).max() <= 1.0
    assert gg_log(np.array([1.0]))[0] == 0.0


def test_gg_log_special_values(gg_log):
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, -np.finfo(np.float64).smallest_subnormal, -1e300])
    got = gg_log(x)
    assert got[0] == -np.inf and got[1] == -np.inf and got[2] == np.inf
    assert np.isnan(got[3:]).all()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, axis, moved", [((1100, 3), 1, False), ((1100, 3), 0, False), ((2, 5000), 1, False),
                                                ((600, 4, 3), 2, True), ((3, 700, 2), 1, True), ((7, 1), 1, False)])
def test_softmax_blocks_agree_with_numpy(dtype, shape, axis, moved):
    """More rows than a block (the last block partial), few long rows, rows strided in dest,
    the rows' outer indices from a row number (an input not contiguous along the rows)."""
    g = gg.Graph(f"blocks_{dtype}")
    x = g.input("x", shape, dtype)
    with g:
        y = gg.transpose(x, (1, 0, 2)) if moved else x  # src strided: two outer indices
        g.output("p", gg.softmax(y, axis=axis))
        g.output("lp", gg.log_softmax(y, axis=axis))
    f = gg.compile(g, backend="c")
    body = f.source[f.source.index("_workspace_bytes(void)"):]
    assert not re.search(r"\bexpf?\(", body)
    if shape in ((1100, 3), (600, 4, 3)) and axis == len(shape) - 1:
        assert f"r0 += {SoftmaxNest.BLOCK}" in body and "gg_log(" in body and not re.search(r"\blogf?\(", body)
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(shape) * 30).astype(dtype)
    x.flat[0] = -np.inf
    x.flat[-1] = 80.0
    rtol = 1e-12 if dtype == "float64" else 1e-5
    for got, want in zip(f(x), gg.compile(g)(x)):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-300 if dtype == "float64" else 1e-6)


@pytest.mark.parametrize("rows", [6, 1100])  # one block, and several
@pytest.mark.parametrize("name", ["sum", "tops", "r0", "nr", "row"])
def test_softmax_blocks_read_values_named_like_their_locals(rows, name):
    """The blocked nest's local arrays and counters never shadow a value it reads."""
    g = gg.Graph("shadow")
    x = g.input("x", (rows, 5, 3))
    with g:
        s = gg.sum(x, axis=2)
        s.name = name
        g.output("y", gg.log_softmax(s, axis=1))
    a = np.random.default_rng(2).standard_normal((rows, 5, 3))
    np.testing.assert_allclose(gg.compile(g, backend="c", optimize=False)(a),
                               gg.compile(g, optimize=False)(a), rtol=1e-12)
