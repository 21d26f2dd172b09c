"""Formulas of explicit Jacobians from operand names, subscripts, sizes, short expressions."""
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.viz import style
from graphgrad.viz.labels import expression, index_text, jacobian_formula, size_text, subscript


def jacobian_graph():
    g = gg.Graph("j")
    x, w2 = g.input("x", (64, 1000)), g.input("w2", (100, 10))
    h = g.input("h", (64, 100))
    b = dict(role="backward")
    eye = lambda n: g.add("eye", [], {"n": n, "dtype": "float64"}, **b)  # noqa: E731
    nodes = {
        "kron_x": g.add("kron", [x, eye(100)], **b),
        "kron_w2": g.add("kron", [eye(64), g.add("transpose", [w2], {"axes": None}, **b)], **b),
        "eye": eye(100),
    }
    zero = g.add("constant", [], {"value": np.array(0.0)}, **b)
    long_expr = g.add("multiply", [g.add("tanh", [g.add("exp", [h], **b)], **b),
                                   g.add("sigmoid", [g.add("sqrt", [h], **b)], **b)], **b)
    nodes["diag_short"] = g.add("diag", [g.add("reshape", [g.add("cast", [g.add(
        "greater", [h, zero], **b)], {"dtype": "float64"}, **b)], {"shape": (-1,)}, **b)], **b)
    nodes["diag_long"] = g.add("diag", [g.add("reshape", [long_expr], {"shape": (-1,)}, **b)], **b)
    mixed = g.add("add", [g.add("exp", [g.add("tanh", [h], **b)], **b),
                          g.add("log", [g.add("sqrt", [g.add("slice", [x], {"index": (
                              (0, 64, 1), (0, 100, 1))}, **b)], **b)], **b)], **b)
    nodes["diag_v"] = g.add("diag", [g.add("reshape", [mixed], {"shape": (-1,)}, **b)], **b)
    return g, nodes


def test_jacobian_formulas_use_operand_names():
    _, nodes = jacobian_graph()
    assert jacobian_formula(nodes["kron_x"]) == "x ⊗ I₁₀₀"
    assert jacobian_formula(nodes["kron_w2"]) == "I₆₄ ⊗ w2ᵀ"
    assert jacobian_formula(nodes["eye"]) == "I₁₀₀"
    assert jacobian_formula(nodes["diag_short"]) == "diag(h > 0)"
    assert jacobian_formula(nodes["diag_long"]) == "diag(f′(h))"  # too long: named by its source
    assert jacobian_formula(nodes["diag_v"]) == "diag(v)"  # two sources (h, x)


def test_expressions_prefer_user_names():
    g = gg.Graph("e")
    a, b = g.input("a", (3, 3)), g.input("b", (3, 3))
    with g:
        s = a + b
        t = (s * 2.0).T
        assert expression(t.value) == "((a + b) ⊙ 2)ᵀ"
        s.name = "s"
        assert expression(t.value) == "(s ⊙ 2)ᵀ"
        deep = gg.exp(gg.exp(gg.exp(gg.exp(gg.exp(a)))))
        assert expression(deep.value).startswith("exp(exp(exp(%")


def test_subscripts_and_sizes():
    assert subscript(6400) == "₆₄₀₀"
    assert size_text(6400 * 100000 * 8) == "5.1 GB"
    assert size_text(800) == "800 B" and size_text(51_200) == "51.2 kB"


def test_long_kronecker_factors_are_abbreviated():
    g = gg.Graph("k")
    x, w = g.input("x", (2, 3)), g.input("w", (3, 3))
    with g:
        deep = gg.tanh(gg.tanh(gg.tanh(x @ w) @ w) @ w)
    eye = g.add("eye", [], {"n": 4, "dtype": "float64"}, role="backward")
    kron = g.add("kron", [deep.value, eye], role="backward")
    assert jacobian_formula(kron) == f"tanh({deep.value.inputs[0].ref}) ⊗ I₄"
    wide = gg.Graph("w")
    names = [wide.input(f"a_very_long_input_name_{i}", (2, 2)) for i in range(2)]
    with wide:
        total = names[0] + names[1]
    kron = wide.add("kron", [total.value, total.value], role="backward")
    assert jacobian_formula(kron) == f"{total.value.ref} ⊗ {total.value.ref}"


def sliced(*keys, shape=(5, 6, 9)):
    g = gg.Graph("s")
    x = g.input("x", shape)
    with g:
        for key in keys:
            x[key]
    return g


@pytest.mark.parametrize("key, text", [
    ((slice(None), slice(2, None), slice(1, 7)), "x[:, 2:, 1:7]"),
    ((slice(1, None), slice(None, None, 2), 3), "x[1:, ::2, 3]"),
    (2, "x[2]"), (slice(None, None, -1), "x[::-1]"), (slice(4, 1, -2), "x[:1:-2]"),
    ((Ellipsis, slice(2, 5)), "x[:, :, 2:5]"), ((slice(None),) * 3, "x[:]"),
    (slice(3, 3), "x[:0]"), ((slice(None), slice(-3, None)), "x[:, 3:]"),
    ((slice(0, 4), -1), "x[:4, 5]"),
])
def test_slices_read_as_the_code_spells_them(key, text):
    (node,) = sliced(key).nodes
    assert f"<B>{text}</B>" in style.op_label(node)
    assert "index=" not in style.op_label(node)
    assert eval(text, {"x": np.zeros((5, 6, 9))}).shape == node.shape  # the same meaning


def test_index_text_shows_the_range_a_collapsed_slice_stands_for():
    rows = [(t, (0, 4, 1)) for t in range(20)]
    assert index_text(rows[0], (20, 4), rows) == "[0…19]"
    assert index_text(rows[0], (20, 4), [rows[0]] * 3) == "[0]"
    assert index_text(((0, 2, 1), 1), (4, 3), [((0, 2, 1), 1), ((2, 4, 1), 1)]) == "[…, 1]"


def test_unslice_names_its_index_and_shape():
    g = gg.Graph("u")
    dy = g.input("dy", (4, 3))
    node = g.add("unslice", [dy], {"index": (2, (0, 4, 1), (0, 3, 1)), "shape": (20, 4, 3)},
                 role="backward")
    assert "unslice [2] of [20,4,3]" in style.op_label(node)
