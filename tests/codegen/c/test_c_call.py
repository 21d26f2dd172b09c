"""The per-call paths of C functions, the CPython entry point (graphgrad/codegen/c/pyentry.py)
and the ctypes one (call.py): each takes the same arguments, raises the same errors as the numpy
backend's callable, reuses output arrays only when the caller dropped them, and stays correct
when threads call one function at once."""
import gc
import threading
import weakref

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.codegen.c.pyentry import entry_includes

ENTRIES = ["cpython", "ctypes"]


def _compile(g, entry):
    """g compiled for the C backend with the given call path."""
    if entry == "cpython" and entry_includes()[0] is None:
        pytest.skip(f"no CPython entry points here: {entry_includes()[1]}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRAPHGRAD_C_ENTRY", entry)
        f = gg.compile(g, backend="c")
    assert f.entry == entry
    return f


def _graph():
    g = gg.Graph("lean")
    x = g.input("x", (3, 4))
    w = g.input("w", (4,))
    s = g.input("s", ())
    with g:
        g.output("y", (x @ w) * s)
        g.output("t", gg.sum(x) + s)
    return g


@pytest.fixture(scope="module", params=ENTRIES)
def both(request):
    g = _graph()
    return _compile(g, request.param), gg.compile(g)


def _args(k=0.0):
    return [np.arange(12.0).reshape(3, 4) + k, np.array([1.0, -1.0, 2.0, 0.5]), np.float64(2.0)]


def _same(got, want):
    assert type(got) is type(want) and len(got) == len(want)
    for a, b in zip(got, want):
        assert type(a) is type(b) and np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_the_same_arguments_are_taken_as_by_the_numpy_backend(both):
    c, py = both
    x, w, s = _args()
    for args, kwargs in [((x, w, s), {}), ((x, w), {"s": s}), ((), {"x": x, "w": w, "s": s}),
                         ((x.tolist(), w.tolist(), 2.0), {}), ((np.asfortranarray(x), w[::1], np.array(2.0)), {}),
                         ((np.matrix(x), w, s), {}), ((x, np.repeat(w, 2)[::2], 2), {})]:
        _same(c(*args, **kwargs), py(*args, **kwargs))


@pytest.mark.parametrize("bad", [
    lambda x, w, s: ((x[:2], w, s), {}),
    lambda x, w, s: ((x, w.astype(np.float32), s), {}),
    lambda x, w, s: ((x, w), {}),
    lambda x, w, s: ((x, w, s, s), {}),
    lambda x, w, s: ((x, w, s), {"s": s}),
    lambda x, w, s: ((x, w), {"z": s}),
    lambda x, w, s: ((x, w, np.ones(2)), {}),
    lambda x, w, s: ((x, "w", s), {}),
])
def test_the_errors_are_the_numpy_backend_s(both, bad):
    c, py = both
    args, kwargs = bad(*_args())
    with pytest.raises(Exception) as want:
        py(*args, **kwargs)
    with pytest.raises(type(want.value)) as got:
        c(*args, **kwargs)
    assert str(got.value) == str(want.value)


def test_outputs_the_caller_dropped_are_reused_and_held_ones_are_not(both):
    c, _ = both
    seen, kept = set(), []
    for k in range(20):
        y, t = c(*_args(float(k)))
        assert t == 66.0 + 12 * k + 2.0 and np.allclose(y, (_args(k)[0] @ _args()[1]) * 2)
        seen.add(y.ctypes.data)
        if k % 5 == 0:
            kept.append((k, y))  # these must keep their values
    assert len(seen) <= 2 + len(kept)  # `y = c(...)` in a loop alternates between two arrays
    for k, y in kept:
        np.testing.assert_allclose(y, (_args(k)[0] @ _args()[1]) * 2)


def test_threads_calling_at_once_get_their_own_outputs_and_workspace(both):
    c, py = both
    errors = []
    start = threading.Barrier(6)

    def work(i):
        start.wait()
        try:
            for k in range(300):
                args = _args(float(i * 1000 + k))
                y, t = c(*args)
                want_y, want_t = py(*args)
                if not (np.allclose(y, want_y, rtol=1e-12) and t == want_t):
                    errors.append((i, k))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_scalar_output_and_a_function_of_one_output(entry):
    g = gg.Graph("one")
    x = g.input("x", (5,))
    with g:
        g.output("m", gg.sum(x * x))
    f = _compile(g, entry)
    got = f(np.arange(5.0))
    assert type(got) is np.float64 and got == 30.0
    assert f(np.arange(5.0)) == 30.0 and f(x=np.ones(5)) == 5.0


@pytest.mark.parametrize("entry", ENTRIES)
def test_inputs_named_like_the_entry_s_own_names(entry):
    g = gg.Graph("names")
    a, b, c = g.input("self", (2,)), g.input("args", (2,)), g.input("slow", (2,))
    with g:
        g.output("o", a * b + c)
    f = _compile(g, entry)
    ones, threes = np.ones(2), np.full(2, 3.0)
    assert f(self=ones, args=threes, slow=ones).tolist() == [4.0, 4.0]
    assert f(ones, threes, ones).tolist() == [4.0, 4.0] and f(ones, threes, slow=threes).tolist() == [6.0, 6.0]


@pytest.mark.parametrize("entry", ENTRIES)
def test_odd_arrays_take_the_fallback_and_give_the_same_values(entry):
    f = _compile(_graph(), entry)
    x, w, s = _args()
    want = f(x, w, s)
    raw = np.zeros(x.nbytes + 1, dtype=np.uint8)[1:].view(np.float64).reshape(3, 4)  # unaligned
    raw[...] = x
    for odd in [raw, x[:, ::-1][:, ::-1], np.asfortranarray(x), np.repeat(x, 2, axis=0)[::2]]:
        _same(f(odd, w, s), want)
        _same(f._fn(odd, w, s), want)  # the unchecked call too


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_compiled_function_nobody_holds_is_freed(entry):
    f = _compile(_graph(), entry)
    f(*_args())
    ref = weakref.ref(f)
    del f
    gc.collect()
    assert ref() is None


def test_the_cpython_entry_is_the_default_where_the_headers_are():
    f = gg.compile(_graph(), backend="c")
    assert f.entry == ("cpython" if entry_includes()[0] else "ctypes")


def test_entry_points_that_do_not_build_leave_ctypes_and_say_so(monkeypatch, tmp_path):
    import graphgrad.codegen.c as c_backend

    monkeypatch.setattr(c_backend, "entry_includes", lambda: ([str(tmp_path), str(tmp_path)], None))  # no Python.h
    with pytest.warns(RuntimeWarning, match="calls go through ctypes"):
        f = gg.compile(_graph(), backend="c")
    assert f.entry == "ctypes"
    _same(f(*_args()), gg.compile(_graph())(*_args()))
