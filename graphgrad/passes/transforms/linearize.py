"""The linearized graph of a jacobian: a vertex per value between the inputs and the outputs, and
on each edge the op's local Jacobian ∂vec(v)/∂vec(u), written out from the op's own rules.

Local Jacobians, cheapest form first:
- reshape: the identity;
- an elementwise op (unary, binary, select, cast) on an operand of its own shape: diag(d), where
  d is the op's tangent rule applied to a tangent of ones (the identity when the rule hands the
  tangent back unchanged, as add does);
- matmul of matrices and vectors: the Kronecker Jacobians of the Jacobian style (jacobian.py);
- any other op: the matrix stacked from its rules, one column J·e_j per operand element (the
  tangent rule) or one row e_iᵀ·J per output element (the reverse rule), whichever is fewer; a
  result that depends on no input (a linear op's) is computed now, as a constant.
So every op with both halves of its rule has a Jacobian, ops added later included.
"""
from __future__ import annotations

import math

import numpy as np

from ...graph import FLOAT_DTYPES, Input, Tensor, functions as f
from ...graph.errors import MemoryBudgetError
from ...graph.optable import OPS, lookup
from ...graph.tensor import apply
from ..autodiff.checks import rule_of
from ..autodiff.jacobian import matmul_jacobian
from ..autodiff.rules import NO_GRADIENT, sum_to
from .elimination import Linearized
from .products import Jac, add, dense, diagonal, identity

ELEMENTWISE = ("unary", "binary", "select", "cast")
FOLD_LIMIT = 1 << 16  # constant local Jacobians up to this many elements are computed now


def label(value) -> str:
    """A vertex's name in explanations and generated names: the user's name, else op + id."""
    if isinstance(value, Input) or value.name:
        return value.name
    return f"{value.op}{value.id}"


def active_values(graph, sources, targets) -> list:
    """The nodes on a differentiable path from some source to some target, in graph order."""
    varying = set(sources)
    for node in graph.nodes:
        if node.dtype in FLOAT_DTYPES and any(v in varying for v in node.inputs) \
                and rule_of(node.op) is not NO_GRADIENT:
            varying.add(node)
    useful = set(targets)
    for node in reversed(graph.nodes):
        if node in useful:
            useful.update(node.inputs)
    return [n for n in graph.nodes if n in varying and n in useful]


def linearize(graph, outs, sources, max_bytes):
    """(Linearized, {(k, i): Jac}) for output values `outs` (name -> value) and source inputs.

    Vertices: the sources, the active nodes in order, then one sink per output name (an
    identity edge from its value), so ids are topological. MemoryBudgetError before building a
    dense local Jacobian larger than `max_bytes`."""
    nodes = active_values(graph, sources, outs.values())
    values = list(sources) + nodes
    ids = {v: i for i, v in enumerate(values)}
    sinks = list(range(len(values), len(values) + len(outs)))
    ends = values + list(outs.values())
    lin = Linearized([_size(v) for v in ends], [label(v) for v in values] + list(outs),
                     list(range(len(sources))), sinks, dtypes=[v.dtype for v in ends])
    jacs = {}
    for node in nodes:
        for p, u in enumerate(node.inputs):
            if u not in ids:
                continue
            jac = local_jacobian(graph, node, p, max_bytes)
            if jac is None:
                continue
            key = (ids[node], ids[u])
            jacs[key] = add(jacs[key], jac) if key in jacs else jac  # an operand used twice
    for sink, value in zip(sinks, outs.values()):
        if value in ids:
            jacs[sink, ids[value]] = identity(_size(value), value.dtype, graph)
    lin.edges = {key: jac.kind for key, jac in jacs.items()}
    return lin, jacs


def _size(v) -> int:
    return math.prod(v.shape)


def local_jacobian(graph, node, p, max_bytes):
    """∂vec(node)/∂vec(operand p) as a Jac, or None when nothing flows."""
    u = node.inputs[p]
    y = Tensor(node, graph)
    if node.op == "reshape":
        return identity(_size(node), node.dtype, graph)
    if OPS[node.op].category in ELEMENTWISE and u.shape == node.shape:
        ones = f.broadcast_to(f.constant(np.ones((), u.dtype), graph=graph), u.shape)
        d = _tangent(graph, node, p, ones)
        if d is None:
            return None
        if d.value is ones.value:
            return identity(_size(node), node.dtype, graph)
        return diagonal(d.reshape(_size(node)))
    if node.op == "matmul" and len(node.inputs[0].shape) <= 2 and len(node.inputs[1].shape) <= 2:
        return _matmul_jacobian(graph, y, p)
    _check_bytes(node, u, max_bytes)
    return _stacked(graph, node, p)


def _tangent(graph, node, p, t):
    """The op's tangent rule with tangent t at operand p and none elsewhere (compact style)."""
    ts = tuple(t if i == p else None for i in range(len(node.inputs)))
    return rule_of(node.op).jvp(ts, Tensor(node, graph), tuple(Tensor(v, graph) for v in node.inputs),
                                node.attrs, "vjp")


def _cotangent(graph, node, p, g):
    """The op's reverse rule's contribution to operand p from cotangent g, summed to its shape."""
    wants = tuple(i == p for i in range(len(node.inputs)))
    xs = tuple(Tensor(v, graph) for v in node.inputs)
    c = rule_of(node.op).vjp(g, Tensor(node, graph), xs, wants, node.attrs, "vjp")[p]
    return None if c is None else sum_to(c, node.inputs[p].shape)


def _matmul_jacobian(graph, y, p) -> Jac:
    """The Kronecker Jacobian of matmul, vectors promoted to (1, n) and (n, 1); a Kronecker factor
    I₁ is dropped as it is made (A ⊗ I₁ = A)."""
    a, b = (Tensor(v, graph) for v in y.value.inputs)
    a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a
    b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b
    kron = matmul_jacobian(y, a2, b2, p)
    first, second = (Tensor(v, graph) for v in kron.value.inputs)
    for factor, other in ((first, second), (second, first)):
        if factor.value.op == "eye" and factor.shape == (1, 1):
            return dense(other)
    return dense(kron)


def _check_bytes(node, u, max_bytes) -> None:
    size = _size(node) * _size(u) * np.dtype(node.dtype).itemsize
    if max_bytes is not None and size > max_bytes:
        raise MemoryBudgetError(
            f"the Jacobian of {node.op} node {node.ref} {node.shape} with respect to {label(u)} "
            f"{u.shape} would be a dense ({_size(node)}, {_size(u)}) {node.dtype} matrix of "
            f"{size:,} bytes ({size / 1e9:.3g} GB), over the budget max_bytes={max_bytes:,}; "
            "raise max_bytes, or take the Jacobian of fewer outputs or inputs")


def _basis(graph, shape, dtype, j):
    """The unit tensor e_j of `shape` (one 1 at row-major position j, zeros elsewhere)."""
    one = f.constant(np.ones((), dtype), graph=graph)
    if shape == ():
        return one
    index = tuple(int(i) for i in np.unravel_index(j, shape))
    return apply("unslice", one, index=index, shape=shape)


def _stacked(graph, node, p) -> Jac:
    """The dense Jacobian from the rules: columns J·e_j or rows e_iᵀ·J, whichever are fewer."""
    u = node.inputs[p]
    ny, nu = _size(node), _size(u)
    parts = []
    if nu <= ny:
        for j in range(nu):
            t = _tangent(graph, node, p, _basis(graph, u.shape, u.dtype, j))
            parts.append(_zeros(graph, (ny, 1), node.dtype) if t is None else t.reshape(ny, 1))
        axis = 1
    else:
        for i in range(ny):
            c = _cotangent(graph, node, p, _basis(graph, node.shape, node.dtype, i))
            parts.append(_zeros(graph, (1, nu), node.dtype) if c is None else c.reshape(1, nu))
        axis = 0
    m = parts[0] if len(parts) == 1 else f.concatenate(parts, axis)
    value = _constant_value(m.value) if ny * nu <= FOLD_LIMIT else None
    return dense(m if value is None else f.constant(value, graph=graph))


def _zeros(graph, shape, dtype):
    return f.broadcast_to(f.constant(np.zeros((), dtype), graph=graph), shape)


def _constant_value(value):
    """The value of `value` when it depends on no graph input (numpy, now), else None."""
    seen, stack = {value}, [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Input):
            return None
        for w in v.inputs:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    results = {}
    for v in sorted(seen, key=lambda n: n.id):  # node ids are topological
        with np.errstate(all="ignore"):
            results[v] = np.asarray(lookup(v.op).impl(*(results[w] for w in v.inputs), **v.attrs),
                                    dtype=v.dtype)
    return results[value]
