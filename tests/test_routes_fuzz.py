"""Property-based fuzz of every route: random small graphs with zero-size dimensions, scalars,
constants of every shape and long or unusual legal names, through evaluate, numpy and jax,
optimized and not, both gradient styles — all must agree, keep every node's shape and dtype,
and every emitted module must parse."""
import keyword

import jax
import numpy as np
from hypothesis import given, settings, strategies as st

import graphgrad as gg

jax.config.update("jax_enable_x64", True)

BASES = [(), (3,), (0,), (2, 3), (0, 3), (2, 0), (1, 3), (2, 1, 3), (2, 0, 3)]
UNUSUAL = ["np", "jnp", "jax", "sum", "self", "args", "base64", "_", "λ", "é_1", "grad_x",
           "x" * 100, "Ω" * 40]


@st.composite
def names(draw):
    """Legal identifiers (NFKC-normal, not keywords), some long, some clashing with what a
    generated module or its wrapper uses."""
    if draw(st.booleans()):
        return draw(st.sampled_from(UNUSUAL))
    name = draw(st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True))
    return name + "_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


def _suffix(draw, shape):
    """A shape that broadcasts against `shape`: some leading axes dropped, some set to 1."""
    cut = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.integers(0, 3)) == 0 else d for d in shape[cut:])


def _broadcasts(a, b) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


UNARY = [gg.tanh, gg.sigmoid, gg.abs, gg.negative, gg.square, lambda t: gg.exp(gg.tanh(t)),
         lambda t: gg.sqrt(gg.abs(t) + 1.0), lambda t: gg.log(gg.square(t) + 1.0)]
BINARY = [gg.add, gg.subtract, gg.multiply, gg.maximum, gg.minimum,
          lambda a, b: a / (gg.square(b) + 1.0), lambda a, b: gg.where(a > b, a, b * 0.5)]


@st.composite
def models(draw):
    """A random scalar-loss graph over 1-3 inputs broadcasting against one base shape."""
    base = draw(st.sampled_from(BASES))
    g = gg.Graph(draw(names()))
    input_names = draw(st.lists(names(), min_size=1, max_size=3, unique=True))
    with g:
        values = [g.input(n, base if i == 0 else _suffix(draw, base)) for i, n in enumerate(input_names)]
        for _ in range(draw(st.integers(1, 6))):
            a = draw(st.sampled_from(values))
            kind = draw(st.integers(0, 5))
            if kind == 0:
                values.append(draw(st.sampled_from(UNARY))(a))
            elif kind == 1:
                partners = [v for v in values if _broadcasts(a.shape, v.shape)]
                values.append(draw(st.sampled_from(BINARY))(a, draw(st.sampled_from(partners))))
            elif kind == 2:  # a constant of a shape that broadcasts: scalar, full, or zero-size
                shape = _suffix(draw, a.shape)
                values.append(a * gg.constant(np.full(shape, draw(st.sampled_from([0.5, -2.0, 3.0])))))
            elif kind == 3 and a.ndim:
                axis = draw(st.integers(-a.ndim, a.ndim - 1))
                op = draw(st.sampled_from([gg.sum, gg.mean, gg.softmax, gg.log_softmax] +
                                          ([gg.max] if a.shape[axis] else [])))
                values.append(op(a, axis=axis) if op in (gg.softmax, gg.log_softmax)
                              else op(a, axis=axis, keepdims=draw(st.booleans())))
            elif kind == 4:
                values.append(a.reshape(-1) if a.size or a.ndim else a.reshape(1))
            elif kind == 5 and a.ndim >= 2:
                values.append(a.T @ a if a.ndim == 2 and draw(st.booleans()) else a.T[..., ::-1])
        loss = gg.sum(values[-1])
    g.output(draw(names()), loss)
    return g


def _routes(g, args):
    """Outputs of every route, keyed by route, and the graphs they ran."""
    out = {"evaluate": gg.evaluate(g, *args)}
    for backend in ("numpy", "jax"):
        for optimize in (True, False):
            f = gg.compile(g, backend, optimize=optimize, jit=False)
            compile(f.source, "<fuzz>", "exec")  # the module parses on its own
            out[(backend, optimize)] = f(*args)
    return out


@settings(max_examples=60, deadline=None)
@given(models(), st.integers(0, 2 ** 16))
def test_every_route_agrees_on_random_graphs(g, seed):
    rng = np.random.default_rng(seed)
    args = [rng.standard_normal(s.shape) for s in g.inputs.values()]
    reference = None
    for style in ("vjp", "jacobian"):
        dg = gg.grad(g, style=style)
        specs = list(dg.outputs.values())
        for route, result in _routes(dg, args).items():
            result = result if isinstance(result, tuple) else (result,)
            for spec, value in zip(specs, result):
                assert np.shape(value) == spec.shape and str(np.asarray(value).dtype) == spec.dtype, \
                    (style, route, spec)
            if reference is None:
                reference = result
            for want, got in zip(reference, result):
                np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-9, atol=1e-12,
                                           err_msg=f"{style} {route}")
