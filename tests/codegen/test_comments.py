"""Comments say where generated code came from; exported modules check their own arguments."""
import importlib.util
import re

import numpy as np
import pytest

import graphgrad as gg
from codegen_models import two_layer_net


@gg.function
def net(x: gg.f64[4, 3], w1: gg.f64[3, 5], w2: gg.f64[5, 2]):
    h = x @ w1
    return gg.sum(gg.tanh(h) @ w2)


LINE = net.nodes[0].meta.site.rsplit(":", 1)[1]  # the line of `h = x @ w1` above


@pytest.mark.parametrize("style", ["jacobian", "vjp"])
def test_full_comments_name_the_forward_node_its_line_and_the_rule(style):
    src = gg.codegen.emit(gg.optimize(gg.grad(net, ["w1"], style=style)), comments="full")
    line = next(l for l in src.splitlines() if l.strip().startswith("grad_w1 ="))
    assert f"∂/∂w1 of h = matmul(x, w1) (test_comments.py:{LINE}): Aᵀ·G" in line
    assert ("from (A ⊗ I)ᵀ·vec(G)" in line) == (style == "jacobian")
    assert f"h = x @ w1  # matmul f64[4,5] (test_comments.py:{LINE})" in src


def test_the_rewrite_records_its_identities():
    g = gg.optimize(gg.grad(net, ["w1"], style="jacobian"))
    identities = {a for n in g.nodes if n.meta is not None for a in n.meta.identities}
    assert any("⊗" in a for a in identities) and any("reshape" in a for a in identities)


def test_short_comments_are_the_default_and_none_writes_none():
    g = gg.optimize(gg.grad(two_layer_net(6, 5, 4, 3), wrt=["w1", "w2"]))
    assert gg.codegen.emit(g) == gg.codegen.emit(g, comments="short")
    assert "grad_w1 = x.T @ grad_h  # matmul f64[5,4]" in gg.codegen.emit(g)
    assert not re.search(r"\) *#|\w *#", gg.codegen.emit(g, comments="none").split('"""')[-1].replace(
        "# forward pass", "").replace("# backward pass", ""))
    with pytest.raises(gg.GraphError, match="comments must be one of"):
        gg.codegen.emit(g, comments="long")


def test_exported_modules_check_their_arguments_unless_asked_not_to(tmp_path):
    g = gg.grad(two_layer_net(6, 5, 4, 3), wrt=["w1", "w2"])
    args = [np.ones(s.shape) for s in g.inputs.values()]
    for check in (True, False):
        path = gg.export(g, tmp_path / f"m{check}.py", check_args=check)
        spec = importlib.util.spec_from_file_location(f"m{check}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        np.testing.assert_allclose(module.two_layer_net(*args)[1], gg.evaluate(g, *args)[1])
        assert ("_check_arg" in path.read_text()) == check
        if check:
            with pytest.raises(ValueError, match=r"input 'w1': expected shape \(5, 4\), got \(4, 5\)"):
                module.two_layer_net(args[0], args[1], args[2].T, args[3])
            with pytest.raises(ValueError, match="input 'x': expected dtype float64, got float32"):
                module.two_layer_net(args[0].astype(np.float32), *args[1:])
