"""What both autodiff directions check first: the style, the output, the inputs, the names."""
from __future__ import annotations

from ...graph import FLOAT_DTYPES, GraphError
from .rules import RULES

STYLES = ("jacobian", "vjp")


def check_style(transform: str, style) -> None:
    if style not in STYLES:
        raise GraphError(f"{transform} style must be one of {', '.join(map(repr, STYLES))}, got {style!r}")


def rule_of(op: str):
    """The rule table's entry for `op`, or a GraphError naming the op that lacks one."""
    try:
        return RULES[op]
    except KeyError:
        raise GraphError(f"op {op!r} has no derivative rule (passes/autodiff/rules.py)") from None


def gradient_prefix(g, wrt, prefix, order) -> str:
    """The prefix of the new gradient outputs, checked against the graph's output names."""
    if prefix is None:
        prefix = "grad_" if order == 1 else f"grad{order}_"
    if not isinstance(prefix, str):
        raise GraphError(f"prefix must be a string, got {type(prefix).__name__}")
    for name in wrt:
        if prefix + name in g.outputs:
            raise GraphError(f"graph {g.name!r} already has an output named {prefix + name!r}; "
                             "pass another prefix= (or rename it with g.rename)")
    return prefix


def order_of(g, name) -> int:
    """The derivative order of output `name`: 0 for an ordinary output, k for a k-th gradient."""
    return g.gradients[name][1] if name in g.gradients else 0


def pick_output(g, of):
    """The name of the scalar float output to differentiate, checked.

    The default is the only output of the highest derivative order: the only output of a plain
    graph, the gradient of a grad graph of one input (so grad of grad is the second derivative,
    as jax.grad(jax.grad(f)) is)."""
    outputs = g.outputs
    if of is None:
        top = max((order_of(g, n) for n in outputs), default=0)
        candidates = [n for n in outputs if order_of(g, n) == top]
        if len(candidates) != 1:
            names = ", ".join(map(repr, candidates)) or "none"
            what = f"{len(candidates)} outputs" if top == 0 else \
                f"{len(candidates)} gradient outputs of order {top}"
            raise GraphError(f"graph {g.name!r} has {what} ({names}); "
                             "name the scalar one to differentiate with of=")
        of = candidates[0]
    if not isinstance(of, str) or of not in outputs:
        raise GraphError(f"graph {g.name!r} has no output {of!r}; its outputs are "
                         f"{', '.join(map(repr, outputs))}")
    spec = outputs[of]
    if spec.shape != () or spec.dtype not in FLOAT_DTYPES:
        raise GraphError(f"output {of!r} is {spec}; grad needs a float scalar output "
                         "(reduce it with gg.sum or gg.mean)")
    return of


def pick_wrt(g, wrt):
    """The list of input names to differentiate with respect to, checked."""
    inputs = g.inputs
    if wrt is None:
        wrt = [n for n, spec in inputs.items() if spec.dtype in FLOAT_DTYPES]
    elif isinstance(wrt, str):
        wrt = [wrt]
    elif not isinstance(wrt, (list, tuple)):
        raise GraphError(f"wrt must be an input name or a list of them, got {type(wrt).__name__} "
                         f"{wrt!r}")
    wrt = list(wrt)
    seen = set()
    for name in wrt:
        if not isinstance(name, str) or name not in inputs:
            raise GraphError(f"wrt: graph {g.name!r} has no input {name!r}; its inputs are "
                             f"{', '.join(map(repr, inputs))}")
        if inputs[name].dtype not in FLOAT_DTYPES:
            raise GraphError(f"wrt: input {name!r} is {inputs[name]}; only float inputs have gradients")
        if name in seen:
            raise GraphError(f"wrt lists input {name!r} twice")
        seen.add(name)
    return wrt
