"""JSON serialization: exact round trips, and a loader that rejects every corrupted document with
GraphError and runs nothing named in it (a seeded mutation fuzz of several hundred documents).
"""
import json
import sys

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.graph import OPS
from graphgrad.graph.serialize import from_json

_WATCH = {"active": False, "events": []}
_FORBIDDEN = ("exec", "compile", "import", "os.system", "subprocess.Popen", "pickle.find_class",
              "builtins.input", "os.exec", "os.posix_spawn", "ctypes.dlopen")


def _audit(event, args):
    if _WATCH["active"] and event.startswith(_FORBIDDEN):
        _WATCH["events"].append(event)


sys.addaudithook(_audit)  # cheap when inactive; only watches while a document is being loaded


def load(text):
    """from_json with an audit watch: nothing may be executed, compiled, imported or spawned."""
    _WATCH["active"], _WATCH["events"] = True, []
    try:
        return from_json(text)
    finally:
        _WATCH["active"] = False
        assert not _WATCH["events"], f"loading ran {_WATCH['events']}"


# --- graphs to round-trip --------------------------------------------------------------------

def every_op_graph():
    """One graph that uses every op in the op table, both dtypes, odd constants, roles and hints."""
    g = gg.Graph("every_op")
    x, w = g.input("x", (2, 3)), g.input("w", (3, 4))
    s, v = g.input("s", (), "float32"), g.input("v", (0, 3))
    with g:
        h = x @ w
        h.name = "h"
        c = gg.constant(np.array([1.5, -0.0, np.nan, np.inf, -np.inf, 1e-310, 3.4e38, 2 ** -1074]))
        big = gg.constant(np.arange(120.0).reshape(2, 3, 20) / 7)
        big32 = gg.constant(np.linspace(-1, 1, 100, dtype=np.float32))
        flags = gg.constant(np.array([[True, False, True]]))
        unary = [getattr(gg, op)(h) for op, d in OPS.items() if d.category == "unary" and not d.attrs
                 and op not in ("log", "sqrt")]
        pos = gg.sqrt(gg.log(gg.abs(h) + 1.0)) ** 1.5
        binary = [getattr(gg, f)(h, 2.0) for f in ("add", "subtract", "multiply", "divide",
                                                    "maximum", "minimum")]
        masks = [getattr(gg, f)(x, 0.5) for f in ("less", "less_equal", "greater", "greater_equal",
                                                   "equal")]
        sel = gg.where(gg.where(masks[0], 1.0, 0.0) > 0, x, flags.astype("float64"))
        red = [h.sum(axis=-1, keepdims=True), gg.mean(h, axis=(0, 1)), h.max(axis=0)]
        shp = [h.reshape(-1, 2), h.T, gg.transpose(big, (2, 0, 1)), gg.broadcast_to(x, (5, 2, 3)),
               gg.concatenate([x, x[:1]], axis=0), h[::-1, 1:-1:2], big[..., 3], v[:, ::-2]]
        soft = [gg.softmax(h, axis=0), gg.log_softmax(h)]
        back = [g.add("sum_to", [shp[3].value], {"shape": (1, 3)}, role="backward", name="dx"),
                g.add("unslice", [shp[5].value], {"index": ((1, -1, -1), (1, 3, 2)), "shape": (2, 4)},
                      role="backward"),
                g.add("kron", [x.value, w.value], role="backward", name="J"),
                g.add("diag", [c.value], role="backward", name="not an identifier: fine for a hint"),
                g.add("eye", [], {"n": 3, "dtype": "float32"}, role="backward", name="")]
        scalar = s * gg.sum(big32)
        labels = g.input("labels", (2,), "int64")
        gathers = [gg.take(h, labels, axis=0), h[:, np.array([3, 0])],
                   gg.take_along_axis(h, labels.reshape(2, 1), 1), gg.one_hot(labels, 4)]
        scatters = [g.add("scatter_add", [gathers[0].value, labels.value], {"axis": 0, "shape": (2, 4)}),
                    g.add("scatter_along_axis", [gathers[2].value, labels.reshape(2, 1).value],
                          {"axis": 1, "shape": (2, 4)})]
        contractions = [gg.einsum("ij,jk->ik", h, w.T), gg.logsumexp(h, axis=1, keepdims=True)]
        image = g.input("image", (1, 2, 5, 5))
        kernel = gg.constant(np.ones((2, 2, 2, 2)) / 8)
        y = gg.conv2d(image, kernel, stride=2, padding="same")
        conv_ops = [y, gg.max_pool2d(image, 2), gg.avg_pool2d(image, 3, padding=1), gg.pad(image, 1, value=-np.inf),
                    g.add("conv_input_grad", [y.value, kernel.value], {**y.value.attrs, "shape": (1, 2, 5, 5)}),
                    g.add("conv_filter_grad", [image.value, y.value], {**y.value.attrs, "shape": (2, 2, 2, 2)})]
        patches = g.add("im2col", [image.value], {"kernel": (3, 2), "stride": (1, 2), "padding": (1, 0, 0, 1),
                                                 "dilation": (2, 1)})
        conv_ops += [patches, g.add("col2im", [patches], {**patches.attrs, "shape": (1, 2, 5, 5)})]
    outs = [h, c, big, *unary, pos, *binary, *masks, sel, *red, *shp, *soft, *back, scalar, *gathers,
            *scatters, *contractions, *conv_ops]
    for i, t in enumerate(outs):
        g.output(f"o{i}", t)
    g.output("x_again", x)
    g.passes = ("autodiff", "rewrite-jacobians")
    return g


def examples():
    import importlib.util
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "examples"
    graphs = []
    for name in ("two_layer_net", "polynomial"):
        spec = importlib.util.spec_from_file_location(f"_example_{name}", root / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        graphs.append(getattr(module, name))
    return graphs


def random_inputs(g, seed=0):
    rng = np.random.default_rng(seed)
    return {n: (rng.integers(0, 2, s.shape) if s.dtype.startswith("int") else rng.standard_normal(s.shape))
            .astype(s.dtype) for n, s in g.inputs.items()}


def test_every_op_graph_covers_the_op_table():
    assert {n.op for n in every_op_graph().nodes} == set(OPS)


@pytest.mark.parametrize("make", [every_op_graph, lambda: examples()[0], lambda: examples()[1]],
                         ids=["every_op", "two_layer_net", "polynomial"])
def test_round_trip_is_exact(make):
    g = make()
    text = g.to_json()
    back = load(text)
    assert str(back) == str(g)
    assert back.to_json() == text and load(g.to_json(indent=2)).to_json() == text
    assert back.passes == g.passes and back.name == g.name
    assert [(n.op, n.role, n.name, n.shape, n.dtype) for n in back.nodes] == \
           [(n.op, n.role, n.name, n.shape, n.dtype) for n in g.nodes]
    assert list(back.outputs.items()) == list(g.outputs.items())
    inputs = random_inputs(g)
    with np.errstate(all="ignore"):
        for got, want in zip(_tuple(gg.evaluate(back, **inputs)), _tuple(gg.evaluate(g, **inputs))):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)  # bit for bit (NaN equal to NaN)


def _tuple(result):
    return result if isinstance(result, tuple) else (result,)


def test_constants_keep_every_bit():
    g = every_op_graph()
    back = load(g.to_json())
    for old, new in zip(g.nodes, back.nodes):
        if old.op == "constant":
            a, b = old.attrs["value"], new.attrs["value"]
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_documented_schema():
    doc = json.loads(every_op_graph().to_json())
    assert list(doc) == ["format", "version", "name", "passes", "inputs", "nodes", "outputs"]
    assert (doc["format"], doc["version"]) == ("graphgrad", 1)
    assert doc["inputs"][0] == {"name": "x", "shape": [2, 3], "dtype": "float64"}
    assert doc["nodes"][0] == {"op": "matmul", "inputs": [{"input": "x"}, {"input": "w"}],
                               "attrs": {}, "role": "forward", "name": "h"}
    assert doc["nodes"][1]["attrs"]["value"]["data"][:5] == [1.5, -0.0, "nan", "inf", "-inf"]
    assert doc["nodes"][2]["attrs"]["value"]["encoding"] == "base64"
    assert doc["outputs"][-1] == {"name": "x_again", "ref": {"input": "x"}}


def test_hostile_name_hint_is_kept_as_text(tmp_path):
    sentinel = tmp_path / "pwned"
    doc = json.loads(every_op_graph().to_json())
    doc["nodes"][0]["name"] = f"__import__('os').system('touch {sentinel}')"
    back = load(json.dumps(doc))
    assert back.nodes[0].name == doc["nodes"][0]["name"] and not sentinel.exists()
