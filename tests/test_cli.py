"""The `graphgrad` command: each subcommand, exit codes 0/1/2, and one-line errors."""
import subprocess
import sys

import numpy as np
import pytest

from graphgrad.cli import main

MODEL = '''
import graphgrad as gg

@gg.function
def two_layer_net(x: gg.f64[8, 5], y: gg.f64[8, 3], w1: gg.f64[5, 4], w2: gg.f64[4, 3]):
    h = x @ w1
    h_relu = gg.maximum(h, 0)
    y_pred = h_relu @ w2
    return gg.sum(gg.square(y_pred - y))

@gg.function
def coarse(x: gg.f32[20], w: gg.f32[20]):
    return gg.sum(gg.tanh(x * w) * 3.0)

not_a_graph = 3
'''


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    return path


def one_line_error(capsys, argv, *, code=2):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_compile_writes_a_module_that_computes_the_gradient(model, tmp_path, capsys):
    out = tmp_path / "grad.py"
    assert main(["compile", f"{model}:two_layer_net", "--wrt", "w1,w2", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    namespace = {}
    exec(out.read_text(), namespace)  # noqa: S102 - the module under test
    rng = np.random.default_rng(0)
    x, y, w1, w2 = (rng.standard_normal(s) for s in [(8, 5), (8, 3), (5, 4), (4, 3)])
    loss, grad_w1, grad_w2 = namespace["two_layer_net"](x, y, w1, w2)
    h = x @ w1
    grad_y_pred = 2.0 * (np.maximum(h, 0) @ w2 - y)
    np.testing.assert_allclose(grad_w2, np.maximum(h, 0).T @ grad_y_pred, rtol=1e-12)
    np.testing.assert_allclose(grad_w1, x.T @ ((grad_y_pred @ w2.T) * (h > 0)), rtol=1e-12)


def test_compile_options_reach_the_code(model, capsys):
    assert main(["compile", f"{model}:two_layer_net", "--backend", "jax", "--style", "vjp",
                 "--name", "step", "--wrt", "w2"]) == 0
    src = capsys.readouterr().out
    assert "import jax.numpy as jnp" in src and "def step(x, y, w1, w2):" in src
    assert "grad_w2" in src and "grad_w1" not in src and "grad-vjp" in src
    assert main(["compile", f"{model}:two_layer_net", "--no-optimize"]) == 0
    assert "np.kron(" in capsys.readouterr().out
    assert main(["compile", f"{model}:two_layer_net", "--no-grad"]) == 0
    assert "grad" not in capsys.readouterr().out.split("def two_layer_net")[1]
    err = one_line_error(capsys, ["compile", f"{model}:two_layer_net", "--no-optimize",
                                  "--max-bytes", "1000"])
    assert "MemoryBudget" not in err and "over the budget max_bytes=1,000" in err
    assert "drop --no-optimize" in err and "raise --max-bytes" in err


def test_check_prints_the_worst_error_and_exits_1_on_a_mismatch(model, capsys):
    assert main(["check", f"{model}:two_layer_net", "--wrt", "w1"]) == 0
    assert "worst relative error" in capsys.readouterr().out
    assert main(["check", f"{model}:coarse"]) == 0  # float32: a step and tolerances for float32
    assert "eps 0.01, rtol 0.02, atol 0.0001 for float32" in capsys.readouterr().out
    err = one_line_error(capsys, ["check", f"{model}:coarse", "--eps", "1e-6", "--rtol", "1e-5"], code=1)
    assert "mismatch" in err and "'x'" in err
    assert main(["check", f"{model}:coarse", "--eps", "1e-2", "--rtol", "5e-2", "--atol", "1e-3"]) == 0


def test_draw_renders_or_says_why_not(model, tmp_path, capsys):
    out = tmp_path / "net.svg"
    code = main(["draw", f"{model}:two_layer_net", "--stage", "optimized", "-o", str(out)])
    captured = capsys.readouterr()
    if code == 0:
        assert out.read_text().lstrip().startswith(("<?xml", "<svg"))
    else:  # no Graphviz binary: one clear line
        assert code == 2 and captured.err.count("\n") == 1 and "dot" in captured.err


@pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_draw_compare_puts_both_graphs_side_by_side(model, tmp_path, capsys):
    out = tmp_path / "compare.svg"
    assert main(["draw", f"{model}:two_layer_net", "--stage", "compare", "-o", str(out)]) == 0
    svg = out.read_text()
    assert "explicit Jacobians" in svg and "rewritten" in svg and "kron" in svg


@pytest.mark.parametrize("argv, words", [
    (["compile", "{m}:nope"], "has no 'nope' (graphs there: coarse, two_layer_net)"),
    (["compile", "{m}:not_a_graph"], "is of type int, not a gg.Graph"),
    (["compile", "{d}/missing.py:f"], "no such file"),
    (["compile", "{m}"], "expected FILE.py:NAME"),
    (["compile", "{m}:two_layer_net", "--wrt", "zz"], "no input 'zz'"),
    (["compile", "{m}:two_layer_net", "--backend", "torch"], "invalid choice: 'torch'"),
    (["compile", "{m}:two_layer_net", "--no-grad", "--wrt", "w1"], "--no-grad"),
    (["compile", "{m}:two_layer_net", "-o", "{m}/under/a/file.py"], "Not a directory"),
    (["check", "{m}:two_layer_net", "--of", "loss"], "loss"),
    (["draw", "{m}:two_layer_net"], "-o/--output"),
    (["frobnicate"], "invalid choice"),
    ([], "choose a command"),
    (["compile", "{d}/broken.py:f"], "running"),
])
def test_user_mistakes_print_one_line_and_exit_2(model, tmp_path, capsys, argv, words):
    (tmp_path / "broken.py").write_text("import graphgrad as gg\nx = 1 / 0\n")
    argv = [a.format(m=model, d=tmp_path) for a in argv]
    assert words in one_line_error(capsys, argv)


def test_help_documents_every_option_with_an_example(capsys):
    for command in ("compile", "draw", "check"):
        with pytest.raises(SystemExit) as info:
            from graphgrad.cli import build_parser

            build_parser().parse_args([command, "--help"])
        assert info.value.code == 0
        text = capsys.readouterr().out
        assert "examples:" in text and f"graphgrad {command} model.py:mlp" in text
        section = text.split("options:")[1].split("examples:")[0]
        entries = [" ".join(e.split()) for e in section.split("\n  -")[2:]]  # after -h/--help
        assert len(entries) >= 4
        for entry in entries:
            assert "e.g. -" in entry, entry


def test_python_dash_m_graphgrad_runs_the_command(model):
    done = subprocess.run([sys.executable, "-m", "graphgrad", "compile", f"{model}:nope"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("graphgrad: error:")
    assert done.stderr.count("\n") == 1


def test_json_graphs_and_per_node_pictures(model, tmp_path, capsys):
    import graphgrad as gg

    doc = tmp_path / "net.json"
    doc.write_text(gg.grad(gg.Graph.from_json(_seed_json(model)), ["w1"]).to_json())
    assert main(["compile", str(doc), "--no-grad", "-o", str(tmp_path / "net.py")]) == 0
    assert (tmp_path / "net.py").read_text().count("def ") >= 1
    picture = tmp_path / "check.svg"
    code = main(["check", f"{model}:two_layer_net", "--draw", str(picture)])
    out = capsys.readouterr().out
    assert code == 0 or "dot" in out
    if code == 0:
        assert "node checks, 0 failing" in out and picture.exists()


def _seed_json(model):
    from graphgrad.cli import load_graph

    return load_graph(f"{model}:two_layer_net").to_json()


def test_unknown_ops_in_documents_list_close_matches():
    import json

    import graphgrad as gg

    g = gg.Graph("g")
    x = g.input("x", (2,))
    with g:
        g.output("o", gg.tanh(x))
    doc = json.loads(g.to_json())
    doc["nodes"][0]["op"] = "tahn"
    with pytest.raises(gg.GraphError, match="did you mean 'tanh'"):
        gg.Graph.from_json(json.dumps(doc))


def _module(path):
    namespace = {}
    exec(path.read_text(), namespace)  # noqa: S102 - the module under test
    return namespace


@pytest.mark.parametrize("transform, extra", [
    ("jvp", ["--wrt", "w2"]), ("hvp", ["--wrt", "w2"]), ("hessian", ["--wrt", "w2", "--mode", "rev"]),
    ("jacobian", ["--wrt", "w2", "--backend", "jax"]), ("grad", ["--wrt", "w2", "--style", "vjp"]),
])
def test_compile_transform_writes_the_transformed_module(model, tmp_path, capsys, transform, extra):
    import jax

    import graphgrad as gg
    from graphgrad.cli import load_graph

    jax.config.update("jax_enable_x64", True)  # the float64 module needs it on the jax backend
    out = tmp_path / f"{transform}.py"
    assert main(["compile", f"{model}:two_layer_net", "--transform", transform, *extra, "-o", str(out)]) == 0
    g = load_graph(f"{model}:two_layer_net")
    fn = {"jvp": gg.jvp, "hvp": gg.hvp, "hessian": gg.hessian, "grad": gg.grad}.get(transform, gg.jacobian)
    want_graph = fn(g, wrt="w2") if transform != "jacobian" else gg.jacobian(g, wrt="w2")
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s.shape) for s in want_graph.inputs.values()]
    got = _module(out)["two_layer_net"](*args)
    want = gg.evaluate(want_graph, *args)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-10, atol=1e-12)
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--transform", "jvp", "--of", "out"], "--of makes no sense with --transform jvp"),
    (["--transform", "grad", "--mode", "rev"], "--mode orders Jacobian products"),
    (["--transform", "hvp", "--no-grad"], "--no-grad emits the graph as it is"),
    (["--transform", "sideways"], "invalid choice: 'sideways'"),
    (["--transform", "hessian", "--max-bytes", "100"], "output 'hessian_x_x' of shape (8, 5, 8, 5)"),
    (["--transform", "jacobian", "--of", "nope"], "of: graph 'two_layer_net' has no output 'nope'"),
])
def test_compile_transform_mistakes_are_one_line(model, capsys, argv, message):
    err = one_line_error(capsys, ["compile", f"{model}:two_layer_net", *argv])
    assert message in err
