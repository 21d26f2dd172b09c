"""The generated source is for people: deterministic, well named, no dead code, values deleted
after their last use, exact constants, only numpy/jax imported, and the seed network's optimized
gradient reads like its hand-written backprop."""
import ast
import builtins
import keyword
import tracemalloc

import jax
import numpy as np
import pytest

import graphgrad as gg
from codegen_models import two_layer_net
from graphgrad.codegen import emit

jax.config.update("jax_enable_x64", True)


def function_def(source) -> ast.FunctionDef:
    return next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and
                not n.name.startswith("_"))


def run(source, name, *args):
    namespace = {}
    exec(compile(source, "<test>", "exec"), namespace)  # noqa: S102 - generated code under test
    return namespace[name](*args)


def test_same_graph_gives_byte_identical_source():
    g = gg.optimize(gg.grad(two_layer_net(8, 5, 4, 3)))
    again = gg.Graph.from_json(g.to_json())
    for backend in ("numpy", "jax"):
        assert emit(g, backend) == emit(g, backend) == emit(again, backend)


def test_seed_gradient_reads_like_hand_written_backprop():
    src = emit(gg.optimize(gg.grad(two_layer_net(), wrt=["w1", "w2"])))
    assert "def two_layer_net(x, y, w1, w2):" in src
    for line in ("h = x @ w1  # matmul f64[64,100]", "y_pred = h_relu @ w2  # matmul f64[64,10]",
                 "grad_w2 = h_relu.T @ grad_y_pred  # matmul f64[100,10]",
                 "grad_h_relu = grad_y_pred @ w2.T  # matmul f64[64,100]",
                 "grad_w1 = x.T @ grad_h  # matmul f64[1000,100]", "return out, grad_w1, grad_w2"):
        assert line in src
    for word in ("kron", "diag", "eye", "graphgrad import", "import graphgrad"):
        assert word not in src
    assert "Passes that produced the graph: grad-jacobian, rewrite-jacobians" in src
    assert "    w1: float64, shape (1000, 100)" in src
    assert "    grad_w1: float64, shape (1000, 100)" in src


def test_every_statement_carries_its_op_and_type():
    src = emit(gg.optimize(gg.grad(two_layer_net(8, 5, 4, 3))), "jax")
    body = [line.strip() for line in src.split('"""\n')[-1].splitlines()[1:]]
    for line in body:
        if line and not line.startswith(("del ", "return ", "#")):
            assert " = " in line and line.rsplit("  # ", 1)[1].split()[1].startswith("f64[")


def test_imports_are_only_numpy_or_jax():
    g = gg.optimize(gg.grad(two_layer_net(8, 5, 4, 3)))
    for backend, allowed in (("numpy", {"numpy"}), ("jax", {"jax", "jax.numpy"})):
        tree = ast.parse(emit(g, backend))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not any(isinstance(n, ast.ImportFrom) for n in ast.walk(tree))
        assert imported == allowed


def odd_names_graph():
    g = gg.Graph("odd")
    a = g.input("sum", (3,))
    b = g.input("np", (3,))
    hints = ["class", "max", "jnp", "my var", "3d", "__init__", "h", "h", "h_1", "é", "_private"]
    value = a.value
    for hint in hints:
        value = g.add("add", [value, b.value], name=hint)
    g.output("result", value)
    return g


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_names_are_sanitized_unique_and_never_shadow(backend):
    g = odd_names_graph()
    src = emit(g, backend)
    fn = function_def(src)
    params = [a.arg for a in fn.args.args]
    targets = [t.id for n in ast.walk(fn) if isinstance(n, ast.Assign) for t in n.targets]
    forbidden = set(keyword.kwlist) | set(dir(builtins)) | {"np", "jnp", "jax"}
    assert not (set(params + targets) & forbidden)
    assert len(targets) == len(set(targets)) and not set(params) & set(targets)
    assert params == ["sum_1", "np_1"]
    assert targets == ["class_1", "max_1", "jnp_1", "my_var", "v3d", "_init", "h", "h_1", "h_2", "add",
                       "result"]  # "é" falls back to the op's name; an output takes its own name
    assert "sum_1 (input 'sum'): float64, shape (3,)" in src
    a, b = np.arange(3.0), np.ones(3)
    np.testing.assert_allclose(np.asarray(run(src, "odd", a, b)), gg.evaluate(g, a, b))


def test_function_name_may_not_shadow_the_module():
    with pytest.raises(gg.GraphError, match="shadow"):
        emit(two_layer_net(2, 2, 2, 2), name="np")
    with pytest.raises(gg.GraphError, match="identifier"):
        emit(two_layer_net(2, 2, 2, 2), name="not valid")
    assert "def step(x, y, w1, w2):" in emit(two_layer_net(2, 2, 2, 2), name="step")


def test_dead_values_are_never_computed_and_live_ones_are_deleted_after_last_use():
    g = gg.Graph("chain")
    x = g.input("x", (512, 512)).value  # 2 MiB values: freed right after their last use
    unused = g.add("exp", [x], name="unused")
    g.add("log", [unused], name="also_unused")
    a = g.add("tanh", [x], name="a")
    b = g.add("exp", [a], name="b")
    c = g.add("add", [a, b], name="c")
    d = g.add("multiply", [c, c], name="d")
    g.output("d", d)
    g.output("b", b)
    src = emit(g)
    assert "unused" not in src
    body = function_def(src).body[1:]
    statements = [ast.unparse(s) for s in body]
    # a and c die where they are last read, so their buffers take c and d (liveness.reusable)
    assert statements == ["a = np.tanh(x)", "b = np.exp(a)", "c = np.add(a, b, out=a)", "del a",
                          "d = np.multiply(c, c, out=c)", "del c", "return (d, b)"]


def test_deletes_keep_peak_memory_near_one_value():
    """A chain of 12 elementwise ops on an 8 MB array peaks near 2 live arrays, not 12."""
    g = gg.Graph("long_chain")
    value = g.input("x", (1000, 1000)).value
    for i in range(12):
        value = g.add("tanh" if i % 2 else "exp", [value])
    g.output("y", value)
    src = emit(g)
    x = np.full((1000, 1000), 0.5)
    tracemalloc.start()
    try:
        run(src, "long_chain", x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2.5 * x.nbytes


def test_in_place_only_into_buffers_no_one_else_sees():
    """A dying operand's buffer takes an elementwise result only when the operand is a fresh
    array of the result's shape and dtype that no view shares: never an input, a view, a value
    a view was taken of, nor a broadcast operand; the results equal the evaluator's."""
    g = gg.Graph("alias")
    x = g.input("x", (256, 256)).value      # 512 KiB: large enough to reuse
    r = g.input("r", (256,)).value
    e = g.add("exp", [x], name="e")
    t = g.add("transpose", [e], {"axes": (1, 0)})  # a view of e: e is never reused
    s = g.add("add", [e, x], name="s")       # e dies here, but t still sees its buffer
    u = g.add("multiply", [s, t], name="u")  # s dies here: u writes into s
    v = g.add("add", [u, r], name="v")       # u dies here: v writes into u
    w = g.add("tanh", [x], name="w")         # x is an input: never written
    g.output("y", g.add("multiply", [v, w]))
    src = emit(g)
    statements = [ast.unparse(n) for n in function_def(src).body[1:]]
    assert "s = e + x" in statements
    assert "u = np.multiply(s, e.T, out=s)" in statements  # the view is written where read
    assert "v = np.add(u, r, out=u)" in statements
    assert not any("out=x" in line or "out=e" in line for line in statements)
    xv = np.random.default_rng(0).standard_normal((256, 256))
    rv = np.linspace(-1, 1, 256)
    want = np.tanh(xv) * ((np.exp(xv) + xv) * np.exp(xv).T + rv)
    x_before = xv.copy()
    np.testing.assert_allclose(run(src, "alias", xv, rv), want, rtol=1e-13)
    np.testing.assert_array_equal(xv, x_before)
    assert "out=" not in emit(g, "jax")


def test_constants_are_exact_literals_or_tables_never_object_reprs():
    g = gg.Graph("consts")
    x = g.input("x", (3,), "float32").value
    third = g.add("constant", [], {"value": np.asarray(1 / 3, dtype=np.float32)})
    tiny = g.add("constant", [], {"value": np.asarray(1e-45, dtype=np.float32)})
    big = g.add("constant", [], {"value": np.linspace(0, 1, 60, dtype=np.float32).reshape(20, 3)})
    y = g.add("add", [g.add("multiply", [x, third]), tiny])
    g.output("y", g.add("add", [y, big]))
    src = emit(g)
    assert "np.float32(0.33333334) " in src or "np.float32(0.33333334)\n" in src
    assert "np.float32(1e-45)" in src
    assert "array(" not in src.split("def consts")[1]  # the big one lives in the module table
    assert '"<f4", (20, 3))' in src
    xv = np.arange(3, dtype=np.float32)
    got = run(src, "consts", xv)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, gg.evaluate(g, xv))


def test_float32_code_stays_float32_through_scalars_and_helpers():
    @gg.function
    def f(x: gg.f32[2, 3]):
        s = gg.sigmoid(x) * 2.5 + gg.relu(x) ** 3 - gg.softmax(x, axis=1) / 7
        return gg.sum(s * s, axis=0) + gg.log_softmax(x, axis=0)[0]

    x = np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3)
    for backend in ("numpy", "jax"):
        got = gg.compile(f, backend, optimize=False, jit=False)(x)
        assert np.asarray(got).dtype == np.float32
        np.testing.assert_allclose(np.asarray(got), gg.evaluate(f, x), rtol=2e-6)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_outputs_that_are_inputs_constants_or_shared_values(backend):
    g = gg.Graph("edges")
    x = g.input("x", (2, 3)).value
    t = g.add("transpose", [x], {"axes": None})
    same = g.add("transpose", [g.add("transpose", [x], {"axes": None})], {"axes": None})
    g.output("x_again", x)
    g.output("t", t)
    g.output("t_again", t)
    g.output("c", g.add("constant", [], {"value": np.asarray(np.nan)}))
    g.output("same", same)
    src = emit(g, backend)
    assert "return x, t, t, c, same" in src
    xv = np.arange(6.0).reshape(2, 3)
    got = run(src, "edges", xv)
    for a, b in zip(got, gg.evaluate(g, xv)):
        np.testing.assert_array_equal(np.asarray(a), b)


def test_a_graph_without_nodes_or_outputs():
    g = gg.Graph("nothing")
    g.input("x", (2,))
    src = emit(g)
    assert "return ()" in src and run(src, "nothing", np.zeros(2)) == ()


@pytest.mark.parametrize("build, b_shape, spelled", [
    (lambda a, b: a @ b, (4, 5), "(a.reshape(-1, 4) @ b).reshape(2, 3, 5)"),  # the stack in one call
    (lambda a, b: gg.einsum("amk,amn->kn", a, b), (2, 3, 5), "np.tensordot(a, b, axes=([0, 1], [0, 1]))"),
    (lambda a, b: gg.einsum("bqd,bkd->bqk", a, b), (2, 5, 4), "a @ b.swapaxes(-1, -2)"),  # a BLAS call per matrix
    (lambda a, b: gg.einsum("bqd,bqk->bkd", a, b), (2, 3, 5), "b.swapaxes(-1, -2) @ a"),
    (lambda a, b: gg.einsum("bqd,bqd->bq", a, b), (2, 3, 4), "np.einsum('bqd,bqd->bq', a, b, optimize="),
], ids=["stack @ matrix", "einsum as tensordot", "batched einsum", "batched einsum, transposed", "other einsum"])
def test_numpy_contractions_are_one_blas_call(build, b_shape, spelled):
    g = gg.Graph("g")
    a, b = g.input("a", (2, 3, 4)), g.input("b", b_shape)
    with g:
        g.output("out", build(a, b))
    assert spelled in emit(g, comments="none")
    args = [np.random.default_rng(0).standard_normal(s.shape) for s in g.inputs.values()]
    np.testing.assert_allclose(gg.compile(g)(*args), gg.evaluate(g, *args), rtol=1e-13)
