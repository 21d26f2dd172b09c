"""Per-node gradient checks: each node's own derivative rule against central differences of
that single op, at the values the model gives its operands.

A wrong rule shows up at the node that uses it, not as a wrong gradient somewhere upstream. Each
check builds a one-op graph on the node's operands, loss = sum(op(...) * W) with fixed random W,
and compares its VJP-style gradient with central differences along two random directions per
float operand, in float64 (a rule's algebra does not depend on the dtype it runs in).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..graph import FLOAT_DTYPES, Graph
from ..graph.evaluate import evaluate_all
from ..graph.provenance import summary
from .autodiff import grad
from .autodiff.rules import NO_GRADIENT, RULES

DIRECTIONS = 2


@dataclass(frozen=True)
class NodeCheck:
    """One node's rule checked for one operand: the relative error along the worst direction."""

    node: object
    operand: int
    error: float
    analytic: float
    numeric: float

    def __str__(self):
        return (f"{summary(self.node)}: operand {self.operand}: analytic {self.analytic:.8g} vs "
                f"numeric {self.numeric:.8g} (relative error {self.error:.3g})")


@dataclass
class NodeReport:
    """What `check_grads(..., per_node=True)` returns: every check, and `failures`, those whose
    error exceeds rtol (the nodes `gg.viz.to_dot(g, marks=report)` draws marked)."""

    checks: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    eps: float = 0.0
    rtol: float = 0.0
    atol: float = 0.0
    dtype: str = "float64"

    def __str__(self):
        head = (f"{len(self.checks)} node checks, {len(self.failures)} failing "
                f"(eps {self.eps:g}, rtol {self.rtol:g}, atol {self.atol:g}; dtype {self.dtype})")
        return "\n".join([head] + [f"  {f}" for f in self.failures])


def checkable(node) -> bool:
    """A node with a float result, a derivative rule and a float operand."""
    return (node.dtype in FLOAT_DTYPES and RULES.get(node.op) is not NO_GRADIENT
            and any(v.dtype in FLOAT_DTYPES for v in node.inputs))


def check_nodes(g, values, eps, rtol, atol, dtype, rng) -> NodeReport:
    env = evaluate_all(g, values)
    report = NodeReport(eps=eps, rtol=rtol, atol=atol, dtype=dtype)
    for node in g.nodes:
        if not checkable(node):
            continue
        for check in _check_one(node, [env[v] for v in node.inputs], eps, rtol, atol, rng):
            report.checks.append(check)
            if not check.error <= rtol:  # NaN fails too
                report.failures.append(check)
    return report


def _check_one(node, operands, eps, rtol, atol, rng):
    """Checks of one node's rule, one per float operand."""
    single = Graph("node")
    wide = [np.asarray(a, np.float64) if a.dtype.kind == "f" else np.asarray(a) for a in operands]
    ins = [single.add_input(f"x{i}", a.shape, a.dtype.name) for i, a in enumerate(wide)]
    y = single.add(node.op, ins, dict(node.attrs))
    weights = rng.standard_normal(y.shape)
    w = single.add("constant", (), {"value": weights})
    single.output("loss", single.add("sum", [single.add("multiply", [y, w])], {"axis": None, "keepdims": False}))
    floats = [i for i, a in enumerate(wide) if a.dtype.kind == "f"]
    back = grad(single, [f"x{i}" for i in floats], style="vjp")
    env = evaluate_all(back, {f"x{i}": a for i, a in enumerate(wide)})

    def value(args):
        return float(evaluate_all(single, {f"x{i}": a for i, a in enumerate(args)})[single.output_values["loss"]])

    for i in floats:
        analytic = np.asarray(env[back.output_values[f"grad_x{i}"]])
        worst = None
        for _ in range(DIRECTIONS):
            v = rng.standard_normal(wide[i].shape)
            plus, minus = list(wide), list(wide)
            plus[i], minus[i] = wide[i] + eps * v, wide[i] - eps * v
            numeric = (value(plus) - value(minus)) / (2 * eps)
            a = float(np.sum(analytic * v))
            error = abs(a - numeric) / max(abs(numeric), atol / rtol)
            if worst is None or not error <= worst.error:
                worst = NodeCheck(node, i, error, a, numeric)
        yield worst
