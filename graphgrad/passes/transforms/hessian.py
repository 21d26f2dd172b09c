"""`hessian(g, wrt, of=)`: the whole Hessian of a scalar output, for small inputs.

The Hessian is the Jacobian of the gradient: `grad` builds ∇f, `jacobian` multiplies the per-op
Jacobians of that gradient graph in the cheapest order it finds (forward over reverse is one of
the orders it prices). Each pair (x, y) of `wrt` gets an output `hessian_<x>_<y>` of shape
x.shape + y.shape, ∂²f/∂x∂y. Outputs over the memory budget are refused before any work.
"""
from __future__ import annotations

from ...graph.analysis import collector_paused
from ..autodiff.checks import check_style, order_of, pick_output, pick_wrt
from ..autodiff.forward import check_new_names
from ..autodiff.reverse import grad, without_jacobian_products
from .budget import check_max_bytes, check_output
from .hvp import free_prefix
from .jacobian import check_mode, jacobian


@collector_paused
def hessian(g, wrt=None, *, of=None, style="jacobian", mode="auto", max_bytes=2**30):
    """A new graph: g's outputs, then `hessian_<x>_<y>` for each x, then y, in `wrt` (default:
    every float input). `of` is chosen as `grad` chooses it; `style` is grad's, `mode`
    jacobian's; `max_bytes` bounds every output and dense Jacobian (MemoryBudgetError)."""
    check_style("hessian", style)
    of, wrt = pick_output(g, of), pick_wrt(g, wrt)
    check_mode(mode)  # before the gradient is built
    max_bytes = check_max_bytes(max_bytes)
    names = {(x, y): f"hessian_{x}_{y}" for x in wrt for y in wrt}
    check_new_names(g, [], names.values())
    inputs = g.inputs
    for (x, y), name in names.items():
        check_output(name, inputs[x].shape + inputs[y].shape, g.outputs[of].dtype, max_bytes,
                     "raise max_bytes, take fewer inputs (wrt=), or use gg.hvp for "
                     "Hessian-vector products")
    prefix = free_prefix(g, "hessian_grad_")
    inner = without_jacobian_products(grad(g, wrt, of=of, style=style, prefix=prefix))
    jac = jacobian(inner, [prefix + x for x in wrt], wrt, mode=mode, max_bytes=max_bytes)
    result = jac.rename({f"jac_{prefix}{x}_{y}": name for (x, y), name in names.items()})
    result = result.select(list(g.outputs) + list(names.values()))
    result.gradients = dict(g.gradients)
    result.gradients.update({name: (x, order_of(g, of) + 2) for (x, _), name in names.items()})
    result.passes = g.passes + (f"hessian-{style}-{mode}",)
    result.jacobian_plan = jac.jacobian_plan
    return result
