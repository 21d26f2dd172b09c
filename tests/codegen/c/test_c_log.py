"""The C backend's own `gg_log` (a branch-free log that loops vectorize): within 1 ulp of numpy's
log on positive normal and subnormal values, exact at 0, inf, NaN and negative values."""
import ctypes
import subprocess

import numpy as np
import pytest

from graphgrad.codegen.c import build
from graphgrad.codegen.c.helpers import helper_sources


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
