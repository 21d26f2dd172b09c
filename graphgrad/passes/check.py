"""`check_grads`: compare `grad` with central finite differences, like jax's `check_grads`.

Small inputs (at most `ELEMENTWISE_LIMIT` elements) are checked element by element; larger ones
along a few random directions (directional derivatives, two evaluations each) plus a random sample
of elements, so a check costs a bounded number of graph evaluations. An element matches when
|analytic - numeric| <= max(rtol * |numeric|, atol); the returned "relative error" is
|analytic - numeric| / max(|numeric|, atol / rtol), so it is <= rtol exactly when all match.
Central differences in float32 are coarse: use e.g. eps=1e-3, rtol=1e-2 for float32 graphs.
"""
from __future__ import annotations

import numpy as np

from ..graph import GradientCheckError, GraphError
from ..graph.evaluate import check_argument, evaluate_all
from .autodiff import grad, pick_output, pick_wrt

ELEMENTWISE_LIMIT = 200  # inputs up to this size are checked element by element
DIRECTIONS = 3           # random directions for larger inputs
SAMPLED_ELEMENTS = 8     # and this many random single elements


def check_grads(g, wrt=None, inputs=None, *, of=None, eps=1e-6, rtol=1e-5, atol=1e-8, seed=0):
    """The worst relative error of `gg.grad(g, wrt, of=of)` against central differences.

    `inputs` is a dict by input name; inputs it leaves out are drawn from a standard normal
    (bool ones uniformly) with `seed`. Raises `GradientCheckError` naming the input and the worst
    element (index, analytic and numeric value) when an element does not match.
    """
    of, wrt = pick_output(g, of), pick_wrt(g, wrt)
    rng = np.random.default_rng(seed)
    values = _inputs(g, inputs, rng)
    backward = grad(g, wrt, of=of, style="vjp")
    env = evaluate_all(backward, values)
    loss = _loss(g, of)
    worst = 0.0
    names = list(backward.outputs)[-len(wrt):] if wrt else []  # grad_x, or grad2_x on a grad graph
    for name, out in zip(wrt, names):
        analytic = np.asarray(env[backward.output_values[out]], dtype=np.float64)
        for where, a, n in _comparisons(loss, values, name, analytic, eps, rng):
            err = abs(a - n) / max(abs(n), atol / rtol)
            if not err <= rtol:  # also catches NaN
                raise GradientCheckError(
                    f"gradient of {of!r} with respect to {name!r} disagrees with central "
                    f"differences {where}: analytic {a:.10g} vs numeric {n:.10g} "
                    f"(relative error {err:.3g} > rtol {rtol:g})")
            worst = max(worst, err)
    return worst


def _inputs(g, given, rng) -> dict:
    """Every input's value: the given ones checked, the others random (in input order)."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(g.inputs))
    if unknown:
        raise GraphError(f"check_grads: graph {g.name!r} has no input(s) {', '.join(map(repr, unknown))}")
    values = {}
    for name, spec in g.inputs.items():
        if name in given:
            values[name] = np.array(check_argument(name, spec, given[name]))
        elif spec.dtype == "bool":
            values[name] = rng.random(spec.shape) < 0.5
        else:
            values[name] = rng.standard_normal(spec.shape).astype(spec.dtype)
    return values


def _loss(g, of):
    """values -> the float value of output `of` (via the reference evaluator)."""
    out = g.output_values[of]
    return lambda values: float(evaluate_all(g, values)[out])


def _comparisons(loss, values, name, analytic, eps, rng):
    """(where, analytic, numeric) triples for one input: every element, or directions and samples."""
    x = values[name]
    if x.size <= ELEMENTWISE_LIMIT:
        indices = list(np.ndindex(x.shape))
    else:
        for k in range(DIRECTIONS):
            v = rng.standard_normal(x.shape)
            numeric = directional_derivative(loss, values, name, v, eps)
            yield f"along random direction #{k}", float(np.sum(analytic * v)), numeric
        flat = rng.choice(x.size, size=min(SAMPLED_ELEMENTS, x.size), replace=False)
        indices = [np.unravel_index(i, x.shape) for i in sorted(flat)]
    for index in indices:
        index = tuple(int(i) for i in index)
        numeric = directional_derivative(loss, values, name, _unit(x.shape, index), eps)
        yield f"at {name}[{', '.join(map(str, index))}]", float(analytic[index]), numeric


def _unit(shape, index):
    v = np.zeros(shape)
    v[index] = 1.0
    return v


def directional_derivative(loss, values, name, direction, eps) -> float:
    """(L(x + eps v) - L(x - eps v)) / (2 eps) for input `name`, with the step actually taken.

    The perturbed inputs are rounded to the input's dtype; dividing by the step they really
    differ by (along v) keeps float32 differences honest.
    """
    x = values[name]
    plus = (x + eps * direction).astype(x.dtype)
    minus = (x - eps * direction).astype(x.dtype)
    taken = np.asarray(plus, np.float64) - np.asarray(minus, np.float64)
    vv = float(np.sum(direction * direction))
    step = float(np.sum(taken * direction)) / vv if vv else 2 * eps
    return (loss({**values, name: plus}) - loss({**values, name: minus})) / step


def numeric_gradient(loss, values, name, eps=1e-6) -> np.ndarray:
    """The central-difference gradient of `loss` (values -> float) for input `name`, elementwise."""
    x = values[name]
    out = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        out[index] = directional_derivative(loss, values, name, _unit(x.shape, index), eps)
    return out
