"""One test per class of input that once broke a route: constants alone in an expression,
zero-size tensors, reductions over empty axes, masked softmax scores, long names, names Python normalizes, names that
meet the wrapper's own, non-string wrt and budgets, forged document history, non-UTF-8 bytes,
and array subclasses."""
import json
import sys

import jax
import numpy as np
import pytest

import graphgrad as gg

jax.config.update("jax_enable_x64", True)
ROUTES = [(backend, optimize) for backend in ("numpy", "jax") for optimize in (True, False)]


def _run_everywhere(g, *args):
    """Every route's outputs, with the evaluator's first: each must have the node's shape and dtype."""
    results = [gg.evaluate(g, *args)]
    for backend, optimize in ROUTES:
        results.append(gg.compile(g, backend, optimize=optimize, jit=False)(*args))
    specs = list(g.outputs.values())
    for result in results:
        result = result if isinstance(result, tuple) else (result,)
        for value, spec in zip(result, specs):
            assert (np.shape(value), str(np.asarray(value).dtype)) == (spec.shape, spec.dtype)
            np.testing.assert_allclose(np.asarray(value), np.asarray(results[0] if len(specs) == 1
                                                                       else results[0][specs.index(spec)]),
                                       rtol=1e-12)
    return results


def test_expressions_of_constants_alone_keep_numpy_types():
    g = gg.Graph("g")
    x = g.input("x", (3,))
    with g:
        g.output("o", gg.sum(x) * 2.0)
        g.output("c", gg.constant(3.0) * 2.0)
    for style in ("vjp", "jacobian"):
        _run_everywhere(gg.grad(g, of="o", style=style), np.ones(3))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 4)])
def test_zero_size_tensors_through_grad_on_every_route(shape):
    g = gg.Graph("z")
    x = g.input("x", shape)
    with g:
        y = gg.tanh(x) * 2.0 + gg.sum(x, axis=0, keepdims=True)
        g.output("loss", gg.sum(gg.max(x, axis=-1)) + gg.sum(y) if shape[-1] else gg.sum(y))
    for style in ("vjp", "jacobian"):
        results = _run_everywhere(gg.grad(g, style=style), np.zeros(shape))
        assert all(r[1].shape == shape for r in results)


def test_zero_size_constants_keep_their_shape():
    g = gg.Graph("z")
    x = g.input("x", (0, 3))
    with g:
        g.output("o", x + gg.constant(np.zeros((0, 1))))
    assert "np.zeros((0, 1), dtype=np.float64)" in gg.codegen.emit(g)
    _run_everywhere(g, np.zeros((0, 3)))


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_along_an_empty_axis(op):
    g = gg.Graph("s")
    x = g.input("x", (0, 3))
    with g:
        g.output("o", getattr(gg, op)(x, axis=0))
    _run_everywhere(g, np.zeros((0, 3)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_masked_softmax_entries_are_zeros_computed_without_underflow(dtype):
    # masked scores (-1e9, -inf) come out exactly 0 and are never exp'd: numpy's exp of an input
    # whose result underflows is 5x slower, and raises here under errstate(under="raise")
    x = np.array([[1.0, -1e9, 2.0, -np.inf], [3.0, -750.0, -60.0, 0.0], [-1e9, -1e9, 0.5, 0.5]], dtype)
    e = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    want = e / e.sum(axis=1, keepdims=True)
    g = gg.Graph("s")
    with g:
        g.output("o", gg.softmax(g.input("x", (3, 4), dtype), axis=1))
    with np.errstate(under="raise"):
        for got in (gg.evaluate(g, x), gg.compile(g, "numpy")(x)):
            assert got.dtype == dtype and (got[x < -1e8] == 0).all()
            np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == "float32" else 1e-14, atol=1e-30)


def test_long_names_give_modules_that_parse(tmp_path):
    long = "v" * 120
    g = gg.Graph(long)
    x = g.input(long, (2,))
    with g:
        g.output("o" * 95, x * 2)
        g.output("p" * 95, x * 3)
    compile(gg.codegen.emit(g), "<test>", "exec")
    np.testing.assert_allclose(gg.compile(g)(np.ones(2))[1], [3.0, 3.0])
    path = gg.export(g, tmp_path / "long.py")
    compile(path.read_text(), str(path), "exec")


@pytest.mark.parametrize("name", ["ｘ", "ﬁ", "𝐠"])
@pytest.mark.parametrize("where", ["graph", "input", "output"])
def test_names_python_normalizes_are_refused(name, where):
    with pytest.raises(gg.GraphError, match="form Python reads it"):
        if where == "graph":
            gg.Graph(name)
        g = gg.Graph("g")
        x = g.input(name if where == "input" else "x", (2,))
        g.output(name, x)


def test_an_input_named_like_the_wrappers_parameters():
    g = gg.Graph("g")
    a, b = g.input("self", (2,)), g.input("args", (2,))
    with g:
        g.output("o", a * b)
    f = gg.compile(g)
    np.testing.assert_allclose(f(self=np.ones(2), args=np.full(2, 3.0)), [3.0, 3.0])


@pytest.mark.parametrize("wrt", [3, 3.5, b"x", {"x": 1}, None.__class__])
def test_non_string_wrt_is_a_graph_error(wrt):
    g = gg.Graph("g")
    x = g.input("x", (2,))
    with g:
        g.output("o", gg.sum(x))
    with pytest.raises(gg.GraphError, match="wrt"):
        gg.grad(g, wrt=wrt)


@pytest.mark.parametrize("budget", ["1GB", 1.5, True, -1])
def test_a_budget_that_is_not_bytes_is_a_graph_error(budget):
    g = gg.Graph("g")
    g.output("o", g.input("x", (2,)))
    with pytest.raises(gg.GraphError, match="max_bytes"):
        gg.compile(g, max_bytes=budget)


def test_a_forged_history_never_skips_the_optimizer():
    """A document that claims the default pipeline ran is still optimized: the 5 GB kron goes."""
    @gg.function
    def net(x: gg.f64[64, 1000], w1: gg.f64[1000, 100]):
        return gg.sum(gg.tanh(x @ w1))

    doc = json.loads(gg.grad(net, "w1").to_json())
    doc["passes"] = doc["passes"] + list(gg.passes.DEFAULT_PIPELINE)
    forged = gg.Graph.from_json(json.dumps(doc))
    f = gg.compile(forged)  # would be a MemoryBudgetError if the claim were believed
    assert "kron" not in f.source
    optimized = gg.optimize(gg.grad(net, "w1"))
    assert gg.compile(optimized).graph is optimized  # what optimize made here is not redone


def test_documents_must_be_utf8_and_decoding_imports_nothing():
    text = gg.Graph("g").to_json()
    with pytest.raises(gg.GraphError, match="UTF-8"):
        gg.Graph.from_json(text.encode("utf-16"))
    sys.modules.pop("encodings.utf_16", None)
    assert gg.Graph.from_json(text.encode("utf-8")).name == "g"
    assert "encodings.utf_16" not in sys.modules


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_array_subclasses_are_read_as_plain_arrays(backend):
    g = gg.Graph("g")
    x, y = g.input("x", (2, 2)), g.input("y", (2, 2))
    with g:
        g.output("o", gg.sum(x * y))
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    assert float(gg.compile(g, backend)(m, m)) == 30.0
    assert float(gg.evaluate(g, m, m)) == 30.0


def test_one_size_limit_for_tracing_and_loading():
    g = gg.Graph("g")
    with pytest.raises(gg.ShapeError, match="too large"):
        g.input("x", (2 ** 32, 2 ** 31))
    a, b = g.input("a", (2 ** 31, 1)), g.input("b", (1, 2 ** 32))
    with pytest.raises(gg.ShapeError, match="too large"), g:
        a @ b
