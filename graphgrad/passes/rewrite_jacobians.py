"""The flatten/reshape pass: explicit Jacobian products become compact products.

`gg.grad(style="jacobian")` writes each backward step as reshape(Jᵀ · reshape(G, (N,)), shape)
with J a Kronecker product (matmul) or a diagonal matrix (elementwise ops). The identities below,
run to a fixed point together with the structural ones of simplify_rules.py, turn every such
product into matmuls and multiplies of the original operands; `vec` is numpy's row-major flatten:

    (A ⊗ B)ᵀ · vec(G) = vec(Aᵀ · G · B)      diag(v)ᵀ · vec(G) = vec(v ⊙ G)

No Jacobian node survives; one that is used other than as such a product raises GraphError
(nothing is ever materialized behind the user's back).
"""
from __future__ import annotations

from ..graph import JACOBIAN_OPS, Graph, GraphError
from .patterns import Rule, RuleTable, keeps
from .rebuild import rebuild, rewrite
from .conv_identities import CONV
from .simplify_rules import STRUCTURAL

NAME = "rewrite-jacobians"


def _t(m, x):
    return m.make("transpose", x, axes=(1, 0))


def _chain(m, a, x, b):
    """a · x · b for matrices, associated the cheaper way; eye factors drop out by the rules."""
    (p, q), r, s = a.shape, x.shape[1], b.shape[1]
    if p * q * r + p * r * s <= q * r * s + p * q * s:
        return m.make("matmul", m.make("matmul", a, x), b)
    return m.make("matmul", a, m.make("matmul", x, b))


def _kron_times_vector(m):
    """(A ⊗ B) · vec(X) = vec(A · X · Bᵀ), X = u reshaped to (cols A, cols B)."""
    x = m.make("reshape", m.u, shape=(m.a.shape[1], m.b.shape[1]))
    return m.make("reshape", _chain(m, m.a, x, _t(m, m.b)), shape=m.shape)


def _vector_times_kron(m):
    """vec(X)ᵀ · (A ⊗ B) = vec(Aᵀ · X · B), X = u reshaped to (rows A, rows B)."""
    x = m.make("reshape", m.u, shape=(m.a.shape[0], m.b.shape[0]))
    return m.make("reshape", _chain(m, _t(m, m.a), x, m.b), shape=m.shape)


def _batched(m, a, x, b):
    """a · X_c · b for each matrix X_c of the batch x (K, ., .), associated the cheaper way."""
    (p, q), r, s = a.shape, x.shape[2], b.shape[1]
    if p * q * r + p * r * s <= q * r * s + p * q * s:
        return m.make("matmul", m.make("matmul", a, x), b)
    return m.make("matmul", a, m.make("matmul", x, b))


def _kron_times_matrix(m):
    """(A ⊗ B) · M = [vec(A · X_c · Bᵀ)]_c: column c of M is vec(X_c), X_c of shape (cols A, cols B)."""
    k = m.u.shape[1]
    x = m.make("transpose", m.make("reshape", m.u, shape=(m.a.shape[1], m.b.shape[1], k)), axes=(2, 0, 1))
    y = _batched(m, m.a, x, _t(m, m.b))
    return m.make("reshape", m.make("transpose", y, axes=(1, 2, 0)), shape=m.shape)


def _matrix_times_kron(m):
    """M · (A ⊗ B) = [vec(Aᵀ · X_c · B)ᵀ]_c: row c of M is vec(X_c), X_c of shape (rows A, rows B)."""
    x = m.make("reshape", m.u, shape=(m.u.shape[0], m.a.shape[0], m.b.shape[0]))
    return m.make("reshape", _batched(m, _t(m, m.a), x, m.b), shape=m.shape)


def _swapped(m) -> bool:
    return m.attrs["axes"] == (1, 0)


def _ndim(name, *ndims):
    return lambda m: len(m[name].shape) in ndims


JACOBIAN = (
    # Iᵀ = I
    Rule("Iᵀ = I", ("transpose", ("eye=e",)), lambda m: m.e, _swapped),
    # diag(v)ᵀ = diag(v)
    Rule("diag(v)ᵀ = diag(v)", ("transpose", ("diag=d", "v")), lambda m: m.d, _swapped),
    # (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ
    Rule("(A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ", ("transpose", ("kron", "a", "b")),
         lambda m: m.make("kron", _t(m, m.a), _t(m, m.b)), _swapped),
    # I · X = X and X · I = X
    Rule("I · X = X", ("matmul", ("eye",), "x"), lambda m: m.x, keeps("x")),
    Rule("X · I = X", ("matmul", "x", ("eye",)), lambda m: m.x, keeps("x")),
    # (A ⊗ B) · vec(X) = vec(A · X · Bᵀ)
    Rule("(A ⊗ B) · vec(X) = vec(A · X · Bᵀ)", ("matmul", ("kron", "a", "b"), "u"),
         _kron_times_vector, _ndim("u", 1)),
    # vec(X)ᵀ · (A ⊗ B) = vec(Aᵀ · X · B)
    Rule("vec(X)ᵀ · (A ⊗ B) = vec(Aᵀ · X · B)", ("matmul", "u", ("kron", "a", "b")),
         _vector_times_kron, _ndim("u", 1)),
    # (A ⊗ B) · M = [vec(A · X_c · Bᵀ)]_c, column by column (whole Jacobians: jacobian, hessian)
    Rule("(A ⊗ B) · M = [vec(A · X_c · Bᵀ)]_c", ("matmul", ("kron", "a", "b"), "u"),
         _kron_times_matrix, _ndim("u", 2)),
    # M · (A ⊗ B) = [vec(Aᵀ · X_c · B)ᵀ]_c, row by row
    Rule("M · (A ⊗ B) = [vec(Aᵀ · X_c · B)ᵀ]_c", ("matmul", "u", ("kron", "a", "b")),
         _matrix_times_kron, _ndim("u", 2)),
    # diag(v) · u = u ⊙ v
    Rule("diag(v) · u = u ⊙ v", ("matmul", ("diag", "v"), "u"),
         lambda m: m.make("multiply", m.u, m.v), _ndim("u", 1)),
    # diag(v) · U = U ⊙ v[:, None]  (row i scaled by v_i)
    Rule("diag(v) · U = U ⊙ v[:, None]", ("matmul", ("diag", "v"), "u"),
         lambda m: m.make("multiply", m.u, m.make("reshape", m.v, shape=(m.v.shape[0], 1))),
         _ndim("u", 2)),
    # u · diag(v) = u ⊙ v  (column j scaled by v_j)
    Rule("u · diag(v) = u ⊙ v", ("matmul", "u", ("diag", "v")),
         lambda m: m.make("multiply", m.u, m.v), _ndim("u", 1, 2)),
)

RULES = RuleTable(JACOBIAN, CONV, STRUCTURAL)
JACOBIAN_RULES = RuleTable(JACOBIAN, CONV)  # what must not fire again on the result, rewritten or copied


def rewrite_jacobians(graph: Graph) -> Graph:
    """The same graph with every explicit Jacobian product in compact form (no kron/diag/eye).

    A graph without Jacobian nodes is copied as it is (the structural identities are simplify's
    job there), which keeps this first pass of the pipeline cheap on large forward graphs."""
    if not any(n.op in JACOBIAN_OPS for n in graph.nodes):
        return rebuild(graph, name=NAME)[0]
    result = rewrite(graph, RULES, NAME)
    _check_no_jacobians(result)
    return result


def _check_no_jacobians(graph: Graph) -> None:
    """GraphError naming the first Jacobian node left, what uses it, and why it stayed."""
    left = [n for n in graph.nodes if n.op in JACOBIAN_OPS]
    if not left:
        return
    node = left[0]
    users = [f"{u.ref} ({u.op})" for u in graph.nodes if node in u.inputs]
    users += [f"output {name!r}" for name, v in graph.output_values.items() if v is node]
    raise GraphError(
        f"{NAME}: {node.op} node {node.ref} {node.spec} (of {len(left)} Jacobian node(s) left) is "
        f"used by {', '.join(users)}; only a Jacobian multiplying a vector (or, for diag, a "
        f"matrix) has a compact form, and the pass does not materialize Jacobians")
