"""`check_grads`: compare `grad` with central finite differences, like jax's `check_grads`.

Small inputs (at most `ELEMENTWISE_LIMIT` elements) are checked element by element; larger ones
along a few random directions (directional derivatives, two evaluations each) plus a random sample
of elements, so a check costs a bounded number of graph evaluations. An element matches when
|analytic - numeric| <= max(rtol * |numeric|, atol); the returned "relative error" is
|analytic - numeric| / max(|numeric|, atol / rtol), so it is <= rtol exactly when all match.
The step and tolerances default by dtype (TOLERANCES: float32 needs a larger step, since its
rounding error grows as the step shrinks); the result says which were used.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..graph import GradientCheckError, Graph, GraphError
from ..graph.evaluate import check_argument, evaluate_all
from .autodiff import grad, pick_output, pick_wrt

ELEMENTWISE_LIMIT = 200  # inputs up to this size are checked element by element
DIRECTIONS = 3           # random directions for larger inputs
SAMPLED_ELEMENTS = 8     # and this many random single elements
TOLERANCES = {  # dtype -> (eps, rtol, atol): float32 takes a larger step and looser tolerances
    "float64": (1e-6, 1e-5, 1e-8),
    "float32": (1e-2, 2e-2, 1e-4),
}


class CheckResult(float):
    """The worst relative error, with the step and tolerances that `check_grads` used."""

    def __new__(cls, worst, eps, rtol, atol, dtype):
        self = super().__new__(cls, worst)
        self.eps, self.rtol, self.atol, self.dtype = eps, rtol, atol, dtype
        return self

    def settings(self) -> str:
        return f"eps {self.eps:g}, rtol {self.rtol:g}, atol {self.atol:g} for {self.dtype}"


def tolerances(g, wrt, eps, rtol, atol):
    """(eps, rtol, atol, dtype): the ones given, the others by the least precise input in `wrt`."""
    dtype = "float32" if any(g.inputs[n].dtype == "float32" for n in wrt) else "float64"
    defaults = TOLERANCES[dtype]
    return tuple(d if v is None else v for v, d in zip((eps, rtol, atol), defaults)) + (dtype,)


def check_grads(g: Graph, wrt: str | Sequence[str] | None = None, inputs: dict | None = None, *,
                of: str | None = None, eps: float | None = None, rtol: float | None = None,
                atol: float | None = None, seed: int = 0, per_node: bool = False):
    """The worst relative error of `gg.grad(g, wrt, of=of)` against central differences.

    `inputs` is a dict by input name; inputs it leaves out are drawn from a standard normal
    (integers from {0, 1}, bools uniformly) with `seed`. `eps`, `rtol` and `atol` default by
    dtype (TOLERANCES; float64: 1e-6, 1e-5, 1e-8); the result (a float) has them as attributes.
    Raises `GradientCheckError` naming the input and the worst element (index, analytic and
    numeric value) when an element does not match. With `per_node=True`, returns a report that
    checks each node's own rule instead (check_nodes.py).
    """
    of, wrt = pick_output(g, of), pick_wrt(g, wrt)
    rng = np.random.default_rng(seed)
    values = _inputs(g, inputs, rng)
    if per_node:  # each rule is checked in float64, whatever the model's dtype
        from .check_nodes import check_nodes

        return check_nodes(g, values, *tolerances(g, [], eps, rtol, atol), rng)
    eps, rtol, atol, dtype = tolerances(g, wrt, eps, rtol, atol)
    backward = grad(g, wrt, of=of, style="vjp")
    env = evaluate_all(backward, values)
    loss = _loss(g, of)
    worst = 0.0
    new = {of_input: out for out, (of_input, order) in backward.gradients.items()
           if out not in g.gradients}
    for name in wrt:
        analytic = np.asarray(env[backward.output_values[new[name]]], dtype=np.float64)
        for where, a, n in _comparisons(loss, values, name, analytic, eps, rng):
            err = abs(a - n) / max(abs(n), atol / rtol)
            if not err <= rtol:  # also catches NaN
                raise GradientCheckError(
                    f"gradient of {of!r} with respect to {name!r} disagrees with central "
                    f"differences {where}: analytic {a:.10g} vs numeric {n:.10g} "
                    f"(relative error {err:.3g} > rtol {rtol:g}; eps {eps:g}, atol {atol:g} "
                    f"for {dtype})")
            worst = max(worst, err)
    return CheckResult(worst, eps, rtol, atol, dtype)


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
        elif spec.dtype.startswith("int"):
            values[name] = rng.integers(0, 2, spec.shape).astype(spec.dtype)
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
