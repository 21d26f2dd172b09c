"""Common-subexpression elimination: equal (op, operands, attributes) computed once, and a product
of a product regrouped onto products already computed."""
import numpy as np

import graphgrad as gg
from graphgrad.passes import cse, dce


def run(g, exact=True):
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
        if exact:
            np.testing.assert_array_equal(b, a)
        else:  # a regrouped product: equal to rounding
            np.testing.assert_allclose(b, a, rtol=1e-14)
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


def test_a_product_of_a_product_is_regrouped_onto_existing_products():
    # (g * x) * m with m = c * x existing and g * (x * m) existing: one node; (g * y) * x is not
    # regrouped, as no product of x and y exists
    @gg.function
    def f(x: gg.f64[3], y: gg.f64[3], g: gg.f64[3]):
        m = 3.0 * x
        t = g * (m * x)
        return gg.sum(t + (g * x) * m + ((g * x) * x) * 3.0) + gg.sum((g * y) * x)
    new = dce(run(f, exact=False))  # g x and (g x) x die
    multiplies = [n for n in new.nodes if n.op == "multiply"]
    assert len(multiplies) == 5  # 3x, m x, g (m x), g y, (g y) x
    adds = [n for n in new.nodes if n.op == "add"]
    assert all(v is multiplies[2] for v in adds[0].inputs + adds[1].inputs[1:])


def test_gelu_gradient_computes_its_cubic_term_once():
    g = gg.Graph("gelu")
    x = g.input("x", (4, 6))
    with g:
        g.output("loss", gg.sum(0.5 * x * (1 + gg.tanh(0.79788 * (x + 0.044715 * x * x * x)))))
    grad = gg.grad(g, wrt=["x"])
    opt = gg.optimize(grad)
    products = [n for n in opt.nodes if n.op == "multiply" and n.role != "forward"]
    assert len(products) == 4, [str(n) for n in products]  # upstream · (1 - t²), · k, · c x², 0.5 (1 + t)
    rng = np.random.default_rng(0)
    value = rng.standard_normal((4, 6))
    for got in (gg.evaluate(opt, value), gg.compile(grad, "numpy")(value)):
        np.testing.assert_allclose(got[1], gg.evaluate(grad, value)[1], rtol=1e-13)
