"""The IR's text form, networkx view, tracing conventions, copying, and the evaluator's arguments."""
import importlib.util
import pathlib

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import GraphError
from graphgrad.graph import copy_graph, largest_intermediate, nbytes

ROOT = pathlib.Path(__file__).resolve().parents[2]


@gg.function
def tiny(x: gg.f64[2, 3], w: gg.f32[3]):
    h = x.astype("float32") @ w
    y = gg.softmax(h * 2.0)
    return {"y": y, "m": h.max(keepdims=True), "first": x[0, ::-1], "w": w}


GOLDEN = """\
graph tiny(%x:f64[2,3], %w:f32[3]) {
  %0:f32[2,3] = cast %x {dtype='float32'}
  %1:f32[2] = matmul %0, %w  # h
  %2:f32[] = constant {value=2.}
  %3:f32[2] = multiply %1, %2
  %4:f32[2] = softmax %3 {axis=0}  # y
  %5:f32[1] = max %1 {axis=None, keepdims=True}
  %6:f64[3] = slice %x {index=(0, (2, -1, -1))}
  return y=%4, m=%5, first=%6, w=%w
}"""


def test_print_golden():
    assert str(tiny) == GOLDEN
    assert repr(tiny) == "<Graph tiny: 2 inputs, 7 nodes, 4 outputs>"


def test_backward_role_and_hint_are_printed():
    g = gg.Graph("b")
    x = g.input("x", (2,))
    g.add("negative", [x.value], role="backward", name="gx")
    assert str(g).splitlines()[1] == "  %0:f64[2] = negative %x  # gx backward"


def test_a_hint_cannot_break_the_one_line_form():
    g = gg.Graph("b")
    x = g.input("x", (2,))
    g.add("negative", [x.value], name="two\nlines")
    assert str(g).splitlines()[1] == "  %0:f64[2] = negative %x  # 'two\\nlines'"


def test_to_networkx_attributes():
    nx_graph = tiny.to_networkx()
    assert list(nx_graph.nodes) == ["x", "w", "%0", "%1", "%2", "%3", "%4", "%5", "%6"]
    assert nx_graph.nodes["x"] | {} == {"op": "input", "shape": (2, 3), "dtype": "float64",
                                         "role": "forward", "name": "x", "attrs": {}, "outputs": []}
    matmul = nx_graph.nodes["%1"]
    assert (matmul["op"], matmul["shape"], matmul["dtype"], matmul["role"], matmul["name"]) == \
           ("matmul", (2,), "float32", "forward", "h")
    assert nx_graph.nodes["%6"]["attrs"] == {"index": (0, (2, -1, -1))}
    assert nx_graph.edges["%0", "%1"] == {"positions": [0], "shape": (2, 3), "dtype": "float32"}
    assert nx_graph.edges["w", "%1"]["positions"] == [1]
    assert nx_graph.graph["outputs"] == {"y": "%4", "m": "%5", "first": "%6", "w": "w"}
    for _, data in nx_graph.nodes(data=True):
        assert {"op", "shape", "dtype", "role"} <= set(data)


def test_to_networkx_repeated_operand():
    g = gg.Graph("sq")
    x = g.input("x", (3,))
    g.output("out", x * x)
    assert g.to_networkx().edges["x", "%0"]["positions"] == [0, 1]


def test_function_conventions():
    @gg.function(name="renamed")
    def pair(a: gg.f64[3], b: gg.f64[3]):
        total = a + b
        return total, a * b

    assert pair.name == "renamed" and list(pair.inputs) == ["a", "b"]
    assert list(pair.outputs) == ["out0", "out1"]
    assert pair.inputs["a"] == gg.TensorSpec((3,), "float64") == gg.f64[3]
    assert pair.nodes[0].name == "total" and pair.nodes[1].name is None
    assert gg.f32[()] == gg.TensorSpec((), "float32") and len(pair) == 2


def test_keyword_only_parameters_are_inputs():
    @gg.function
    def kw(x: gg.f64[3], *, y: gg.f64[3]):
        return x - y

    assert list(kw.inputs) == ["x", "y"]
    np.testing.assert_array_equal(gg.evaluate(kw, np.ones(3), y=np.arange(3.0)), 1 - np.arange(3.0))


def test_numpy_operands_mix_in_as_constants():
    g = gg.Graph("mix")
    x = g.input("x", (3,), "float32")
    g.output("out", np.float64(2) * x + np.ones(3) - [1.0, 2.0, 3.0])
    assert g.outputs["out"].dtype == "float32"
    np.testing.assert_allclose(gg.evaluate(g, np.ones(3, np.float32)), [2, 1, 0])


def test_explicit_builder_and_tensor_api():
    g = gg.Graph("mlp")
    x = g.input("x", (4, 5), dtype="float64")
    assert (x.shape, x.dtype, x.name, x.ndim, x.size, len(x)) == ((4, 5), "float64", "x", 2, 20, 4)
    t = (-x.T).reshape(2, 10).transpose().sum(axis=1).mean()
    assert t.shape == () and t.name.startswith("%")
    t.name = "loss"
    g.output("loss", t)
    assert g.output_values["loss"].name == "loss" and g.verify() is g
    with pytest.raises(GraphError):
        x.name = "y"


def test_copy_graph_keeps_everything():
    g = gg.Graph("rev")
    x = g.input("x", (5, 3))
    r = x[::-1, 2:-4:-1]
    g.add("unslice", [r.value], r.value.attrs | {"shape": (5, 3)}, role="backward", name="u")
    g.output("r", r)
    g.passes = ("autodiff",)
    copied, mapping = copy_graph(g)
    assert str(copied) == str(g) and copied.passes == g.passes and r.shape == (5, 3)
    assert mapping[g.input_values["x"]] is copied.input_values["x"]
    data = np.arange(15.0).reshape(5, 3)
    np.testing.assert_array_equal(gg.evaluate(copied, data), data[::-1, 2:-4:-1])


def test_memory_helpers():
    g = gg.Graph("m")
    x = g.input("x", (100, 10), "float32")
    g.output("out", gg.Tensor(g.add("kron", [x.value, x.value])))
    assert nbytes(x.value) == 4000
    assert largest_intermediate(g) == (10000 * 100 * 4, g.nodes[0])


# --- the evaluator's calling convention ------------------------------------------------------

def test_keyword_and_positional_calls_agree():
    x, w = np.ones((2, 3)), np.arange(3.0, dtype=np.float32)
    by_position = gg.evaluate(tiny, x, w)
    by_keyword = gg.evaluate(tiny, w=w, x=x)
    mixed = gg.evaluate(tiny, x, w=w)
    for a, b, c in zip(by_position, by_keyword, mixed):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(by_position[2], x[0, ::-1])


@pytest.mark.parametrize("args, kwargs, error, words", [
    ((np.ones((3, 2)), np.ones(3, np.float32)), {}, ValueError, ["'x'", "(2, 3)", "(3, 2)"]),
    ((np.ones((2, 3)), np.ones(4, np.float32)), {}, ValueError, ["'w'", "(3,)", "(4,)"]),
    ((np.ones((2, 3)), np.ones(3)), {}, ValueError, ["'w'", "float32", "float64"]),
    ((np.ones((2, 3)), [1.0, [2.0]]), {}, ValueError, ["'w'", "(3,)", "list"]),
    ((np.ones((2, 3)),), {}, GraphError, ["missing", "w"]),
    ((np.ones((2, 3)), np.ones(3, np.float32), 1.0), {}, GraphError, ["2 input", "got 3"]),
    ((np.ones((2, 3)),), {"w": np.ones(3, np.float32), "z": 1.0}, GraphError, ["unexpected", "'z'"]),
    ((np.ones((2, 3)), np.ones(3, np.float32)), {"x": np.ones((2, 3))}, GraphError,
     ["'x'", "twice"]),
])
def test_evaluate_argument_errors(args, kwargs, error, words):
    with pytest.raises(error) as info:
        gg.evaluate(tiny, *args, **kwargs)
    assert type(info.value) is error
    missing = [w for w in words if w not in str(info.value)]
    assert not missing, f"{missing} not in {str(info.value)!r}"


def test_python_numbers_as_arguments():
    g = gg.Graph("s")
    a = g.input("a", ())
    g.output("out", a * 3)
    assert gg.evaluate(g, 2) == 6.0 and gg.evaluate(g, a=np.float64(1.5)) == 4.5


# --- the seed examples -----------------------------------------------------------------------

def load_example(name):
    spec = importlib.util.spec_from_file_location(f"_example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_two_layer_net_example(capsys):
    m = load_example("two_layer_net")
    g = m.two_layer_net
    assert isinstance(g, gg.Graph) and g.name == "two_layer_net"
    assert list(g.inputs) == ["x", "y", "w1", "w2"] and g.inputs["w1"].shape == (1000, 100)
    assert [n.op for n in g.nodes] == ["matmul", "constant", "maximum", "matmul", "subtract",
                                       "square", "sum"]
    assert "%0:f64[64,100] = matmul %x, %w1  # h" in str(g)
    inputs = m.random_inputs(1)
    np.testing.assert_allclose(gg.evaluate(g, **inputs), m.numpy_loss(**inputs), rtol=1e-12)
    m.main()
    out = capsys.readouterr().out
    assert out.startswith("graph two_layer_net(") and "relative difference" in out
    before, after = out.split("after gg.optimize")
    assert "= kron" in before and "= diag" in before and "grad_w1=" in before
    assert "kron" not in after and "diag" not in after and "grad_w2=" in after


def test_polynomial_example(capsys):
    m = load_example("polynomial")
    g = m.polynomial
    assert list(g.inputs) == ["x", "y", "a", "b", "c", "d"] and g.inputs["a"].shape == ()
    x, y = m.data()
    assert x.shape == (2000,) and x[0] == -np.pi and x[-1] == np.pi
    coefficients = m.random_coefficients(3)
    np.testing.assert_allclose(gg.evaluate(g, x, y, **coefficients),
                               m.numpy_loss(x, y, **coefficients), rtol=1e-12)
    m.main()
    out = capsys.readouterr().out
    assert out.startswith("graph polynomial(") and "= diag" in out.split("after gg.optimize")[0]
    assert "grad_d=" in out.split("after gg.optimize")[1]
