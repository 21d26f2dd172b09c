"""gg.export writes a module that runs where graphgrad cannot be imported, with the same numbers."""
import subprocess
import sys

import numpy as np
import pytest

import graphgrad as gg

# Runs in a fresh interpreter (-I: no user site, no cwd on sys.path) with graphgrad blocked, then
# imports the exported module from its path and saves its results.
RUNNER = """
import importlib.util, sys
sys.modules["graphgrad"] = None  # any `import graphgrad` now raises ImportError
path, inputs, out = sys.argv[1:4]
if "jnp" in open(path).read():  # as the module's docstring says: x64 before importing it
    import jax
    jax.config.update("jax_enable_x64", True)
spec = importlib.util.spec_from_file_location("exported", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
import numpy as np
data = np.load(inputs)
result = getattr(module, sys.argv[4])(*(data[f"a{i}"] for i in range(len(data.files))))
result = result if isinstance(result, tuple) else (result,)
np.savez(out, *[np.asarray(r) for r in result])
try:
    import graphgrad
except ImportError:
    print("graphgrad blocked")
"""


@gg.function
def mlp(x: gg.f64[8, 5], y: gg.f64[8, 3], w1: gg.f64[5, 16], b1: gg.f64[16], w2: gg.f64[16, 3]):
    h = gg.tanh(x @ w1 + b1)
    logits = h @ w2
    return gg.mean(gg.sum(-y * gg.log_softmax(logits, axis=1), axis=1)) + 0.1 * gg.sum(w1 * w1)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_exported_module_runs_without_graphgrad(tmp_path, backend):
    g = gg.grad(mlp, wrt=["w1", "b1", "w2"])
    path = gg.export(g, tmp_path / "mlp_grad.py", backend, name="mlp_grad")
    assert path == tmp_path / "mlp_grad.py" and "def mlp_grad(x, y, w1, b1, w2):" in path.read_text()
    rng = np.random.default_rng(1)
    args = [rng.standard_normal(s.shape) for s in g.inputs.values()]
    np.savez(tmp_path / "inputs.npz", **{f"a{i}": a for i, a in enumerate(args)})
    done = subprocess.run([sys.executable, "-I", "-c", RUNNER, str(path), str(tmp_path / "inputs.npz"),
                           str(tmp_path / "out.npz"), "mlp_grad"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "graphgrad blocked" in done.stdout
    got = np.load(tmp_path / "out.npz")
    want = gg.evaluate(g, *args)
    assert len(got.files) == len(want) == 4
    for i, w in enumerate(want):
        np.testing.assert_allclose(got[f"arr_{i}"], w, rtol=1e-12, atol=1e-14)


def test_export_without_optimizing_keeps_the_explicit_jacobians(tmp_path):
    g = gg.grad(mlp, wrt=["w2"])
    text = gg.export(g, tmp_path / "raw.py", optimize=False).read_text()
    assert "np.kron(" in text and "Passes that produced the graph: grad-jacobian." in text
    assert "np.kron(" not in gg.export(g, tmp_path / "opt.py").read_text()
