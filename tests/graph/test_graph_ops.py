"""Every op in the op table against numpy: shape and dtype inference, evaluation, JSON round trip.

The cases come from graph_cases.CASES (hypothesis strategies, derandomized by tests/conftest.py);
a test walks the op table so that a new op without a case, shape rule or evaluator entry fails.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, note, strategies as st

import graphgrad as gg
from graphgrad.graph import OPS, ShapeError
from graph_cases import CASES

CATEGORIES = {"source", "unary", "binary", "compare", "select", "cast", "reduction", "shape", "gather", "conv",
              "linalg", "jacobian"}
ATTRIBUTE_KINDS = {"int", "ints", "axes", "optional_ints", "optional_int", "bool", "float", "dtype",
                   "array", "index", "str", "number"}
TOLERANCE = {"float32": dict(rtol=2e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-14)}


def test_op_table_is_complete():
    """Each op has a shape rule, a numpy implementation, known attribute kinds and a test case."""
    assert set(OPS) == set(CASES), f"ops without a test case: {sorted(set(OPS) - set(CASES))}; " \
                                   f"cases without an op: {sorted(set(CASES) - set(OPS))}"
    for name, op in OPS.items():
        assert op.name == name and callable(op.infer) and callable(op.impl), name
        assert op.category in CATEGORIES, (name, op.category)
        assert {kind.name for kind in op.attrs.values()} <= ATTRIBUTE_KINDS, (name, op.attrs)
        assert op.arity is None or op.arity >= 0
    assert gg.JACOBIAN_OPS == {"kron", "diag", "eye"}


def reference(case, arrays):
    """numpy's answer, or None when numpy rejects the operands (then graphgrad must too)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return np.asarray(case.reference(*arrays))
        except (ValueError, IndexError):
            return None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", sorted(CASES))
@given(data=st.data())
def test_op_agrees_with_numpy(op, dtype, data):
    case = data.draw(CASES[op](dtype), label="case")
    note(f"shapes={case.shapes} {case.note}")
    arrays = case.arrays(dtype)
    expected = reference(case, arrays)
    g = gg.Graph(f"case_{op}")
    tensors = [g.input(f"x{i}", shape, dtype) for i, shape in enumerate(case.shapes)]
    if expected is None:
        with pytest.raises(ShapeError, match=op), g:
            case.build(g, *tensors)
        return
    with g:
        out = case.build(g, *tensors)
    assert op in [n.op for n in g.nodes], "the case must exercise its op"
    assert (out.shape, out.dtype) == (expected.shape, expected.dtype.name)
    g.output("out", out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of an empty axis
        got = gg.evaluate(g, *arrays)
    assert (got.shape, got.dtype) == (expected.shape, expected.dtype)
    np.testing.assert_allclose(got, expected, equal_nan=True, **TOLERANCE[dtype])
    _check_round_trip(g, arrays, got)


def _check_round_trip(g, arrays, got):
    """The graph survives JSON with the same text and bit-identical results."""
    back = gg.Graph.from_json(g.to_json())
    assert str(back) == str(g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_array_equal(gg.evaluate(back, *arrays), got)
