"""Lowering of convolution, its two transposes, patches (im2col, col2im) and pooling: direct loop
nests with the reference kernels' semantics (graphgrad/graph/kernels.py): images (N, C, *spatial),
weights (O, C // groups, *kernel), padding as (low, high) pairs, windows `stride` apart and taps
`dilation` apart.

An input position is q = out * stride + tap * dilation - low; a tap that lands in the padding is
skipped (it would add a zero, or take the max with -inf), so no loop reads outside its operand.
Sums accumulate in double; the transposes add into the zeroed output tap by tap, in the order of
the reference's `unwindows`.
"""
from __future__ import annotations

import math
import re

from .access import Buf
from .clit import ctype, literal
from .kernels import _fill
from .nests import CodeNest, Space, at, helper

_EMPTY = ["/* nothing to compute: zero-size */"]


def _lin(terms, const=0) -> str:
    """`k*2 + i5*2 - 1`: the sum of coef * name over named terms, plus a constant."""
    parts = [n if c == 1 else f"{n}*{c}" for c, n in terms if n is not None and c != 0]
    text = " + ".join(parts)
    if const:
        text = f"{text} {'-' if const < 0 else '+'} {abs(const)}" if text else str(const)
    return text or "0"


def _join(*names):
    """One dimension's index as a tuple of names to add (None: 0)."""
    names = tuple(n for n in names if n is not None)
    return names or None


class _Window:
    """Input positions q0, q1, ... of output pixels and kernel taps on the spatial axes of `X`."""

    def __init__(self, X, sizes, stride, padding, dilation):
        self.X, self.sizes, self.stride, self.padding, self.dilation = X, sizes, stride, padding, dilation

    def positions(self, outs, taps):
        """(declarations, the in-range condition or None, per-axis index names for X)."""
        decls, conds, names = [], [], []
        for d, n in enumerate(self.sizes):
            lo, hi = self.padding[2 * d], self.padding[2 * d + 1]
            read = isinstance(self.X, Buf) and n != 1 and self.X.strides[2 + d] != 0
            q = f"q{d}"
            if lo or hi or read:
                decls.append(f"const long {q} = "
                             f"{_lin([(self.stride[d], outs[d]), (self.dilation[d], taps[d])], -lo)};")
            if lo:
                conds.append(f"{q} >= 0")
            if hi:
                conds.append(f"{q} < {n}")
            names.append(q if read else None)
        return decls, " && ".join(conds) or None, names


def _guarded(decls, cond, lines):
    if cond is None:
        return decls + lines
    return decls + [f"if ({cond}) {{"] + ["    " + x for x in lines] + ["}"]


def _result(T, acc="acc"):
    return f"(float){acc}" if T == "float" else acc


def _used(decls, step):
    """The channel declarations that `step` reads (an operand broadcast over channels reads none)."""
    return [d for d in decls if re.search(rf"\b{d.split()[2]}\b", step)]


def _groups(node):
    return node.attrs["groups"]


def lower_conv(L, node):
    """out[n, o, p] = sum over c, t of x[n, group(o) * C/G + c, q(p, t)] * w[o, c, t]."""
    x, w = node.inputs
    X, W = L.access(x), L.access(w)
    nd, G = len(x.shape) - 2, _groups(node)
    O, Cg = w.shape[:2]
    Og = O // G
    space = Space(node.shape + (Cg,) + w.shape[2:])
    nm = space.names
    n, o, p, c, t = nm[0], nm[1], nm[2:2 + nd], nm[2 + nd], nm[3 + nd:]
    win = _Window(X, x.shape[2:], node.attrs["stride"], node.attrs["padding"], node.attrs["dilation"])
    T = ctype(node.dtype)
    out = Buf(node, node.shape)
    L.dest(node)

    def write(r):
        if math.prod(node.shape) == 0:
            return _EMPTY
        decls, cond, q = win.positions(p, t)
        x_c = _join("c_in", c) if G > 1 else c
        step = f"acc += {at(r, X, [n, x_c] + q)} * {at(r, W, [o, c] + t)};"
        inner = space.loops(_guarded(decls, cond, [step]), range(2 + nd, len(nm)))
        body = ["double acc = 0.0;"] + inner + [f"{at(r, out, [n, o] + p)} = {_result(T)};"]
        per_pixel = space.loops(body, range(2, 2 + nd))
        return space.loops(_used([f"const long c_in = {o} / {Og} * {Cg};"] if G > 1 else [], step) + per_pixel,
                           [0, 1])

    L.kernel(node, [CodeNest(out, [X, W], write)], lambda r: (
        f"{r.name(node)} = conv({r.name_of_access(X)}, {r.name_of_access(W)}, stride={node.attrs['stride']}, "
        f"padding={node.attrs['padding']}, dilation={node.attrs['dilation']}, groups={G}): "
        f"{r.type(x)}, {r.type(w)} -> {r.type(node)}"))


def lower_conv_input_grad(L, node):
    """dx = zeros, then tap by tap: dx[n, c, q(p, t)] += sum over o of its group of
    g[n, o, p] * w[o, c % (C/G), t]."""
    g, w = node.inputs
    Gv, W = L.access(g), L.access(w)
    nd, G = len(node.shape) - 2, _groups(node)
    O, Cg = w.shape[:2]
    Og = O // G
    kernel = w.shape[2:]
    space = Space(kernel + node.shape[:2] + g.shape[2:] + (Og,))
    nm = space.names
    t, n, cf, p, oo = nm[:nd], nm[nd], nm[nd + 1], nm[nd + 2:2 * nd + 2], nm[-1]
    win = _Window(Buf(node, node.shape), node.shape[2:], node.attrs["stride"], node.attrs["padding"],
                  node.attrs["dilation"])
    T = ctype(node.dtype)
    out = L.dest(node)

    def write(r):
        if math.prod(node.shape) == 0 or math.prod(g.shape) == 0:
            return ["/* nothing to add */"]
        decls, cond, q = win.positions(p, t)
        o_full = _join("c_out", oo) if G > 1 else oo
        step = f"acc += {at(r, Gv, [n, o_full] + p)} * {at(r, W, [o_full, 'c_in' if G > 1 else cf] + t)};"
        add = ["double acc = 0.0;"] + space.loops([step], [len(nm) - 1])
        add.append(f"{at(r, out, [n, cf] + q)} += {_result(T)};")
        pixel = space.loops(_guarded(decls, cond, add), range(nd + 2, 2 * nd + 2))
        groups = [f"const long c_out = {cf} / {Cg} * {Og};", f"const long c_in = {cf} % {Cg};"] if G > 1 else []
        groups = _used(groups, step)
        return space.loops(groups + pixel, range(nd + 2))

    L.kernel(node, [_fill(node, node.shape, out, 0.0), CodeNest(out, [Gv, W], write)], lambda r: (
        f"{r.name(node)} = conv_input_grad({r.name_of_access(Gv)}, {r.name_of_access(W)}, "
        f"stride={node.attrs['stride']}, padding={node.attrs['padding']}, dilation={node.attrs['dilation']}, "
        f"groups={G}), tap by tap: {r.type(g)}, {r.type(w)} -> {r.type(node)}"))


def lower_conv_filter_grad(L, node):
    """dw[o, c, t] = sum over n, p of g[n, o, p] * x[n, group(o) * C/G + c, q(p, t)]."""
    x, g = node.inputs
    X, Gv = L.access(x), L.access(g)
    nd, G = len(x.shape) - 2, _groups(node)
    O, Cg = node.shape[:2]
    Og = O // G
    space = Space(node.shape + (x.shape[0],) + g.shape[2:])
    nm = space.names
    o, c, t, n, p = nm[0], nm[1], nm[2:2 + nd], nm[2 + nd], nm[3 + nd:]
    win = _Window(X, x.shape[2:], node.attrs["stride"], node.attrs["padding"], node.attrs["dilation"])
    T = ctype(node.dtype)
    out = Buf(node, node.shape)
    L.dest(node)

    def write(r):
        if math.prod(node.shape) == 0:
            return _EMPTY
        decls, cond, q = win.positions(p, t)
        x_c = _join("c_in", c) if G > 1 else c
        step = f"acc += {at(r, Gv, [n, o] + p)} * {at(r, X, [n, x_c] + q)};"
        inner = space.loops(_guarded(decls, cond, [step]), range(2 + nd, len(nm)))
        body = ["double acc = 0.0;"] + inner + [f"{at(r, out, [o, c] + t)} = {_result(T)};"]
        per_o = space.loops(body, range(1, 2 + nd))
        return space.loops(_used([f"const long c_in = {o} / {Og} * {Cg};"] if G > 1 else [], step) + per_o, [0])

    L.kernel(node, [CodeNest(out, [X, Gv], write)], lambda r: (
        f"{r.name(node)} = conv_filter_grad({r.name_of_access(X)}, {r.name_of_access(Gv)}, "
        f"stride={node.attrs['stride']}, padding={node.attrs['padding']}, dilation={node.attrs['dilation']}, "
        f"groups={G}): {r.type(x)}, {r.type(g)} -> {r.type(node)}"))


def _window_text(node):
    a = node.attrs
    return ", ".join(f"{k}={a[k]}" for k in ("kernel", "stride", "padding", "dilation") if k in a)


def lower_im2col(L, node):
    """out[n, c, p, t] = x[n, c, q(p, t)], 0 in the padding."""
    (x,) = node.inputs
    X = L.access(x)
    nd = len(x.shape) - 2
    space = Space(node.shape)
    nm = space.names
    win = _Window(X, x.shape[2:], node.attrs["stride"], node.attrs["padding"], node.attrs["dilation"])
    out = Buf(node, node.shape)
    L.dest(node)

    def write(r):
        if math.prod(node.shape) == 0:
            return _EMPTY
        decls, cond, q = win.positions(nm[2:2 + nd], nm[2 + nd:])
        value = at(r, X, nm[:2] + q)
        if cond is not None:
            value = f"({cond}) ? {value} : {literal(0.0, node.dtype)}"
        return space.loops(decls + [f"{at(r, out, nm)} = {value};"])

    L.kernel(node, [CodeNest(out, [X], write)], lambda r: (
        f"{r.name(node)} = im2col({r.name_of_access(X)}, {_window_text(node)}): {r.type(x)} -> {r.type(node)}"))


def lower_col2im(L, node):
    """The transpose of im2col: zeros, then tap by tap x[n, c, q(p, t)] += patches[n, c, p, t]."""
    (pt,) = node.inputs
    P = L.access(pt)
    nd = len(node.shape) - 2
    kernel = pt.shape[2 + nd:]
    space = Space(tuple(kernel) + pt.shape[:2 + nd])
    nm = space.names
    t, n, c, p = nm[:nd], nm[nd], nm[nd + 1], nm[nd + 2:]
    win = _Window(Buf(node, node.shape), node.shape[2:], node.attrs["stride"], node.attrs["padding"],
                  node.attrs["dilation"])
    out = L.dest(node)

    def write(r):
        if math.prod(pt.shape) == 0:
            return ["/* nothing to add */"]
        decls, cond, q = win.positions(p, t)
        step = f"{at(r, out, [n, c] + q)} += {at(r, P, [n, c] + p + t)};"
        return space.loops(_guarded(decls, cond, [step]))

    L.kernel(node, [_fill(node, node.shape, out, 0.0), CodeNest(out, [P], write)], lambda r: (
        f"{r.name(node)} = col2im({r.name_of_access(P)}, {_window_text(node)}), tap by tap: "
        f"{r.type(pt)} -> {r.type(node)}"))


def _lower_pool(L, node, kind):
    (x,) = node.inputs
    X = L.access(x)
    nd = len(x.shape) - 2
    kernel = node.attrs["kernel"]
    space = Space(node.shape + tuple(kernel))
    nm = space.names
    win = _Window(X, x.shape[2:], node.attrs["stride"], node.attrs["padding"], (1,) * nd)
    T = ctype(node.dtype)
    out = Buf(node, node.shape)
    L.dest(node)

    def write(r):
        if math.prod(node.shape) == 0:
            return _EMPTY
        decls, cond, q = win.positions(nm[2:2 + nd], nm[2 + nd:])
        value = at(r, X, nm[:2] + q)
        if kind == "max":
            init, step = f"{T} top = -INFINITY;", f"top = {helper(r, 'gg_max', T)}(top, {value});"
            result = "top"
        else:
            init, step = "double acc = 0.0;", f"acc += {value};"
            result = _result(T, f"(acc / {literal(math.prod(kernel), 'float64')})")
        inner = space.loops(_guarded(decls, cond, [step]), range(2 + nd, 2 * nd + 2))
        return space.loops([init] + inner + [f"{at(r, out, nm[:2 + nd])} = {result};"], range(2 + nd))

    what = "-inf" if kind == "max" else "zeros, counted"
    L.kernel(node, [CodeNest(out, [X], write)], lambda r: (
        f"{r.name(node)} = {node.op}({r.name_of_access(X)}, {_window_text(node)}; padding {what}): "
        f"{r.type(x)} -> {r.type(node)}"))


def lower_max_pool(L, node):
    """out[n, c, p] = the max over taps t of x[n, c, q(p, t)] (the padding is -inf)."""
    _lower_pool(L, node, "max")


def lower_avg_pool(L, node):
    """out[n, c, p] = the sum over taps t of x[n, c, q(p, t)] / the kernel's size."""
    _lower_pool(L, node, "avg")
