"""Table-driven tests of the transforms beyond grad, over the reverse-mode op table (its CASES, so an
op added there is covered here too): jvp, hvp, hessian and jacobian, in both styles (jacobian in
every mode), against jax (rtol 1e-10, float64) and central differences, unoptimized and optimized,
and the optimized graphs through both backends.

Each variant of a case builds y = op(inputs) (the vector function, for jvp and jacobian) and
f = sum(y² ⊙ W) (the scalar one, for hvp and hessian; the square gives even a linear op a
Hessian). All jax work of a case, the references and the jax backend's generated code alike, runs
in one jitted call.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_autodiff_ops import CASES, _case_id, _draw, _values

import graphgrad as gg
from graphgrad.graph import evaluate_all
from graphgrad.passes.autodiff.rules import RULES
from graphgrad.passes.check import directional_derivative

jax.config.update("jax_enable_x64", True)

STYLES = ("vjp", "jacobian")
FAST_COMPILE = {"xla_backend_optimization_level": 0}  # XLA compiling is most of the time here
MODES = ("rev", "fwd", "auto")


def _graphs(case, shapes, kwargs):
    """(vector graph with output y, scalar graph with output f, W)."""
    in_dtype = "float32" if case.other_dtype else "float64"
    graphs = []
    for scalar in (False, True):
        g = gg.Graph("case")
        xs = [g.input(f"x{i}", s, in_dtype) for i, s in enumerate(shapes)]
        with g:
            y = case.gg_fn(*xs, **kwargs)
            w = _draw(np.random.default_rng(7), y.shape, "any")
            g.output("f" if scalar else "y", gg.sum(gg.square(y) * w.astype(y.dtype)) if scalar else y)
        graphs.append(g)
    return graphs[0], graphs[1], w


def _problem(case, shapes, kwargs):
    gv, gs, w = _graphs(case, shapes, kwargs)
    rng = np.random.default_rng(3)
    values = _values(gv, case, rng)
    tangents = {n: rng.standard_normal(s.shape).astype(s.dtype) for n, s in gv.inputs.items()
                if s.dtype in ("float32", "float64")}
    return dict(gv=gv, gs=gs, w=w, kwargs=kwargs, values=values, tangents=tangents,
                where=f"{_case_id(case)} {shapes} {kwargs}")


def _references(case, p):
    """jax's jvp, hvp, hessian, jacrev and jacfwd of one problem (traced inside the case's jit)."""
    def vec(*xs):
        return case.jax_fn(*xs, **p["kwargs"])

    def scalar(*xs):
        return jnp.sum(jnp.square(vec(*xs)) * p["w"])

    def refs(xs, ts):
        argnums = tuple(range(len(xs)))
        return dict(jvp=jax.jvp(vec, xs, ts)[1],
                    hvp=jax.jvp(jax.grad(scalar, argnums), xs, ts)[1],
                    hessian=jax.hessian(scalar, argnums)(*xs),
                    jacrev=jax.jacrev(vec, argnums)(*xs), jacfwd=jax.jacfwd(vec, argnums)(*xs))
    return refs


def _ours(p):
    """Every transform graph of a problem: name -> (graph, extra inputs to pass)."""
    gv, gs = p["gv"], p["gs"]
    out = {}
    for style in STYLES:
        out[f"jvp-{style}"] = (gg.jvp(gv, style=style), {f"tangent_{n}": t for n, t in p["tangents"].items()})
        out[f"hvp-{style}"] = (gg.hvp(gs, style=style), {f"v_{n}": t for n, t in p["tangents"].items()})
        out[f"hessian-{style}"] = (gg.hessian(gs, style=style), {})
    for mode in MODES:
        out[f"jacobian-{mode}"] = (gg.jacobian(gv, mode=mode), {})
    return out


def _expected(name, p, ref):
    """The reference arrays for our extra outputs, in our output order."""
    names = list(p["tangents"])
    kind = name.split("-")[0]
    if kind == "jvp":
        return [ref["jvp"]]
    if kind == "hvp":
        return list(ref["hvp"])
    if kind == "hessian":
        return [ref["hessian"][i][j] for i in range(len(names)) for j in range(len(names))]
    return [ref["jacrev"][i] for i in range(len(names))]


def _extra(g, base):
    return [n for n in g.outputs if n not in base.outputs]


def _jax_backend(graph):
    """The jax backend's function for an optimized graph: its source is executed inside the
    case's jit, so that module-level constants are traced too (no eager jax compiles)."""
    source = gg.codegen.emit(graph, "jax", name="f")

    def run(*args):
        namespace = {}
        exec(source, namespace)  # noqa: S102 - generated code
        return namespace["f"](*args)
    return run


def _tolerance(p):
    mixed = any(s.dtype == "float32" for s in p["gv"].inputs.values())
    return dict(rtol=1e-5, atol=1e-6) if mixed else dict(rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_transforms_agree_with_jax_differences_and_both_backends(case):
    problems = [_problem(case, shapes, kwargs) for shapes, kwargs in case.variants]
    transforms = [_ours(p) for p in problems]
    if case.op in gg.JACOBIAN_OPS:  # y itself is an explicit Jacobian, which optimize refuses to
        optimized = [{k: g for k, (g, _) in t.items()} for t in transforms]  # materialize: as is
    else:
        optimized = [{k: gg.optimize(g) for k, (g, _) in t.items()} for t in transforms]
    jax_fns = [[(_jax_backend(o[k]), k) for k in ("jvp-jacobian", "hvp-jacobian", "hessian-jacobian",
                                                   "jacobian-auto")] for o in optimized]
    refs = [_references(case, p) for p in problems]

    def everything(arrays):
        out = []
        for (xs, ts, calls), ref, fns in zip(arrays, refs, jax_fns):
            out.append((ref(tuple(xs), tuple(ts)), [fn(*args) for (fn, _), args in zip(fns, calls)]))
        return out

    arrays = []
    for p, t, fns in zip(problems, transforms, jax_fns):
        xs, ts = list(p["values"].values()), list(p["tangents"].values())
        calls = [list({**p["values"], **t[k][1]}.values()) for _, k in fns]
        arrays.append((xs, ts, calls))
    results = jax.jit(everything, compiler_options=FAST_COMPILE)(arrays)
    results = jax.tree_util.tree_map(np.asarray, results)  # numpy from here: no eager jax

    for p, t, o, fns, (ref, jax_outs) in zip(problems, transforms, optimized, jax_fns, results):
        tol, where = _tolerance(p), p["where"]
        for name, (g, extra) in t.items():
            base = p["gv"] if name.startswith(("jvp", "jacobian")) else p["gs"]
            expected = _expected(name, p, ref)
            if name.startswith("jacobian"):
                for a, b in zip(expected, [ref["jacfwd"][i] for i in range(len(expected))]):
                    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"jacrev/jacfwd {where}")
            args = {**p["values"], **extra}
            for label, graph in (("", g.verify()), (" optimized", o[name].verify())):
                env = evaluate_all(graph, args)
                got = [env[graph.output_values[n]] for n in _extra(graph, base)]
                assert len(got) == len(expected), f"{name} {where}: outputs {list(graph.outputs)}"
                for a, e in zip(got, expected):
                    np.testing.assert_allclose(a, e, **tol, err_msg=f"{name}{label} {where}")
            compiled = gg.compile(o[name], optimize=False)(**args)  # o: optimized already
            for a, e in zip(compiled[len(base.outputs):], expected):
                np.testing.assert_allclose(a, e, **tol, err_msg=f"{name} numpy backend {where}")
        for (_, name), outs in zip(fns, jax_outs):
            base = p["gv"] if name.startswith(("jvp", "jacobian")) else p["gs"]
            for a, e in zip(list(outs)[len(base.outputs):], _expected(name, p, ref)):
                np.testing.assert_allclose(a, e, **tol, err_msg=f"{name} jax backend {where}")
        _check_differences(p, t)


def _check_differences(p, t):
    """Central differences as a second oracle: of y for jvp and jacobian, of the gradient graph
    for hvp and hessian (float64 problems only: float32 differences are too coarse here)."""
    if any(s.dtype == "float32" for s in p["gv"].inputs.values()):
        return
    values, tangents, names = p["values"], p["tangents"], list(p["tangents"])
    tol = dict(rtol=1e-5, atol=1e-6)
    grad = gg.grad(p["gs"], style="vjp")
    gradient = [grad.output_values[f"grad_{n}"] for n in names]
    y = p["gv"].output_values["y"]

    def along(fn, direction):  # (fn(x + eps d) - fn(x - eps d)) / 2 eps, all inputs moved together
        eps = 1e-6
        plus = {n: v + eps * direction.get(n, 0) for n, v in values.items()}
        minus = {n: v - eps * direction.get(n, 0) for n, v in values.items()}
        return [(a - b) / (2 * eps) for a, b in zip(fn(plus), fn(minus))]

    def grads(v):
        env = evaluate_all(grad, v)
        return [env[x] for x in gradient]

    fd_hvp = along(grads, tangents)
    hvp = t["hvp-vjp"][0]
    env = evaluate_all(hvp, {**values, **{f"v_{n}": v for n, v in tangents.items()}})
    for n, e in zip(names, fd_hvp):
        np.testing.assert_allclose(env[hvp.output_values[f"hvp_{n}"]], e, **tol, err_msg=f"FD hvp {p['where']}")
    jv = t["jvp-vjp"][0]
    env = evaluate_all(jv, {**values, **{f"tangent_{n}": v for n, v in tangents.items()}})
    fd = along(lambda v: [evaluate_all(p["gv"], v)[y]], tangents)[0]
    np.testing.assert_allclose(env[jv.output_values["jvp_y"]], fd, **tol, err_msg=f"FD jvp {p['where']}")
    hess, jac = t["hessian-vjp"][0], t["jacobian-auto"][0]
    henv, jenv = evaluate_all(hess, values), evaluate_all(jac, values)
    for j, x in enumerate(names):
        shape = values[x].shape
        for index in np.ndindex(shape):
            unit = np.zeros(shape)
            unit[index] = 1.0
            column = along(grads, {x: unit})
            for i, z in enumerate(names):
                got = henv[hess.output_values[f"hessian_{z}_{x}"]][(Ellipsis,) + index]
                np.testing.assert_allclose(got, column[i], **tol, err_msg=f"FD hessian {p['where']}")
            dy = directional_derivative(lambda v: evaluate_all(p["gv"], v)[y], values, x, unit, 1e-6) \
                if p["gv"].outputs["y"].shape == () else \
                along(lambda v: [evaluate_all(p["gv"], v)[y]], {x: unit})[0]
            got = jenv[jac.output_values[f"jac_y_{x}"]][(Ellipsis,) + index]
            np.testing.assert_allclose(got, dy, **tol, err_msg=f"FD jacobian {p['where']}")


def test_every_rule_has_a_tangent_half():
    """Walks the rule table: an op whose rule has no forward (jvp) half fails here, named."""
    for op, rule in RULES.items():
        if rule is not None:
            assert callable(getattr(rule, "jvp", None)), f"op {op!r} has no tangent (jvp) rule"
