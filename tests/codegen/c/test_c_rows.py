"""Short rows (graphgrad/codegen/c/rows.py): in an elementwise nest of rows shorter than a couple
of vector steps, exp/tanh/log of a contiguous operand run first in one flat loop per block of
rows, into a local array; the values stay the numpy backend's."""
import numpy as np
import pytest

import graphgrad as gg


def _check(g, args, flat_loops):
    f = gg.compile(g, backend="c", optimize=False)
    for want, got in zip(gg.compile(g, optimize=False)(*args), f(*args)):
        single = want.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5 if single else 1e-12, atol=1e-6 if single else 0)
    assert f.source.count("for (long t = 0; t < ") == flat_loops
    return f.source


@pytest.mark.parametrize("rows", [64, 300])  # one block, and blocks with a shorter last one
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_polynomials_of_short_rows_run_in_flat_loops(rows, dtype):
    g = gg.Graph("rows")
    x = g.input("x", (rows + 1, 10), dtype)
    s = g.input("s", (rows, 1), dtype)
    with g:
        body = x[1:]  # an offset view, still contiguous
        e = gg.exp(body)
        g.output("y", 1.5 - e * s + gg.tanh(body) * e)  # e used twice: one local array
        g.output("z", gg.log(gg.abs(body) + 1.0) * s)    # log of a fused value: not hoisted
    rng = np.random.default_rng(0)
    args = [rng.standard_normal((rows + 1, 10)).astype(dtype), rng.standard_normal((rows, 1)).astype(dtype)]
    source = _check(g, args, flat_loops=2)
    assert (f"< {rows}; i0_1 += " in source) == (rows * 10 > 1024)  # blocks of rows


def test_long_rows_and_single_rows_stay_one_nest():
    g = gg.Graph("long_rows")
    x = g.input("x", (8, 40))
    v = g.input("v", (10,))
    with g:
        g.output("y", gg.exp(x) * 2.0)
        g.output("w", gg.exp(v) + 1.0)
    rng = np.random.default_rng(1)
    _check(g, [rng.standard_normal((8, 40)), rng.standard_normal(10)], flat_loops=0)
