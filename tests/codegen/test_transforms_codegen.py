"""Every transform's graph compiles and exports on both backends, and the modules agree with the
reference evaluator (exported modules imported from their files, graphgrad not needed)."""
import importlib.util

import jax
import numpy as np
import pytest

import graphgrad as gg

jax.config.update("jax_enable_x64", True)


@gg.function
def net(x: gg.f64[6, 4], y: gg.f64[6, 2], w1: gg.f64[4, 5], w2: gg.f64[5, 2]):
    h = gg.tanh(x @ w1)
    return gg.sum(gg.square(h @ w2 - y)) + 0.1 * gg.sum(gg.sigmoid(w1))


TRANSFORMS = {
    "grad": lambda g, style: gg.grad(g, ["w1", "w2"], style=style),
    "jvp": lambda g, style: gg.jvp(g, ["w1", "w2"], style=style),
    "hvp": lambda g, style: gg.hvp(g, ["w1", "w2"], style=style),
    "hessian": lambda g, style: gg.hessian(g, ["w1", "w2"], style=style),
    "jacobian": lambda g, style: gg.jacobian(gg.grad(g, "w2", style=style), of="grad_w2", wrt="w1",
                                             mode="auto"),
}


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("style", ["vjp", "jacobian"])
@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_compile_and_export_on_both_backends(name, style, tmp_path):
    g = TRANSFORMS[name](net, style)
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s.shape) for s in g.inputs.values()]
    want = gg.evaluate(g, *args)
    results = [gg.compile(g, backend)(*args) for backend in ("numpy", "jax")]
    for backend in ("numpy", "jax"):
        path = gg.export(g, tmp_path / f"{name}_{backend}.py", backend, name="f")
        results.append(_load(path).f(*args))
    for got in results:
        for a, e in zip(got, want):
            np.testing.assert_allclose(np.asarray(a), e, rtol=1e-10, atol=1e-12)
