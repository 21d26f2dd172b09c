"""docs/make_pictures.py: the seed network's stages drawn from gg.grad and gg.optimize."""
import importlib.util
import re
from pathlib import Path

import pytest

import graphgrad as gg

from dotparse import HAS_DOT, parse

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "make_pictures.py"


@pytest.fixture(scope="module")
def pictures():
    spec = importlib.util.spec_from_file_location("make_pictures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stages_show_the_jacobians_and_their_rewrite(pictures):
    stages = {name: parse(dot.source) for name, dot in pictures.stages().items()}
    backward = " ".join(a.get("label", "") for a in stages["two_layer_backward"].nodes.values())
    for formula in ("x ⊗ I₁₀₀", "I₆₄ ⊗ w2ᵀ", "h_relu ⊗ I₁₀", "diag(2 ⊙ (y_pred − y))", "5.1 GB"):
        assert formula in backward
    assert re.search(r"diag\((f′\(h\)|dh_relu_dh)\)", backward)  # the ReLU's f′, or autodiff's name
    optimized = stages["two_layer_optimized"]
    assert all(a.get("shape") != "box3d" for a in optimized.nodes.values())
    assert "cluster_backward" in optimized.clusters
    compare = stages["two_layer_compare"]
    boxes = {side: [n for n in compare.clusters[f"cluster_{side}side"]
                    if compare.nodes[n].get("shape") == "box3d"] for side in ("a_", "b_")}
    backward_graph = gg.grad(pictures.two_layer_net, ["w1", "w2"], style="jacobian")
    jacobians = [n for n in backward_graph.nodes if n.op in gg.JACOBIAN_OPS]
    assert len(boxes["a_"]) == len(jacobians) >= 5 and boxes["b_"] == []  # none left after it
    assert "forward" in stages["two_layer_forward"].cluster_attrs["cluster_forward"]["label"]


@pytest.mark.skipif(not HAS_DOT, reason="the Graphviz `dot` program is not installed")
def test_script_writes_every_picture(pictures, tmp_path):
    written = pictures.main(tmp_path)
    names = sorted(p.name for p in written)
    assert len(names) == 8 and "two_layer_compare.png" in names
    assert all(p.stat().st_size > 10_000 for p in written)
