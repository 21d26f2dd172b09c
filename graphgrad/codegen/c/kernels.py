"""Lowering of the ops that are neither elementwise, views nor reductions: each writes its node's
loop nests (nests.py) through the `Lowering` (lower.py) and a comment for the C block.
"""
from __future__ import annotations

import math

from ...graph.shapes import broadcast_shapes
from .access import Buf, Lit, contiguous_strides, slice_view
from .clit import literal
from .expr import Apply, Leaf, chain, chain_text
from .nests import ConcatNest, GemmNest, MapNest, SoftmaxNest


def _fill(node, shape, dest, value):
    return MapNest(shape, dest, Leaf(Lit(literal(value, node.dtype), node.dtype, shape)))


def lower_softmax(L, node):
    (x,) = node.inputs
    nest = SoftmaxNest(node.shape, node.attrs["axis"], L.access(x), L.dest(node),
                       node.op == "log_softmax")
    L.kernel(node, [nest], lambda r: f"{r.name(node)} = {node.op}({r.name_of_access(L.access(x))}, "
                                      f"axis={node.attrs['axis']}): {r.type(node)}")


NARROW = 8  # elements per row of a concatenated piece at most, for one loop over the rows


def lower_concatenate(L, node):
    """Each piece copied (or computed: an elementwise piece only the concatenation reads is fused
    into it) into its slot; narrow pieces after a long axis share one loop over the rows."""
    axis, out = node.attrs["axis"], L.dest(node)
    nests, at, names = [], 0, []
    for x in node.inputs:
        dest = Buf(node, x.shape, out.strides, at * out.strides[axis])
        fused = L.owner.get(x) is node
        tree = L._tree(x, node) if fused else Leaf(L.access(x))
        nests.append(MapNest(x.shape, dest, tree))
        names.append((x, tree, fused))
        at += x.shape[axis]
    rows = math.prod(node.shape[:axis])
    if rows > 1 and len(nests) > 1 and all(math.prod(x.shape[axis:]) <= NARROW for x in node.inputs):
        nests = [ConcatNest(node.shape[:axis], nests)]

    def piece(r, x, tree, fused):
        return f"({chain_text(chain(tree))})" if fused else r.name_of_access(L.access(x))

    L.kernel(node, nests, lambda r: f"{r.name(node)} = concatenate of "
             f"{', '.join(piece(r, *n) for n in names)} along axis {axis}: {r.type(node)}")


def lower_unslice(L, node):
    (g,) = node.inputs
    out = L.dest(node)
    inner = slice_view(out, node.attrs["index"])
    nests = [_fill(node, node.shape, out, 0.0), MapNest(g.shape, inner, Leaf(L.access(g)))]
    L.kernel(node, nests, lambda r: f"{r.name(node)} = zeros with {r.name_of_access(L.access(g))} "
             f"written at a slice (the gradient of a slice): {r.type(node)}")


def _diagonal(node, out, n):
    return Buf(node, (n,), (n + 1,), 0) if n else Buf(node, (0,))


def lower_eye(L, node):
    n, out = node.attrs["n"], L.dest(node)
    nests = [_fill(node, node.shape, out, 0.0), _fill(node, (n,), _diagonal(node, out, n), 1.0)]
    L.kernel(node, nests, lambda r: f"{r.name(node)} = the identity: {r.type(node)}")


def lower_diag(L, node):
    (v,) = node.inputs
    n, out = v.shape[0], L.dest(node)
    nests = [_fill(node, node.shape, out, 0.0), MapNest((n,), _diagonal(node, out, n), Leaf(L.access(v)))]
    L.kernel(node, nests, lambda r: f"{r.name(node)} = diag({r.name_of_access(L.access(v))}): "
             f"{r.type(node)}")


def _spread(a, shape, strides):
    """An operand seen with its own strides placed at chosen dimensions of a larger space."""
    return Lit(a.text, a.dtype, shape) if isinstance(a, Lit) else Buf(a.base, shape, strides, a.offset)


def lower_kron(L, node):
    """kron(a, b)[i*p + k, j*q + l] = a[i, j] * b[k, l]: one loop nest over (i, k, j, l)."""
    a, b = node.inputs
    (m, n), (p, q) = a.shape, b.shape
    shape = (m, p, n, q)
    A, B = L.access(a), L.access(b)
    sa = A.strides if isinstance(A, Buf) else (0, 0)
    sb = B.strides if isinstance(B, Buf) else (0, 0)
    tree = Apply(node, [Leaf(_spread(A, shape, (sa[0], 0, sa[1], 0))),
                        Leaf(_spread(B, shape, (0, sb[0], 0, sb[1])))],
                 lambda c, x, y: c.binary("*", x, y))
    L.dest(node)
    nest = MapNest(shape, Buf(node, shape), tree)
    L.kernel(node, [nest], lambda r: f"{r.name(node)} = kron({r.name_of_access(A)}, "
             f"{r.name_of_access(B)}): {r.type(node)}")


# --- matmul ---------------------------------------------------------------------------------

def gemm_layout(rows, cols, rs, cs):
    """How BLAS reads a rows x cols matrix with element strides (rs, cs): ('N', ld) when rows are
    contiguous, ('T', ld) when columns are (the transpose of a row-major matrix), else None."""
    if cols == 1 or cs == 1:
        ld = rs if rows > 1 else max(1, cols)
        if ld >= max(1, cols):
            return "N", ld
    if rows == 1 or rs == 1:
        ld = cs if cols > 1 else max(1, rows)
        if ld >= max(1, rows):
            return "T", ld
    return None


def _batch_strides(strides, shape, batch):
    lead = len(batch) - len(shape)
    return [0] * lead + [0 if d == 1 and full != 1 else s for d, s, full in zip(shape, strides, batch[lead:])]


def _matrix(L, acc, shape, strides, batch, hint):
    """(Buf, batch strides, trans, ld) of one operand, copied to a contiguous Temp when BLAS
    cannot read it as it is (a broadcast, a reversed slice, an inline scalar)."""
    rows, cols = shape[-2:]
    empty = math.prod(batch) * rows * cols == 0  # BLAS never sees it
    if isinstance(acc, Lit) or not empty and gemm_layout(rows, cols, *strides[-2:]) is None:
        acc = L.materialize(acc if isinstance(acc, Lit) else Buf(acc.base, shape, strides, acc.offset),
                            hint)
        strides = acc.strides
    layout = ("N", max(1, cols)) if empty else gemm_layout(rows, cols, *strides[-2:])
    buf = Buf(acc.base, shape, strides, acc.offset) if isinstance(acc, Buf) else acc
    return buf, _batch_strides(strides[:-2], shape[:-2], batch), layout[0], layout[1]


def _stacked(strides, batch, step) -> bool:
    """Whether batch strides place the matrices one after another, `step` elements apart."""
    for s, d in zip(reversed(strides), reversed(batch)):
        if d != 1 and s != step:
            return False
        step *= d
    return True


def lower_matmul(L, node):
    """np.matmul: 1-d operands promoted to a row / a column, batch dimensions broadcast."""
    a, b = node.inputs
    gemm(L, node, L.access(a), L.access(b), a.shape, b.shape,
         lambda r: f"matmul {r.type(a)} @ {r.type(b)} -> {r.type(node)}")


def gemm(L, node, A, B, a_shape, b_shape, what):
    """node = A @ B (numpy's matmul rules) through `gg_dgemm`; `what(r)` ends the comment."""
    a_strides = A.strides if isinstance(A, Buf) else (0,) * len(a_shape)
    b_strides = B.strides if isinstance(B, Buf) else (0,) * len(b_shape)
    if len(a_shape) == 1:
        a_shape, a_strides = (1,) + a_shape, (0,) + tuple(a_strides)
    if len(b_shape) == 1:
        b_shape, b_strides = b_shape + (1,), tuple(b_strides) + (0,)
    batch = broadcast_shapes(a_shape[:-2], b_shape[:-2])
    m, k = a_shape[-2:]
    n = b_shape[-1]
    if isinstance(A, Lit):
        A = Lit(A.text, A.dtype, a_shape)
    if isinstance(B, Lit):
        B = Lit(B.text, B.dtype, b_shape)
    abuf, abatch, ta, lda = _matrix(L, A, a_shape, a_strides, batch, "a")
    bbuf, bbatch, tb, ldb = _matrix(L, B, b_shape, b_strides, batch, "b")
    out_shape = tuple(batch) + (m, n)
    rows = m * math.prod(batch)
    if batch and ta == "N" and not any(bbatch) and _stacked(abatch, batch, m * lda) and lda == k:
        # a batch of matrices times one matrix is one taller matmul: (b*m, k) @ (k, n)
        batch, abatch, bbatch, m = (), [], [], rows
    L.dest(node)
    out = Buf(node, out_shape)
    out_strides = list(contiguous_strides(out_shape)[:-2]) if batch else []
    nest = GemmNest(batch, (abuf, abatch), (bbuf, bbatch), (out, out_strides), m, n, k, ta, lda, tb, ldb)

    def comment(r):
        x = r.name_of_access(abuf) + (".T" if ta == "T" else "")
        y = r.name_of_access(bbuf) + (".T" if tb == "T" else "")
        return (f"{r.name(node)} = {x} @ {y}: {what(r)}"
                + (f", {math.prod(batch)} times" if batch else ""))

    L.kernel(node, [nest], comment)
