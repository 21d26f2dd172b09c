"""`hvp(g, wrt, of=)`: Hessian-vector products by forward mode over reverse mode.

The gradient graph of `of` is built first (`grad`, either style); then one tangent sweep
(`push_tangents`) carries the directions `v_<x>` through it, forward and backward nodes alike:
the tangent of ∇f along v is H·v, with no Hessian formed. The result has g's outputs, then
`hvp_<x>` for each x in `wrt`; the gradient outputs themselves are dropped with the nodes only
they needed. Nodes: "forward", "backward" (the gradient) and "tangent" (its tangent).
"""
from __future__ import annotations

from ...graph.analysis import collector_paused, copy_graph
from ..autodiff.checks import check_style, order_of, pick_output, pick_wrt
from ..autodiff.forward import add_tangent_inputs, check_new_names, push_tangents, tangent_of
from ..autodiff.reverse import grad
from ..rebuild import drop_dead


def free_prefix(g, stem: str) -> str:
    """A prefix no output of g starts with: names for outputs a transform drops again."""
    prefix, k = stem, 0
    while any(name.startswith(prefix) for name in g.outputs):
        k += 1
        prefix = f"{stem}{k}_"
    return prefix


@collector_paused
def hvp(g, wrt=None, *, of=None, style="jacobian"):
    """A new graph: g's inputs, then `v_<x>` (x's spec) for each x in `wrt` (default: every
    float input); g's outputs, then `hvp_<x>` = (∇²f · v) restricted to x, for the scalar output
    f = `of` (chosen as `grad` chooses it). `style` is grad's and jvp's."""
    check_style("hvp", style)
    of, wrt = pick_output(g, of), pick_wrt(g, wrt)
    check_new_names(g, [f"v_{x}" for x in wrt], [f"hvp_{x}" for x in wrt])
    prefix = free_prefix(g, "hvp_grad_")
    inner = grad(g, wrt, of=of, style=style, prefix=prefix)
    new, mapping = copy_graph(inner, outputs=False)
    tangents = add_tangent_inputs(new, wrt, "v_")
    grads = inner.output_values
    with new.role("tangent"):
        tangents = push_tangents(new, tangents, style)
        for name, v in g.output_values.items():
            new.output(name, mapping[grads[name]])
        for x in wrt:
            new.output(f"hvp_{x}", tangent_of(new, mapping[grads[prefix + x]], tangents))
    new.gradients = dict(g.gradients)
    new.gradients.update({f"hvp_{x}": (x, order_of(g, of) + 2) for x in wrt})
    result = drop_dead(new)
    result.passes = inner.passes + (f"hvp-{style}",)
    return result
