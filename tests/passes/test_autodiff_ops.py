"""Table-driven gradient tests over the op table: every differentiable op, both styles.

Each case builds loss = sum(op(inputs) * W) with fixed random weights W and compares `gg.grad`
in both styles with central differences (rtol 1e-6), with `jax.grad` of the same jnp expression
(rtol 1e-10), with each other (1e-12), and in float32 with jax (rtol 2e-3). Inputs are drawn
float32-representable, so one float64 jax gradient serves both dtypes.
"""
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.graph import OPS, Tensor, evaluate_all
from graphgrad.graph.ops_structural import index_to_slices
from graphgrad.graph.shapes import sum_to_axes
from graphgrad.passes.autodiff.rules import NO_GRADIENT, RULES
from graphgrad.passes.check import numeric_gradient

jax.config.update("jax_enable_x64", True)

SEEDS = (0, 1)


@dataclass
class Case:
    """One op's test: gg and jnp spellings, variants (operand shapes, keyword args), domains."""

    op: str
    gg_fn: object
    jax_fn: object
    variants: list
    domains: tuple = ("any",)          # per operand: any, pos (0.5..2), nonzero (±0.5..2)
    other_dtype: bool = False          # operands use the other float dtype (cast)
    tags: dict = field(default_factory=dict)


def raw(op, *xs, **attrs):
    """A node of an op the front end has no function for (sum_to, unslice)."""
    return Tensor(xs[0].graph.add(op, tuple(x.value for x in xs), attrs))


def jnp_sum_to(x, shape):
    lead, ones = sum_to_axes(x.shape, shape)
    return jnp.sum(x, axis=lead + ones, keepdims=True).reshape(shape)


def jnp_unslice(g, index, shape):
    return jnp.zeros(shape, g.dtype).at[index_to_slices(index)].set(g)


UNARY = [(((),), {}), (((1,),), {}), (((5,),), {}), (((3, 4),), {}), (((1, 1),), {}),
         (((4, 1),), {}), (((2, 3, 4),), {})]
BINARY = [(((), ()), {}), (((5,), (5,)), {}), (((3, 4), (3, 4)), {}), (((3, 4), ()), {}),
          (((), (4,)), {}), (((3, 1), (1, 4)), {}), (((2, 3, 4), (4,)), {}),
          (((1,), (2, 3, 1)), {}), (((1, 1), (1, 1)), {})]
REDUCE = [(((),), dict(axis=None)), (((5,),), dict(axis=None)), (((5,),), dict(axis=0, keepdims=True)),
          (((3, 4),), dict(axis=1)), (((3, 4),), dict(axis=(0,), keepdims=True)),
          (((2, 3, 4),), dict(axis=(0, 2))), (((2, 3, 4),), dict(axis=-1, keepdims=True)),
          (((1, 1),), dict(axis=None)), (((4, 1),), dict(axis=1))]
SOFTMAX = [(((5,),), dict(axis=-1)), (((3, 4),), dict(axis=0)), (((3, 4),), dict(axis=1)),
           (((2, 3, 4),), dict(axis=1)), (((1,),), dict(axis=0)), (((1, 1),), dict(axis=1)),
           (((4, 1),), dict(axis=0)), (((2, 3, 4),), dict(axis=-1))]


JAX_SPELLINGS = {"sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu}  # else jnp's function of that name
DOMAINS = {"log": ("pos",), "sqrt": ("pos",), "divide": ("any", "nonzero")}


def _elementwise_cases():
    """A case for every differentiable elementwise op of the op table without attributes."""
    out = []
    for op, d in OPS.items():
        if d.category in ("unary", "binary") and not d.attrs and RULES[op] is not NO_GRADIENT:
            jfn = JAX_SPELLINGS.get(op) or getattr(jnp, op)
            out.append(Case(op, getattr(gg, op), jfn, UNARY if d.arity == 1 else BINARY,
                            DOMAINS.get(op, ("any",) * d.arity)))
    return out


CASES = [
    *_elementwise_cases(),
    Case("power", lambda x: x ** 3, lambda x: x ** 3.0, UNARY),
    Case("power", lambda x: x ** -1.5, lambda x: x ** -1.5, UNARY, ("pos",), tags={"id": "power-1.5"}),
    Case("power", lambda x: gg.power(x, 0.5), lambda x: x ** 0.5, UNARY, ("pos",), tags={"id": "power0.5"}),
    Case("cast", lambda x: x.astype("float64" if x.dtype == "float32" else "float32"),
         lambda x: x.astype(jnp.float64 if x.dtype == jnp.float32 else jnp.float32), UNARY,
         other_dtype=True),
    Case("where", lambda a, b, c: gg.where(c > 0, a, b), lambda a, b, c: jnp.where(c > 0, a, b),
         [(((), (), ()), {}), (((5,), (5,), (5,)), {}), (((3, 4), (), (3, 4)), {}),
          (((3, 1), (1, 4), (3, 4)), {}), (((2, 3, 4), (4,), (3, 1)), {}), (((1,), (1,), (1,)), {}),
          (((3, 4), (3, 4), ()), {})], ("any", "any", "nonzero")),
    Case("sum", gg.sum, jnp.sum, REDUCE),
    Case("mean", gg.mean, jnp.mean, REDUCE),
    Case("max", gg.max, jnp.max, REDUCE),
    Case("sum_to", lambda x, shape: raw("sum_to", x, shape=shape), jnp_sum_to,
         [(((3, 4),), dict(shape=(4,))), (((3, 4),), dict(shape=(1, 4))), (((3, 4),), dict(shape=(3, 1))),
          (((2, 3, 4),), dict(shape=(3, 1))), (((5,),), dict(shape=())),
          (((2, 3, 4),), dict(shape=(1, 1, 4))), (((1, 1),), dict(shape=(1,))), (((4, 1),), dict(shape=()))]),
    Case("softmax", gg.softmax, jax.nn.softmax, SOFTMAX),
    Case("log_softmax", gg.log_softmax, jax.nn.log_softmax, SOFTMAX),
    Case("reshape", gg.reshape, jnp.reshape,
         [(((),), dict(shape=(1,))), (((6,),), dict(shape=(2, 3))), (((3, 4),), dict(shape=(12,))),
          (((3, 4),), dict(shape=(2, 6))), (((2, 3, 4),), dict(shape=(4, 6))),
          (((1, 1),), dict(shape=())), (((2, 3, 4),), dict(shape=(6, -1)))]),
    Case("transpose", gg.transpose, jnp.transpose,
         [(((),), dict(axes=None)), (((5,),), dict(axes=None)), (((3, 4),), dict(axes=None)),
          (((3, 4),), dict(axes=(1, 0))), (((2, 3, 4),), dict(axes=(1, 2, 0))),
          (((2, 3, 4),), dict(axes=(2, 0, 1))), (((1, 1),), dict(axes=None)), (((4, 1),), dict(axes=(-1, 0)))]),
    Case("broadcast_to", gg.broadcast_to, jnp.broadcast_to,
         [(((),), dict(shape=(3,))), (((1,),), dict(shape=(4,))), (((4,),), dict(shape=(3, 4))),
          (((3, 1),), dict(shape=(3, 4))), (((1, 4),), dict(shape=(2, 3, 4))),
          (((3, 4),), dict(shape=(3, 4))), (((1, 1),), dict(shape=(2, 1, 3)))]),
    Case("concatenate", lambda *xs, axis: gg.concatenate(xs, axis), lambda *xs, axis: jnp.concatenate(xs, axis),
         [(((3,), (2,)), dict(axis=0)), (((2, 3), (4, 3)), dict(axis=0)),
          (((2, 3), (2, 1), (2, 2)), dict(axis=1)), (((2, 3, 4), (2, 1, 4)), dict(axis=1)),
          (((1,), (1,)), dict(axis=0)), (((3, 4),), dict(axis=0)), (((2, 2, 3), (2, 2, 1)), dict(axis=-1))]),
    Case("slice", lambda x, key: x[key], lambda x, key: x[key],
         [(((5,),), dict(key=slice(1, 3))), (((5,),), dict(key=slice(None, None, 2))),
          (((5,),), dict(key=1)), (((3, 4),), dict(key=(slice(None), slice(1, None)))),
          (((2, 3, 4),), dict(key=(Ellipsis, 0))), (((5,),), dict(key=slice(None, None, -1))),
          (((2, 3, 4),), dict(key=(0, slice(1, 3), slice(None, None, 2)))),
          (((1, 1),), dict(key=(slice(0, 1), 0)))]),
    Case("unslice", lambda g, index, shape: raw("unslice", g, index=index, shape=shape), jnp_unslice,
         [(((2,),), dict(index=((1, 3, 1),), shape=(5,))), (((),), dict(index=(2,), shape=(5,))),
          (((3, 2),), dict(index=((0, 3, 1), (1, 4, 2)), shape=(3, 4))),
          (((3, 2),), dict(index=(1, (0, 3, 1), (4, 0, -2)), shape=(2, 3, 5))),
          (((1,),), dict(index=((0, 1, 1),), shape=(1,))), (((5,),), dict(index=((4, -1, -1),), shape=(5,))),
          (((2, 4),), dict(index=((0, 2, 1), (0, 4, 1)), shape=(3, 4)))]),
    Case("kron", lambda a, b: raw("kron", a, b), jnp.kron,
         [(((2, 2), (2, 2)), {}), (((1, 1), (3, 2)), {}), (((2, 3), (1, 1)), {}), (((2, 3), (3, 2)), {}),
          (((1, 3), (2, 1)), {}), (((3, 1), (1, 2)), {}), (((1, 1), (1, 1)), {})]),
    Case("diag", lambda v: raw("diag", v), jnp.diag,
         [(((1,),), {}), (((2,),), {}), (((3,),), {}), (((4,),), {}), (((5,),), {}), (((6,),), {}),
          (((7,),), {})]),
    Case("matmul", gg.matmul, jnp.matmul,
         [(((3,), (3,)), {}), (((2, 3), (3,)), {}), (((3,), (3, 4)), {}), (((2, 3), (3, 4)), {}),
          (((1, 1), (1, 1)), {}), (((2, 2, 3), (3, 4)), {}), (((2, 3), (2, 3, 4)), {}),
          (((2, 1, 2, 3), (3, 3, 2)), {}), (((2, 3, 4), (4,)), {}), (((3,), (2, 3, 4)), {})]),
]


def _case_id(case):
    return case.tags.get("id", case.op)


def _draw(rng, shape, domain):
    """Random float32-representable values (as float64) in the operand's domain."""
    if domain == "any":
        x = rng.standard_normal(shape)
    else:
        x = rng.uniform(0.5, 2.0, shape)
        if domain == "nonzero":
            x = x * rng.choice([-1.0, 1.0], shape)
    return np.asarray(x, np.float32).astype(np.float64)


def _build(case, shapes, kwargs, dtype, weights_seed):
    """The forward graph loss = sum(op(x0, x1, ...) * W) and the weights W."""
    in_dtype = ({"float64": "float32", "float32": "float64"}[dtype] if case.other_dtype else dtype)
    g = gg.Graph("case")
    xs = [g.input(f"x{i}", s, in_dtype) for i, s in enumerate(shapes)]
    with g:
        y = case.gg_fn(*xs, **kwargs)
        w = _draw(np.random.default_rng(weights_seed), y.shape, "any")
        g.output("loss", gg.sum(y * w.astype(y.dtype)))
    assert case.op in [n.op for n in g.nodes], f"case {_case_id(case)} does not build a {case.op} node"
    return g, w


def _ours(g, values, style):
    dg = gg.grad(g, style=style)
    env = evaluate_all(dg.verify(), values)
    return [np.asarray(env[dg.output_values[f"grad_{n}"]], np.float64) for n in g.inputs]


def _jax_all(case, problems):
    """jax.grad of every (kwargs, values, W) problem of a case, in one jitted call (compiling is
    jax's slow part: one program per case instead of one per primitive and shape)."""
    def all_grads(arrays):
        return [jax.grad(lambda xs, w: jnp.sum(case.jax_fn(*xs, **kwargs) * w))(xs, w)
                for (kwargs, _, _), (xs, w) in zip(problems, arrays)]
    arrays = [([jnp.asarray(v, np.float64) for v in values.values()], jnp.asarray(w))
              for _, values, w in problems]
    return [[np.asarray(gr, np.float64) for gr in grads] for grads in jax.jit(all_grads)(arrays)]


def _values(g, case, rng):
    domains = case.domains * len(g.inputs) if len(case.domains) == 1 else case.domains
    return {n: _draw(rng, s.shape, d).astype(s.dtype) for (n, s), d in zip(g.inputs.items(), domains)}


def _problems(case):
    """Every (kwargs, values, W) of a case, with its float64 graph, shapes and seed."""
    out = []
    for shapes, kwargs in case.variants:
        for seed in SEEDS:
            g, w = _build(case, shapes, kwargs, "float64", seed + 100)
            values = _values(g, case, np.random.default_rng(seed))
            out.append((g, (kwargs, values, w), (shapes, seed)))
    return out


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_op_gradients_agree_with_differences_jax_and_each_other(case):
    assert len(case.variants) >= 7
    problems = _problems(case)
    expected_all = _jax_all(case, [p for _, p, _ in problems])
    for (g, (kwargs, values, w), (shapes, seed)), expected in zip(problems, expected_all):
        where = f"{_case_id(case)} {shapes} {kwargs} seed {seed}"
        vjp, jac = _ours(g, values, "vjp"), _ours(g, values, "jacobian")
        loss_node = g.output_values["loss"]
        for name, a, b, e in zip(g.inputs, vjp, jac, expected):
            fd = numeric_gradient(lambda v: float(evaluate_all(g, v)[loss_node]), values, name)
            np.testing.assert_allclose(a, fd, rtol=1e-6, atol=1e-7, err_msg=f"FD {where} {name}")
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12, err_msg=f"jax {where} {name}")
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14, err_msg=f"styles {where} {name}")
        g32, _ = _build(case, shapes, kwargs, "float32", seed + 100)
        values32 = {n: v.astype(s.dtype) for (n, v), s in zip(values.items(), g32.inputs.values())}
        for style in ("vjp", "jacobian"):
            for name, a, e in zip(g.inputs, _ours(g32, values32, style), expected):
                np.testing.assert_allclose(a, e, rtol=2e-3, atol=1e-4, err_msg=f"f32 {style} {where} {name}")


def test_every_differentiable_op_has_a_rule_and_a_case():
    """Walks the op table: an op without a rule (NO_GRADIENT counts as one), or a differentiable
    op without a gradient test case, fails here naming it."""
    tested = {case.op for case in CASES}
    for name, op in OPS.items():
        assert name in RULES, f"op {name!r} has no derivative rule (or NO_GRADIENT) in rules.RULES"
        if RULES[name] is not NO_GRADIENT and op.category != "jacobian":
            assert name in tested, f"differentiable op {name!r} has no gradient test case"
    assert not set(RULES) - set(OPS), "rules for ops that do not exist"
    for name in ("less", "less_equal", "greater", "greater_equal", "equal", "sign", "constant", "eye"):
        assert RULES[name] is NO_GRADIENT


@pytest.mark.parametrize("op", ["kron", "diag"])
def test_an_explicit_jacobian_that_is_no_product_is_differentiated_through_its_rule(op):
    """kron and diag have rules: a Jacobian used other than as a product (which grad would
    rewrite first) is differentiated like any op, in both styles."""
    g = gg.Graph("explicit")
    a = g.input("a", (2, 2))
    with g:
        j = raw("kron", a, a) if op == "kron" else raw("diag", a.reshape(4))
        g.output("loss", gg.sum(gg.square(j)))
    x = np.arange(4.0).reshape(2, 2) + 1
    jfn = (lambda a: jnp.sum(jnp.kron(a, a) ** 2)) if op == "kron" else (lambda a: jnp.sum(jnp.diag(a.reshape(4)) ** 2))
    for style in ("vjp", "jacobian"):
        np.testing.assert_allclose(gg.evaluate(gg.grad(g, style=style), x)[1], jax.grad(jfn)(x), rtol=1e-12)
