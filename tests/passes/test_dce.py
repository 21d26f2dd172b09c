"""Dead-code elimination: keep exactly what the outputs need, inputs and outputs as declared."""
import numpy as np

import graphgrad as gg
from graphgrad.passes import dce
from graphgrad.passes.rebuild import Builder


def run(g):
    text = str(g)
    new = dce(g)
    new.verify()
    assert str(g) == text, "the pass mutated its input"
    assert str(dce(g)) == str(new) and new.passes == g.passes + ("dce",)
    rng = np.random.default_rng(0)
    args = {n: rng.standard_normal(s.shape) for n, s in g.inputs.items()}
    for a, b in zip(gg.evaluate(g, **args), gg.evaluate(new, **args)):
        np.testing.assert_array_equal(b, a)
    return new


def test_unused_nodes_go_and_used_ones_stay_in_order():
    @gg.function
    def f(x: gg.f64[3], y: gg.f64[3], unused: gg.f64[2]):
        dead = gg.exp(x) * y
        gg.log(dead)
        live = gg.tanh(x)
        return {"out": gg.sum(live * y), "same": x}
    assert len(f) == 6
    new = run(f)
    assert [n.op for n in new.nodes] == ["tanh", "multiply", "sum"]
    assert list(new.inputs) == ["x", "y", "unused"], "inputs are the calling convention"
    assert list(new.outputs) == ["out", "same"] and new.output_values["same"] is new.input_values["x"]
    assert new.nodes[0].name == "live"


def test_a_graph_without_dead_code_is_copied_unchanged():
    @gg.function
    def f(x: gg.f64[3]):
        return gg.sum(gg.exp(x)), gg.exp(x)
    new = run(f)
    assert str(new) == str(f) and new is not f


def test_passes_copy_nodes_only_onto_operands_of_the_same_types():
    """The pass builder's fast copy refuses operands whose types differ."""
    g = gg.Graph("g")
    x = g.input("x", (3,))
    node = g.add("exp", [x.value], role="backward", name="e")
    h = gg.Graph("h")
    y, z = h.input("y", (3,)), h.input("z", (4,))
    builder = Builder(h)
    builder.graph, builder.role = h, "backward"
    copy = builder.copy(node, [y.value])
    assert (copy.op, copy.shape, copy.role, copy.name) == ("exp", (3,), "backward", "e")
    try:
        builder.copy(node, [z.value])
    except gg.GraphError as e:
        assert "do not have the types" in str(e)
    else:
        raise AssertionError("add_like accepted a (4,) operand for a (3,) one")
