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
from graphgrad.graph import OPS, evaluate_all
from graphgrad.passes.autodiff.rules import RULES

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


JAX_BACKEND = ("jvp-jacobian", "hvp-jacobian", "hessian-jacobian", "jacobian-auto")


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_transforms_agree_with_jax_differences_and_both_backends(case):
    problems = [_problem(case, shapes, kwargs) for shapes, kwargs in case.variants]
    transforms = [_ours(p) for p in problems]
    if case.op in gg.JACOBIAN_OPS:  # y itself is an explicit Jacobian, which optimize refuses to
        optimized = [{k: g for k, (g, _) in t.items()} for t in transforms]  # materialize: as is
    else:
        optimized = [{k: gg.optimize(g) for k, (g, _) in t.items()} for t in transforms]
    results = _all_jax(case, problems, transforms, optimized)
    for p, t, o, (ref, jax_outs) in zip(problems, transforms, optimized, results):
        for name, (g, extra) in t.items():
            _compare(p, name, g, o[name], extra, ref)
        for name, outs in zip(JAX_BACKEND, jax_outs):
            _agree(p, name, list(outs)[len(_base(p, name).outputs):], _expected(name, p, ref), "jax backend")
        _check_differences(p, t)


def _all_jax(case, problems, transforms, optimized):
    """jax's references and the jax backend's results of every problem, from one jitted call."""
    refs = [_references(case, p) for p in problems]
    fns = [[_jax_backend(o[k]) for k in JAX_BACKEND] for o in optimized]

    def everything(arrays):
        return [(ref(tuple(xs), tuple(ts)), [fn(*args) for fn, args in zip(fs, calls)])
                for (xs, ts, calls), ref, fs in zip(arrays, refs, fns)]

    arrays = [(list(p["values"].values()), list(p["tangents"].values()),
               [list({**p["values"], **t[k][1]}.values()) for k in JAX_BACKEND])
              for p, t in zip(problems, transforms)]
    results = jax.jit(everything, compiler_options=FAST_COMPILE)(arrays)
    return jax.tree_util.tree_map(np.asarray, results)  # numpy from here: no eager jax


def _base(p, name):
    return p["gv"] if name.startswith(("jvp", "jacobian")) else p["gs"]


def _agree(p, name, got, expected, label):
    assert len(got) == len(expected), f"{name} {label} {p['where']}: {len(got)} outputs"
    for a, e in zip(got, expected):
        np.testing.assert_allclose(a, e, **_tolerance(p), err_msg=f"{name} {label} {p['where']}")


def _compare(p, name, g, optimized, extra, ref):
    """One transform of one problem: unoptimized, optimized and numpy-compiled, against jax."""
    expected = _expected(name, p, ref)
    if name.startswith("jacobian"):
        for a, b in zip(expected, [ref["jacfwd"][i] for i in range(len(expected))]):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"jacrev/jacfwd {p['where']}")
    args = {**p["values"], **extra}
    for label, graph in (("unoptimized", g.verify()), ("optimized", optimized.verify())):
        env = evaluate_all(graph, args)
        _agree(p, name, [env[graph.output_values[n]] for n in _extra(graph, _base(p, name))], expected, label)
    compiled = gg.compile(optimized, optimize=False)(**args)  # optimized already
    _agree(p, name, list(compiled[len(_base(p, name).outputs):]), expected, "numpy backend")


FD = dict(rtol=1e-5, atol=1e-6)


def _check_differences(p, t):
    """Central differences as a second oracle: of y for jvp and jacobian, of the gradient graph
    for hvp and hessian (float64 problems only: float32 differences are too coarse here)."""
    if any(s.dtype == "float32" for s in p["gv"].inputs.values()):
        return
    values, tangents, where = p["values"], p["tangents"], p["where"]
    grads, ys = _gradient_of(p), (lambda v: [evaluate_all(p["gv"], v)[p["gv"].output_values["y"]]])
    for name, prefix, fn, out in (("hvp-vjp", "v_", grads, "hvp_{}"), ("jvp-vjp", "tangent_", ys, None)):
        g = t[name][0]
        env = evaluate_all(g, {**values, **{prefix + n: v for n, v in tangents.items()}})
        got = [env[g.output_values[out.format(n)]] for n in tangents] if out else \
            [env[g.output_values["jvp_y"]]]
        for a, e in zip(got, _along(values, fn, tangents)):
            np.testing.assert_allclose(a, e, **FD, err_msg=f"FD {name} {where}")
    hess, jac = t["hessian-vjp"][0], t["jacobian-auto"][0]
    henv, jenv = evaluate_all(hess, values), evaluate_all(jac, values)
    for x in tangents:
        for index in np.ndindex(values[x].shape):
            unit = np.zeros(values[x].shape)
            unit[index] = 1.0
            at = (Ellipsis,) + index
            for z, column in zip(tangents, _along(values, grads, {x: unit})):
                got = henv[hess.output_values[f"hessian_{z}_{x}"]][at]
                np.testing.assert_allclose(got, column, **FD, err_msg=f"FD hessian {where}")
            got = jenv[jac.output_values[f"jac_y_{x}"]][at]
            np.testing.assert_allclose(got, _along(values, ys, {x: unit})[0], **FD, err_msg=f"FD jacobian {where}")


def _gradient_of(p):
    """values -> the gradients of f (the VJP gradient graph, evaluated)."""
    grad = gg.grad(p["gs"], style="vjp")
    outs = [grad.output_values[f"grad_{n}"] for n in p["tangents"]]
    return lambda v: [evaluate_all(grad, v)[o] for o in outs]


def _along(values, fn, direction, eps=1e-6):
    """(fn(x + eps d) - fn(x - eps d)) / 2 eps, every input moved along its part of d."""
    plus = {n: v + eps * direction.get(n, 0) for n, v in values.items()}
    minus = {n: v - eps * direction.get(n, 0) for n, v in values.items()}
    return [(a - b) / (2 * eps) for a, b in zip(fn(plus), fn(minus))]


def test_every_op_has_a_tangent_half():
    """Walks the op table: an op whose rule has no forward (jvp) half fails here, named (the
    reverse-mode table test names an op without any rule)."""
    for op in OPS:
        rule = RULES.get(op)
        if rule is not None:
            assert callable(getattr(rule, "jvp", None)), f"op {op!r} has no tangent (jvp) rule"
