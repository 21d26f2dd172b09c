"""gg.compile: the calling convention, argument checks, jit, and the memory budget."""
import jax
import numpy as np
import pytest

import graphgrad as gg
from codegen_models import two_layer_net

jax.config.update("jax_enable_x64", True)


def inputs(g, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s.shape).astype(s.dtype) for s in g.inputs.values()]


@pytest.fixture(scope="module")
def small_grad():
    return gg.grad(two_layer_net(6, 5, 4, 3), wrt=["w1", "w2"])


def test_compiled_function_has_source_names_and_both_calling_conventions(small_grad):
    f = gg.compile(small_grad)
    assert f.input_names == ("x", "y", "w1", "w2")
    assert f.output_names == ("out", "grad_w1", "grad_w2")
    assert f.output_names == ["out", "grad_w1", "grad_w2"]  # a tuple that also equals the list
    assert f.input_names != ["x"] and f.input_names != ("x", "y", "w2", "w1")
    assert f.source.startswith('"""two_layer_net') and "def two_layer_net(x, y, w1, w2):" in f.source
    args = inputs(small_grad)
    want = gg.evaluate(small_grad, *args)
    calls = (f(*args), f(**dict(zip(f.input_names, args))), f(args[0], args[1], w2=args[3], w1=args[2]))
    for got in calls:
        for g_, w in zip(got, want):
            np.testing.assert_allclose(g_, w, rtol=1e-12)
    assert str(__import__("inspect").signature(f)) == "(x, y, w1, w2)"


def test_arguments_are_checked_with_messages_naming_the_input(small_grad):
    f = gg.compile(small_grad)
    x, y, w1, w2 = inputs(small_grad)
    with pytest.raises(ValueError, match=r"input 'w1': expected shape \(5, 4\), got \(4, 5\)"):
        f(x, y, w1.T, w2)
    with pytest.raises(ValueError, match=r"input 'y': expected dtype float64, got float32"):
        f(x, y.astype(np.float32), w1, w2)
    with pytest.raises(ValueError, match=r"input 'x': expected shape \(6, 5\), got \(\)"):
        f(x=1.0, y=y, w1=w1, w2=w2)
    with pytest.raises(gg.GraphError, match="missing argument"):
        f(x, y, w1)
    with pytest.raises(gg.GraphError, match="unexpected argument 'w3'"):
        f(x, y, w1, w2=w2, w3=w2)
    with pytest.raises(gg.GraphError, match="4 input"):
        f(x, y, w1, w2, w2)
    np.testing.assert_allclose(f(x.tolist(), y, w1, w2)[0], f(x, y, w1, w2)[0])  # lists convert


def test_jax_backend_is_jitted_and_matches_numpy(small_grad):
    args = inputs(small_grad)
    jitted = gg.compile(small_grad, "jax")
    plain = gg.compile(small_grad, "jax", jit=False)
    assert hasattr(jitted._fn, "lower") and not hasattr(plain._fn, "lower")
    want = gg.compile(small_grad, "numpy")(*args)
    for f in (jitted, plain):
        got = f(*args)
        assert isinstance(got[1], jax.Array)
        for g_, w in zip(got, want):
            np.testing.assert_allclose(np.asarray(g_), w, rtol=1e-12)
    with pytest.raises(ValueError, match="input 'x'"):
        jitted(args[1], *args[1:])


def test_seed_network_in_jacobian_style_is_refused_before_allocating():
    g = gg.grad(two_layer_net(64, 1000, 100, 10), wrt=["w1", "w2"])
    with pytest.raises(gg.MemoryBudgetError) as info:
        gg.compile(g, optimize=False)
    message = str(info.value)
    for part in ("kron", "(6400, 100000)", "5,120,000,000 bytes", "rewrite_jacobians", "optimize=True",
                 "max_bytes"):
        assert part in message
    assert "%" in message  # names the node by its id
    f = gg.compile(g)  # the rewrite makes it small
    assert "kron" not in f.source and f(*inputs(g))[2].shape == (100, 10)


def test_small_jacobian_style_graph_materializes_the_jacobians(small_grad):
    f = gg.compile(small_grad, optimize=False)
    for call in ("np.kron(", "np.diag(", "np.eye("):
        assert call in f.source
    args = inputs(small_grad)
    for g_, w in zip(f(*args), gg.compile(small_grad)(*args)):
        np.testing.assert_allclose(g_, w, rtol=1e-10, atol=1e-12)
    jax_f = gg.compile(small_grad, "jax", optimize=False)
    for g_, w in zip(jax_f(*args), f(*args)):
        np.testing.assert_allclose(np.asarray(g_), w, rtol=1e-12)


def test_budget_on_a_plain_graph_names_the_node_and_only_suggests_a_bigger_budget():
    g = two_layer_net(64, 1000, 100, 10)
    with pytest.raises(gg.MemoryBudgetError, match=r"%0 \(matmul, 'h'\) of shape \(64, 100\)") as info:
        gg.compile(g, optimize=False, max_bytes=10_000)
    assert "51,200 bytes" in str(info.value) and "rewrite" not in str(info.value)
    gg.compile(g, optimize=False, max_bytes=51_200)  # exactly at the budget is fine
    gg.compile(g, optimize=False, max_bytes=None)


def test_unknown_backend_is_a_graph_error(small_grad):
    with pytest.raises(gg.GraphError, match="unknown backend 'torch'"):
        gg.compile(small_grad, "torch")


def test_float32_graph_compiles_to_float32_code():
    @gg.function
    def f(x: gg.f32[4, 3], w: gg.f32[3, 2]):
        return gg.sum(gg.tanh(x @ w) * 0.5)

    g = gg.grad(f)
    args = inputs(g)
    for backend in ("numpy", "jax"):
        got = gg.compile(g, backend)(*args)
        assert all(np.asarray(v).dtype == np.float32 for v in got)
        for v, w in zip(got, gg.evaluate(g, *args)):
            np.testing.assert_allclose(np.asarray(v), w, rtol=1e-5)


def test_jax_backend_without_jax_says_how_to_install(small_grad, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "jax", None)  # `import jax` now raises ImportError
    with pytest.raises(gg.GraphError, match="pip install"):
        gg.compile(small_grad, "jax")
    assert "import jax.numpy as jnp" in gg.codegen.emit(small_grad, "jax")  # emitting needs no jax


def test_jax_float64_without_x64_is_refused_not_silently_truncated(tmp_path):
    """jax's x64 mode is process-global, so the check runs in a fresh interpreter."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import graphgrad as gg
        @gg.function
        def f(x: gg.f64[3]):
            return gg.sum(x * x)
        try:
            gg.compile(f, backend="jax")
        except gg.GraphError as e:
            print("refused:", e)
        @gg.function
        def h(x: gg.f32[3]):
            return gg.sum(x * x)
        import numpy as np
        print("f32 ok:", gg.compile(h, backend="jax")(np.ones(3, "float32")))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "refused: graph 'f' computes in float64 but jax's x64 mode is off" in out.stdout
    assert "jax_enable_x64" in out.stdout and "f32 ok: 3.0" in out.stdout


def test_an_optimized_graph_is_not_optimized_again():
    import graphgrad as gg

    @gg.function
    def f(x: gg.f64[3], w: gg.f64[3]):
        return gg.sum(gg.tanh(x * w))

    opt = gg.optimize(gg.grad(f))
    source = gg.compile(opt).source
    assert source.count("rewrite-jacobians") == 1
    assert source == gg.compile(gg.grad(f)).source
