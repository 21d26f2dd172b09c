"""The op recipe at the top of graph/optable.py holds: an op is a definition, a derivative rule
and (only when its numpy ufunc's name does not fit) a spelling; the completeness checks the
suite runs name whatever entry is missing."""
import jax
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.codegen import BACKENDS
from graphgrad.codegen.backend import missing_spellings
from graphgrad.graph import OPS, OpDef, functions
from graphgrad.graph.ops_elementwise import _unary_infer
from graphgrad.passes.autodiff import rules

jax.config.update("jax_enable_x64", True)


def test_the_real_table_is_complete():
    assert rules.missing_rules() == []
    for backend in BACKENDS.values():
        assert missing_spellings(backend) == []


@pytest.fixture
def cbrt(monkeypatch):
    """Entry 1 of the recipe: a new op, defined once (np.cbrt is a ufunc, so it spells itself)."""
    opdef = OpDef("cbrt", 1, "unary", _unary_infer, np.cbrt, doc="cube root")
    monkeypatch.setitem(OPS, "cbrt", opdef)
    return functions._generated(opdef)  # the front-end function the table derives


def test_an_op_without_a_rule_is_named(cbrt):
    assert rules.missing_rules() == ["cbrt"]
    g = gg.Graph("g")
    x = g.input("x", (3,))
    with g:
        g.output("loss", gg.sum(cbrt(x)))
    with pytest.raises(gg.GraphError, match="'cbrt' has no derivative rule"):
        gg.grad(g)


def test_an_op_that_is_not_a_ufunc_needs_a_spelling_and_is_named(monkeypatch):
    opdef = OpDef("halve", 1, "unary", _unary_infer, lambda x: x / 2, doc="x / 2")
    monkeypatch.setitem(OPS, "halve", opdef)
    for backend in BACKENDS.values():
        assert missing_spellings(backend) == ["halve"]
    g = gg.Graph("g")
    x = g.input("x", (3,))
    g.output("y", g.add("halve", [x.value]))
    with pytest.raises(gg.GraphError, match="no spelling for op 'halve'"):
        gg.compile(g)


def test_definition_plus_rule_is_a_whole_op(cbrt, monkeypatch):
    """Entry 2: the rule, in graphgrad's operators; then grad, optimize and both backends work."""
    monkeypatch.setitem(rules.RULES, "cbrt", rules.partials(lambda x, y: 1 / (3 * y ** 2)))
    assert rules.missing_rules() == []
    g = gg.Graph("g")
    x = g.input("x", (4,))
    with g:
        g.output("loss", gg.sum(cbrt(x) * x))
    xv = np.array([0.5, 1.0, 2.0, 3.0])
    want = np.cbrt(xv) + xv / (3 * np.cbrt(xv) ** 2)
    for style in ("vjp", "jacobian"):
        for backend in ("numpy", "jax"):
            loss, grad_x = gg.compile(gg.grad(g, style=style), backend)(xv)
            np.testing.assert_allclose(grad_x, want, rtol=1e-12)
