"""Common-subexpression elimination: equal (op, operands, attributes) computed once."""
import numpy as np

import graphgrad as gg
from graphgrad.passes import cse


def run(g):
    text = str(g)
    new = cse(g)
    new.verify()
    assert str(g) == text, "the pass mutated its input"
    assert str(cse(g)) == str(new), "the pass is not deterministic"
    assert new.passes == g.passes + ("cse",)
    rng = np.random.default_rng(0)
    args = {n: rng.standard_normal(s.shape) for n, s in g.inputs.items()}
    before, after = gg.evaluate(g, **args), gg.evaluate(new, **args)
    for a, b in zip(before if isinstance(before, tuple) else (before,),
                    after if isinstance(after, tuple) else (after,)):
        np.testing.assert_array_equal(b, a)
    return new


def test_repeated_subtrees_merge_into_the_first():
    @gg.function
    def f(x: gg.f64[3, 4], w: gg.f64[4, 2]):
        a = gg.tanh(x @ w)
        b = gg.tanh(x @ w)
        return gg.sum(a * b) + gg.sum(gg.tanh(x @ w))
    new = run(f)
    assert [n.op for n in new.nodes] == ["matmul", "tanh", "multiply", "sum", "sum", "add"]
    assert new.nodes[1].name == "a"


def test_attributes_distinguish_nodes():
    @gg.function
    def f(x: gg.f64[3, 4]):
        return gg.sum(x, axis=0).sum() + gg.sum(x, axis=1).sum() + gg.sum(x, axis=0).sum()
    new = run(f)
    assert [n.op for n in new.nodes].count("sum") == 4


def test_commutative_operands_are_keyed_in_order_but_subtract_is_not():
    @gg.function
    def f(x: gg.f64[3], y: gg.f64[3]):
        return gg.sum(x * y + y * x) + gg.sum((x - y) * (y - x)) + gg.sum(gg.maximum(x, y) - gg.maximum(y, x))
    new = run(f)
    ops = [n.op for n in new.nodes]
    assert ops.count("multiply") == 2 and ops.count("maximum") == 1 and ops.count("subtract") == 3


def test_constants_merge_by_value_dtype_and_shape():
    g = gg.Graph("consts")
    x = g.input("x", (2,))
    c = [g.add("constant", (), {"value": np.asarray(v, dtype=dt)})
         for v, dt in [(2.0, "float64"), (2.0, "float64"), ([2.0], "float64"), (-0.0, "float64"),
                       (0.0, "float64"), (0.0, "float64")]]
    total = x.value
    for node in c:
        total = g.add("add", [total, node])
    g.output("out", total)
    new = run(g)
    consts = [n for n in new.nodes if n.op == "constant"]
    assert [str(n.attrs["value"]) for n in consts] == ["2.0", "[2.]", "-0.0", "0.0"]


def test_names_survive_and_unnamed_keepers_adopt_a_name():
    g = gg.Graph("names")
    x = g.input("x", (2,))
    g.output("a", g.add("exp", [x.value]))
    g.output("b", g.add("exp", [x.value], role="backward", name="grad_x"))
    new = run(g)
    assert len(new) == 1 and new.nodes[0].name == "grad_x" and new.nodes[0].role == "forward"
    assert new.output_values["a"] is new.output_values["b"]
