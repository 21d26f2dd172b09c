"""A seeded fuzz of the front end: every gg function and Tensor method called with random tensors
and junk arguments must either work or raise GraphError (a call with the wrong number of
arguments is filtered out first), never a bare TypeError, ValueError, AttributeError or numpy error.
"""
import inspect
import random
import warnings

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import GraphError
from graphgrad.graph import FUNCTIONS

JUNK = [None, 0, -1, 5, 1.5, True, "x", "float32", "int8", (), (0,), (1, 0), (-1,), (2, 2), [0, 1],
        slice(None), slice(1, None, -1), Ellipsis, np.ones(2), np.int64(1), {}, [[1], [2, 3]], 1j,
        10 ** 20, float("nan"), (None,), (1.5,), np.array(["a"]), object()]
METHODS = ["reshape", "transpose", "sum", "mean", "max", "astype", "__getitem__", "__pow__",
           "__add__", "__rsub__", "__matmul__", "__rmatmul__", "__truediv__", "__lt__", "__ge__"]


def _inputs(g):
    return [g.input("a", (3, 4)), g.input("b", (4,)), g.input("c", ()), g.input("d", (0, 2)),
            g.input("e", (2,), "float32")]


def _arity(fn):
    """(required, at most 3) positional arguments of fn."""
    params = [p for p in inspect.signature(fn).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    required = sum(p.default is p.empty and p.kind != p.VAR_POSITIONAL for p in params)
    return required, max(required, min(3, len(params) + 2 * any(p.kind == p.VAR_POSITIONAL
                                                                 for p in params)))


def _call(fn, args):
    """Call fn(*args) if its signature accepts them; True when it ran or raised GraphError."""
    try:
        inspect.signature(fn).bind(*args)
    except TypeError:
        return None  # a Python call-signature mistake, not ours to rephrase
    try:
        fn(*args)
    except GraphError:
        pass
    return True


@pytest.mark.parametrize("seed", range(4))
def test_random_calls_raise_only_graph_errors(seed):
    rng = random.Random(seed)
    g = gg.Graph("fuzz")
    tensors = _inputs(g)
    functions = [getattr(gg, name) for name in FUNCTIONS]
    calls = 0
    with g, warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy warning (e.g. a complex cast) is a leak too
        for _ in range(1500):
            if rng.random() < 0.5:
                fn = rng.choice(functions)
            else:
                fn = getattr(rng.choice(tensors), rng.choice(METHODS))
            low, high = _arity(fn)
            args = [rng.choice(tensors) if rng.random() < 0.5 else rng.choice(JUNK)
                    for _ in range(rng.randint(low, high + (rng.random() < 0.1)))]
            calls += bool(_call(fn, args))
    assert calls > 1200
    g.verify()
