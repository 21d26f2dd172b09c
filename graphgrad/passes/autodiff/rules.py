"""The derivative rule table: one reverse-mode rule per differentiable op.

`RULES[op](em, node, g, wants)` returns one entry per operand of `node`: the contribution of the
cotangent `g` (of the node's shape) to that operand, or None where nothing flows or the operand is
not wanted. A contribution may keep the broadcast shape of the output; the driver sums it to the
operand's shape with an explicit `sum_to` node, and sums fan-in with explicit `add` nodes.

Which ops use which form in `style="jacobian"` (`style="vjp"` always uses the compact rule):

| form | ops |
| --- | --- |
| Kronecker Jacobian, kron(A, I) / kron(I, Bᵀ) | matmul of two matrices |
| diagonal Jacobian, diag(vec(f'(x))) | exp log sqrt square abs tanh sigmoid relu power; multiply divide maximum minimum |
| compact, partial ±1 (G or -G) | negative; add subtract |
| compact, both styles | matmul with a 1-d or batched operand; sum mean max sum_to softmax log_softmax; reshape transpose broadcast_to concatenate slice unslice; cast where |
| no rule, no gradient flows | constant eye sign; less less_equal greater greater_equal equal; where's condition |
| refused (GraphError: rewrite first) | kron diag |
"""
from __future__ import annotations

import numpy as np

from ...graph import GraphError
from ...graph.ops_structural import reduced_shape
from ...graph.optable import shape_size
from .jacobian import elementwise_product, matmul_products
from .partials import MINUS_ONE, ONE, PARTIALS


def _elementwise(em, node, g, wants):
    """Chain rule through an elementwise op, with its partials from partials.PARTIALS."""
    def contribution(x, d):
        if d is None:
            return None
        if d is ONE:
            return g
        if d is MINUS_ONE:
            return em.add("negative", (g,))
        if d.role == "backward" and d.name is None and node.name and x.name:
            d.name = f"d{node.name}_d{x.name}"  # reads as ∂y/∂x in generated code
        if em.style == "jacobian":
            return elementwise_product(em, node, g, d)
        return em.add("multiply", (g, d))
    return tuple(contribution(x, d) for x, d in zip(node.inputs, PARTIALS[node.op](em, node, wants)))


def _matmul(em, node, g, wants):
    """Y = A @ B: dA = G Bᵀ, dB = Aᵀ G; 1-d operands promoted like np.matmul, batch dims summed."""
    a, b = node.inputs
    if em.style == "jacobian" and len(a.shape) == 2 and len(b.shape) == 2:
        return matmul_products(em, node, g, wants)
    a2 = em.reshape(a, (1,) + a.shape) if len(a.shape) == 1 else a
    b2 = em.reshape(b, b.shape + (1,)) if len(b.shape) == 1 else b
    g2 = em.reshape(g, _promoted_shape(node.shape, a, b))
    da = db = None
    if wants[0]:
        da = em.add("matmul", (g2, em.swap_last(b2)))  # batch + (1 or m, n)
        if len(a.shape) == 1 and len(da.shape) == 2:
            da = em.reshape(da, a.shape)  # otherwise the driver's sum_to drops batch and the 1
    if wants[1]:
        db = em.add("matmul", (em.swap_last(a2), g2))  # batch + (n, 1 or k)
        if len(b.shape) == 1:
            db = em.reshape(db, db.shape[:-1])
    return da, db


def _promoted_shape(out_shape, a, b):
    """The output shape with the axes np.matmul squeezed for 1-d operands put back."""
    shape = tuple(out_shape)
    if len(b.shape) == 1:
        shape = shape + (1,)
    if len(a.shape) == 1:
        shape = shape[:-1] + (1,) + shape[-1:]
    return shape


def _keep(em, node, g):
    """g reshaped to the reduction's keepdims shape, so it broadcasts against the operand."""
    x = node.inputs[0]
    return em.reshape(g, reduced_shape(x.shape, node.attrs["axis"], True))


def _sum(em, node, g, wants):
    return (em.broadcast(_keep(em, node, g), node.inputs[0].shape),)


def _mean(em, node, g, wants):
    x = node.inputs[0]
    count = shape_size(x.shape) // max(shape_size(node.shape), 1)
    scaled = em.add("divide", (_keep(em, node, g), em.const(count, node.dtype)))
    return (em.broadcast(scaled, x.shape),)


def _max(em, node, g, wants):
    """The gradient goes to the maxima, shared evenly among ties (as jax's reduce_max)."""
    x, axis = node.inputs[0], node.attrs["axis"]
    at_max = em.add("cast", (em.add("equal", (x, _keep(em, node, node))),), {"dtype": x.dtype})
    count = em.add("sum", (at_max,), {"axis": axis, "keepdims": True})
    share = em.add("divide", (_keep(em, node, g), count))
    return (em.add("multiply", (at_max, share)),)


def _sum_to(em, node, g, wants):
    return (em.broadcast(g, node.inputs[0].shape),)


def _softmax(em, node, g, wants):  # dx = y ⊙ (G - sum(G ⊙ y, axis))
    axis = (node.attrs["axis"],)
    dot = em.add("sum", (em.add("multiply", (g, node)),), {"axis": axis, "keepdims": True})
    return (em.add("multiply", (node, em.add("subtract", (g, dot)))),)


def _log_softmax(em, node, g, wants):  # dx = G - exp(y) ⊙ sum(G, axis)
    total = em.add("sum", (g,), {"axis": (node.attrs["axis"],), "keepdims": True})
    return (em.add("subtract", (g, em.add("multiply", (em.add("exp", (node,)), total)))),)


def _reshape(em, node, g, wants):
    return (em.reshape(g, node.inputs[0].shape),)


def _transpose(em, node, g, wants):
    inverse = tuple(int(i) for i in np.argsort(node.attrs["axes"]))
    return (em.add("transpose", (g,), {"axes": inverse}),)


def _broadcast_to(em, node, g, wants):
    return (em.sum_to(g, node.inputs[0].shape),)


def _concatenate(em, node, g, wants):
    """Each operand's gradient is its slab of g along the axis."""
    axis, start, parts = node.attrs["axis"], 0, []
    for x, wanted in zip(node.inputs, wants):
        stop = start + x.shape[axis]
        index = tuple((start, stop, 1) if i == axis else (0, d, 1) for i, d in enumerate(node.shape))
        parts.append(em.add("slice", (g,), {"index": index}) if wanted else None)
        start = stop
    return tuple(parts)


def _slice(em, node, g, wants):
    x = node.inputs[0]
    return (em.add("unslice", (g,), {"index": node.attrs["index"], "shape": x.shape}),)


def _unslice(em, node, g, wants):
    return (em.add("slice", (g,), {"index": node.attrs["index"]}),)


def _cast(em, node, g, wants):
    x = node.inputs[0]
    if x.dtype == "bool":
        return (None,)
    return (g if x.dtype == g.dtype else em.add("cast", (g,), {"dtype": x.dtype}),)


def _where(em, node, g, wants):
    cond, a, b = node.inputs
    zero = em.const(0, node.dtype)
    return (None,
            em.add("where", (cond, g, zero)) if wants[1] else None,
            em.add("where", (cond, zero, g)) if wants[2] else None)


def _explicit_jacobian(em, node, g, wants):
    raise GraphError(f"cannot differentiate through {node.op} node {node.ref}: it is an explicit "
                     "Jacobian; rewrite it first with gg.optimize(g) or gg.passes.rewrite_jacobians(g)")


RULES = {op: _elementwise for op in PARTIALS}
RULES.update({
    "matmul": _matmul,
    "sum": _sum, "mean": _mean, "max": _max, "sum_to": _sum_to,
    "softmax": _softmax, "log_softmax": _log_softmax,
    "reshape": _reshape, "transpose": _transpose, "broadcast_to": _broadcast_to,
    "concatenate": _concatenate, "slice": _slice, "unslice": _unslice,
    "cast": _cast, "where": _where,
    "kron": _explicit_jacobian, "diag": _explicit_jacobian,
})
