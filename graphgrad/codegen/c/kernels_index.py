"""Lowering of gathers, scatters, padding, logsumexp and einsum: loop nests written out as C
(`CodeNest`), one per kernel, each under a comment that names the op and its shapes.

Indices are read through `gg_index`: a negative index is wrapped once (numpy's -1 is the last),
then any index still out of range is clamped into the axis (jax's gather clamps), in gathers and
scatters alike, so that a scatter stays the transpose of its gather and no access is ever out of
bounds. A gather from an axis of length 0 reads NaN (there is nothing to clamp to); a scatter onto
one adds nothing.
"""
from __future__ import annotations

import math

from ...graph.ops_contract import parse_subscripts
from . import access as views
from .access import Buf, reduced_strides
from .clit import ctype, literal
from .expr import Leaf
from .kernels import _fill, gemm
from .nests import CodeNest, MapNest, Space, at, helper

_EMPTY = ["/* nothing to compute: zero-size */"]


def _flat(L, acc, shape):
    """An access read as one flat axis of prod(shape) elements (a copy when it is strided)."""
    size = (math.prod(shape),)
    flat = views.reshape(acc, size)
    if flat is None:
        copy = L.materialize(acc, "a", "for a flat gather")
        flat = Buf(copy.base, size)
    return flat


def _index_line(r, I, idx_names, n, A, axis):
    """`const long q = gg_index(...)`, or nothing when q would not be read (a scalar operand, an
    axis of length 1: then the index array is not read either)."""
    if isinstance(A, Buf) and A.strides[axis] != 0 and A.shape[axis] != 1:
        r.use("gg_index")
        return [f"const long q = gg_index({at(r, I, idx_names)}, {n});"]
    return []


def _names_with(names, axis, q="q"):
    return names[:axis] + [q] + names[axis + 1:]


def _split(space, head, body, split):
    """Loops over the first `split` dimensions around `head`, then the rest around `body`: an
    index that depends on the outer loops only is read once per inner loop."""
    n = len(space.shape)
    return space.loops(head + space.loops(body, range(split, n)), range(split))


def _gather(L, node, A, a_shape, axis, index_exprs, I, comment, split):
    """out[...] = A[..., q, ...] with q = gg_index(I[...]): index_exprs(space) gives I's names,
    which are loop indices of the first `split` dimensions."""
    n = a_shape[axis]
    out = Buf(node, node.shape)
    space = Space(node.shape)

    def write(r):
        if math.prod(node.shape) == 0:
            return _EMPTY
        if n == 0:  # nothing to read: NaN, as jax's gather fills
            return space.loops([f"{at(r, out, space.names)} = NAN;"])
        a_names, idx_names = index_exprs(space)
        body = _index_line(r, I, idx_names, n, A, axis)
        if not body:  # every index reads the same element
            a_names = a_names[:axis] + [None] + a_names[axis + 1:]
        return _split(space, body, [f"{at(r, out, space.names)} = {at(r, A, a_names)};"], split)

    L.dest(node)
    L.kernel(node, [CodeNest(out, [A, I], write)], comment)


def _through_index(axis, k):
    """For np.take's layout: the k index dimensions at `axis` of the loop space stand for one
    dimension `q` of the indexed array; returns space -> (array index names, index array's names)."""
    def exprs(space):
        names = space.names
        return names[:axis] + ["q"] + names[axis + k:], names[axis:axis + k]
    return exprs


def lower_take(L, node):
    """np.take(a, idx, axis): out[pre, idx..., post] = a[pre, q, post], q = idx[idx...]."""
    a, idx = node.inputs
    axis, A, I = node.attrs["axis"], L.access(a), L.access(idx)
    a_shape = a.shape
    if axis is None:
        A, a_shape, axis = _flat(L, A, a.shape), (math.prod(a.shape),), 0
    k = len(idx.shape)
    exprs = _through_index(axis, k)
    where = "of the flattened array" if node.attrs["axis"] is None else f"along axis {axis}"
    _gather(L, node, A, a_shape, axis, exprs, I, lambda r: (
        f"{r.name(node)} = take({r.name_of_access(L.access(a))}, {r.name_of_access(I)}) {where}: "
        f"{r.type(a)}, {r.type(idx)} -> {r.type(node)}"), axis + k)


def _aligned(I, shape):
    return I if not isinstance(I, Buf) else Buf(I.base, shape, I.aligned(shape), I.offset)


def lower_take_along_axis(L, node):
    """np.take_along_axis(a, idx, axis): out[..., i, ...] = a[..., idx[..., i, ...], ...]."""
    a, idx = node.inputs
    axis, A = node.attrs["axis"], L.access(a)
    I = _aligned(L.access(idx), node.shape)  # idx's other axes may be 1: broadcast
    _gather(L, node, A, a.shape, axis, lambda s: (_names_with(s.names, axis), s.names), I, lambda r: (
        f"{r.name(node)} = take_along_axis({r.name_of_access(A)}, {r.name_of_access(I)}, "
        f"axis={axis}): {r.type(a)}, {r.type(idx)} -> {r.type(node)}"), len(node.shape))


def _scatter(L, node, g, out_view, axis, out_exprs, I, comment, split):
    """Zeros, then out_view[..., q, ...] += g[...] with q = gg_index(I[...]) (repeats add up)."""
    G = L.access(g)
    out = L.dest(node)
    n = out_view.shape[axis]
    space = Space(g.shape)

    def write(r):
        if math.prod(g.shape) == 0 or n == 0:
            return ["/* nothing to add */"]
        o_names, idx_names = out_exprs(space)
        body = _index_line(r, I, idx_names, n, out_view, axis)
        if not body:
            o_names = o_names[:axis] + [None] + o_names[axis + 1:]
        return _split(space, body, [f"{at(r, out_view, o_names)} += {at(r, G, space.names)};"], split)

    L.kernel(node, [_fill(node, node.shape, out, 0.0), CodeNest(out, [G, I], write)], comment)


def lower_scatter_add(L, node):
    """The transpose of take: zeros of `shape`, g added at q = idx[...] along axis."""
    g, idx = node.inputs
    axis, I, shape = node.attrs["axis"], L.access(idx), node.attrs["shape"]
    if axis is None:
        view, axis = Buf(node, (math.prod(shape),)), 0
    else:
        view = Buf(node, shape)
    k = len(idx.shape)
    exprs = _through_index(axis, k)
    where = "of the flattened array" if node.attrs["axis"] is None else f"along axis {axis}"
    _scatter(L, node, g, view, axis, exprs, I, lambda r: (
        f"{r.name(node)} = zeros with {r.name_of_access(L.access(g))} added at {r.name_of_access(I)} "
        f"{where} (scatter_add, repeated indices summed): {r.type(g)} -> {r.type(node)}"), axis + k)


def lower_scatter_along_axis(L, node):
    """The transpose of take_along_axis: zeros, g[..., i, ...] added at idx[..., i, ...]."""
    g, idx = node.inputs
    axis = node.attrs["axis"]
    I = _aligned(L.access(idx), g.shape)
    _scatter(L, node, g, Buf(node, node.shape), axis, lambda s: (_names_with(s.names, axis), s.names), I,
             lambda r: (f"{r.name(node)} = zeros with {r.name_of_access(L.access(g))} added along axis "
                        f"{axis} at {r.name_of_access(I)} (scatter_along_axis, repeated indices summed): "
                        f"{r.type(g)} -> {r.type(node)}"), len(g.shape))


def lower_pad(L, node):
    """np.pad in constant mode: the value everywhere, then x copied into the middle."""
    (x,) = node.inputs
    pw, out = node.attrs["pad_width"], L.dest(node)
    index = tuple((pw[2 * d], pw[2 * d] + n, 1) for d, n in enumerate(x.shape))
    nests = [_fill(node, node.shape, out, node.attrs["value"]),
             MapNest(x.shape, views.slice_view(out, index), Leaf(L.access(x)))]
    L.kernel(node, nests, lambda r: f"{r.name(node)} = pad({r.name_of_access(L.access(x))}, "
             f"{[(pw[2 * d], pw[2 * d + 1]) for d in range(len(x.shape))]}, value={node.attrs['value']!r}): "
             f"{r.type(x)} -> {r.type(node)}")


def lower_logsumexp(L, node):
    """log(sum(exp(x - m))) + m over the axes, m the max (0 when it is not finite)."""
    (x,) = node.inputs
    X = L.access(x)
    axes = tuple(range(len(x.shape))) if node.attrs["axis"] is None else tuple(node.attrs["axis"])
    L.dest(node)
    keep = node.attrs["keepdims"]
    out = Buf(node, x.shape, reduced_strides(x.shape, axes, keep))
    space = Space(x.shape)
    kept = [d for d in range(len(x.shape)) if d not in axes]
    T = ctype(node.dtype)
    f = "f" if T == "float" else ""

    def write(r):
        if math.prod(node.shape) == 0:
            return _EMPTY
        src, names = at(r, X, space.names), space.names
        body = [f"{T} top = -INFINITY;", "double total = 0.0;"]
        body += space.loops([f"top = {helper(r, 'gg_max', T)}(top, {src});"], axes)
        body += ["if (!isfinite(top)) {", f"    top = {literal(0.0, node.dtype)};", "}"]
        body += space.loops([f"total += {helper(r, 'gg_exp', T)}({src} - top);"], axes)
        log = f"({T})log(total)" if f else "log(total)"
        body.append(f"{at(r, out, names)} = {log} + top;")
        return space.loops(body, kept)

    L.kernel(node, [CodeNest(out, [X], write)], lambda r: (
        f"{r.name(node)} = logsumexp({r.name_of_access(X)}, axis={node.attrs['axis']}, keepdims={keep}): "
        f"{r.type(x)} -> {r.type(node)}"))


def _as_matmul(L, node, terms, output) -> bool:
    """An einsum that is a (batched) matmul, `b...mk,b...kn->b...mn` with one summed letter and
    at most one row and one column letter, becomes a gemm of strided views of its operands."""
    if len(terms) != 2 or any(len(set(t)) != len(t) for t in terms):
        return False
    ta, tb = terms
    accs = [L.access(x) for x in node.inputs]
    if not all(isinstance(a, Buf) for a in accs):
        return False
    batch = [c for c in output if c in ta and c in tb]
    rows = [c for c in output if c in ta and c not in tb]
    cols = [c for c in output if c in tb and c not in ta]
    summed = [c for c in ta if c in tb and c not in output]
    if len(rows) > 1 or len(cols) > 1 or len(summed) != 1 or list(output) != batch + rows + cols or \
            set(ta) != set(batch + rows + summed) or set(tb) != set(batch + cols + summed):
        return False
    sizes = {c: n for t, x in zip(terms, node.inputs) for c, n in zip(t, x.shape)}

    def view(acc, term, letters):
        shape = [sizes[c] if c else 1 for c in letters]
        strides = [acc.strides[term.index(c)] if c else 0 for c in letters]
        return Buf(acc.base, shape, strides, acc.offset)

    m, n = (rows or [None])[0], (cols or [None])[0]
    A = view(accs[0], ta, batch + [m, summed[0]])
    B = view(accs[1], tb, batch + [summed[0], n])
    gemm(L, node, A, B, A.shape, B.shape, lambda r: (
        f"einsum('{node.attrs['subscripts']}') as a matmul, "
        f"{', '.join(r.type(x) for x in node.inputs)} -> {r.type(node)}"))
    return True


def lower_einsum(L, node):
    """np.einsum: a gemm when it is a matmul; otherwise, for each output element, the sum over
    the other letters of the operands' product."""
    terms, output = parse_subscripts(node.attrs["subscripts"], len(node.inputs))
    if _as_matmul(L, node, terms, output):
        return
    sizes = {c: n for t, x in zip(terms, node.inputs) for c, n in zip(t, x.shape)}
    summed = sorted(set("".join(terms)) - set(output), key="".join(terms).index)
    letters = list(output) + summed
    space = Space([sizes[c] for c in letters])
    name = dict(zip(letters, space.names))
    accs = [L.access(x) for x in node.inputs]
    L.dest(node)
    out = Buf(node, node.shape)
    T = ctype(node.dtype)
    n_out = len(output)

    def write(r):
        if math.prod(node.shape) == 0:
            return _EMPTY
        product = " * ".join(at(r, a, [name[c] for c in t]) for a, t in zip(accs, terms))
        dest = at(r, out, [name[c] for c in output])
        outer = range(n_out)
        if not summed:
            body = [f"{dest} = {product};"]
        else:
            result = "(float)acc" if T == "float" else "acc"
            body = ["double acc = 0.0;"] + space.loops([f"acc += {product};"], range(n_out, len(letters)))
            body.append(f"{dest} = {result};")
        return space.loops(body, outer)

    L.kernel(node, [CodeNest(out, accs, write)], lambda r: (
        f"{r.name(node)} = einsum('{node.attrs['subscripts']}', "
        f"{', '.join(r.name_of_access(a) for a in accs)}): "
        f"{', '.join(r.type(x) for x in node.inputs)} -> {r.type(node)}"
        + (f", summed over {''.join(summed)}" if summed else "")))
