"""Loop nests, the units of generated C: each knows its iteration space, what it reads and what
it writes, and renders itself as a commented C block.

- `MapNest`: dest[idx] = f(leaves[idx]) over an iteration space (a fused elementwise chain, a copy,
  a fill).
- `ReduceNest`: a sum, mean or max over some dimensions of a fused chain.
- `SoftmaxNest`: softmax or log_softmax along one axis (max, sum of exp, normalise).
- `GemmNest`: one `gg_dgemm` call per batch element (transposes through its flags).
- `CodeNest`: loops a kernel writes itself (gathers, scatters, convolutions: kernels_*.py).
"""
from __future__ import annotations

import math

from .access import Buf, coalesce, index_text
from .clit import ctype, literal
from .expr import INLINE_CHARS, leaves, render_tree
from .rows import polynomial_calls, render_rows

LANES = 8  # partial sums of a long reduction
ROWS = 4  # rows a sum over leading rows adds to its destination at a time
_INDEX = ["i", "j", "k", "l"] + [f"i{n}" for n in range(4, 64)]


def loop_lines(dims, names, body, indent="") -> list:
    """`for` loops over `dims` (outermost first) around the lines of `body`."""
    lines, pad = [], indent
    for n, name in zip(dims, names):
        lines.append(f"{pad}for (long {name} = 0; {name} < {n}; ++{name}) {{")
        pad += "    "
    lines += [pad + b for b in body]
    for _ in dims:
        pad = pad[:-4]
        lines.append(pad + "}")
    return lines


def helper(r, name, T) -> str:
    """The name of a static helper for element type T (`gg_max`/`gg_maxf`, `gg_dgemm`/`gg_sgemm`),
    marked as used."""
    if name == "gg_gemm":
        name = "gg_dgemm" if T == "double" else "gg_sgemm"
    elif T == "float":
        name += "f"
    r.use(name)
    return name


def _block(lines) -> list:
    """A statement list as one statement (braces when it declares locals)."""
    if any(line.startswith("const ") or line.startswith(("double ", "float ")) for line in lines):
        return ["{"] + ["    " + x for x in lines] + ["}"]
    return lines


class MapNest:
    """dest[idx] = expr(idx) for every idx of `shape`."""

    def __init__(self, shape, dest: Buf, tree):
        self.shape, self.dest, self.tree = tuple(shape), dest, tree

    def reads(self) -> list:
        return [leaf.access for leaf in leaves(self.tree) if isinstance(leaf.access, Buf)]

    def render(self, r) -> list:
        if math.prod(self.shape) == 0:
            return ["/* nothing to compute: zero-size */"]
        bufs = [self.dest] + self.reads()
        dims, lists, _ = coalesce(self.shape, [b.aligned(self.shape) for b in bufs])
        names = _INDEX[:len(dims)]
        texts = {id(b): f"{r.ptr(b.base)}[{index_text(b.offset, s, names)}]" for b, s in zip(bufs, lists)}

        def body(tree, more):
            prelude, root = render_tree(tree, lambda leaf: more.get(id(leaf.access)) or texts[id(leaf.access)], r)
            return prelude + [f"{texts[id(self.dest)]} = {root.text};"]

        calls = polynomial_calls(self.tree, dims, bufs, lists)
        if calls:  # short rows: the exps, tanhs and logs first, in flat loops (rows.py)
            def flat(buf, position):
                return f"{r.ptr(buf.base)}[{buf.offset} + {position}]" if buf.offset else \
                    f"{r.ptr(buf.base)}[{position}]"
            return render_rows(r, self.tree, dims, names, calls, flat, body)
        lines = body(self.tree, {})
        return loop_lines(dims, names, lines) if dims else _block(lines)


class ConcatNest:
    """The pieces of a concatenation along axis `len(outer)` written in one loop over the
    dimensions before that axis, each row's pieces one after the other (narrow pieces, like the
    columns of a feature matrix, would otherwise each take a loop of strided stores)."""

    def __init__(self, outer, pieces):
        self.outer, self.pieces = tuple(outer), pieces  # pieces: MapNests over their own shapes

    def reads(self) -> list:
        return [b for p in self.pieces for b in p.reads()]

    def render(self, r) -> list:
        n = len(self.outer)
        body = []
        for p in self.pieces:
            inner = [d for d in range(n, len(p.shape)) if p.shape[d] != 1]
            names = _INDEX[:n] + _INDEX[n:n + len(inner)]
            bufs = [p.dest] + p.reads()
            texts = {}
            for b in bufs:
                st = b.aligned(p.shape)
                texts[id(b)] = f"{r.ptr(b.base)}[{index_text(b.offset, st[:n] + tuple(st[d] for d in inner), names)}]"
            prelude, root = render_tree(p.tree, lambda leaf: texts[id(leaf.access)], r)
            lines = prelude + [f"{texts[id(p.dest)]} = {root.text};"]
            body += loop_lines([p.shape[d] for d in inner], names[n:], lines) if inner else _block(lines)
        return loop_lines(self.outer, _INDEX[:n], body)


class ReduceNest:
    """dest = sum, mean or max of expr over the dimensions of `shape` where dest's stride is 0.

    `dest_strides` give dest's element stride per dimension of `shape`. When the reduced
    dimensions all come first, rows are accumulated into dest in memory order; otherwise each
    output element gets a scalar accumulator over inner loops (double for sums).
    """

    def __init__(self, shape, dest: Buf, dest_strides, tree, kind):
        self.shape, self.dest, self.dest_strides = tuple(shape), dest, tuple(dest_strides)
        self.tree, self.kind = tree, kind

    def reads(self) -> list:
        return [leaf.access for leaf in leaves(self.tree) if isinstance(leaf.access, Buf)]

    def render(self, r) -> list:
        out_size = math.prod(self.dest.shape)
        if out_size == 0:
            return ["/* nothing to compute: zero-size */"]
        reduced = [s == 0 and n != 1 for s, n in zip(self.dest_strides, self.shape)]
        live = [d for d, n in enumerate(self.shape) if n != 1]
        leading = any(not reduced[d] for d in live) and \
            all(reduced[d] for d in live[:sum(reduced[d] for d in live)])
        if leading:
            return self._accumulate(r, reduced)
        return self._inner(r, reduced)

    def _count(self) -> int:
        return math.prod(self.shape) // max(1, math.prod(self.dest.shape))

    def _texts(self, r, shape, stride_lists, names, bufs):
        return {id(b): f"{r.ptr(b.base)}[{index_text(b.offset, s, names)}]"
                for b, s in zip(bufs, stride_lists)}

    def _inner(self, r, reduced) -> list:
        order = [d for d in range(len(self.shape)) if not reduced[d]] + \
            [d for d in range(len(self.shape)) if reduced[d]]
        shape = [self.shape[d] for d in order]
        bufs = self.reads()
        strides = [[self.dest_strides[d] for d in order]] + \
            [[b.aligned(self.shape)[d] for d in order] for b in bufs]
        dims, lists, groups = coalesce(shape, strides, [int(reduced[d]) for d in order])
        names = _INDEX[:len(dims)]
        texts = self._texts(r, dims, lists[1:], names, bufs)
        prelude, root = render_tree(self.tree, lambda leaf: texts[id(leaf.access)], r)
        T = ctype(self.dest.dtype)
        dest = f"{r.ptr(self.dest.base)}[{index_text(self.dest.offset, lists[0], names)}]"
        n_outer = groups.count(0)
        if self.kind == "max":
            init, step, result = f"{T} acc = -INFINITY;", f"acc = {helper(r, 'gg_max', T)}(acc, {root.text});", "acc"
        else:
            init, step = "double acc = 0.0;", f"acc += {root.text};"
            result = f"acc / {literal(self._count(), 'float64')}" if self.kind == "mean" else "acc"
            if T == "float":
                result = f"(float)({result})"
        inner_dims = dims[n_outer:]
        if self.kind != "max" and len(inner_dims) == 1 and inner_dims[0] >= 4 * LANES:
            body = self._lanes(inner_dims[0], names[n_outer], prelude, root.text) + [f"{dest} = {result};"]
        else:
            body = [init] + loop_lines(inner_dims, names[n_outer:], prelude + [step]) + [f"{dest} = {result};"]
        if n_outer:
            return loop_lines(dims[:n_outer], names[:n_outer], body)
        return ["{"] + ["    " + x for x in body] + ["}"]

    @staticmethod
    def _lanes(n, i, prelude, value) -> list:
        """A long sum in LANES partial sums, added pairwise at the end (as numpy's pairwise sum
        does in blocks): the loop vectorizes, where one accumulator is a chain of dependent adds."""
        parts = [f"part[{k}]" for k in range(LANES)]
        while len(parts) > 1:
            parts = [f"({a} + {b})" for a, b in zip(parts[::2], parts[1::2])]
        whole = n // LANES * LANES
        lines = [f"double part[{LANES}] = {{0.0}};", "double acc;",
                 f"for (long q0 = 0; q0 < {whole}; q0 += {LANES}) {{",
                 f"    for (long lane = 0; lane < {LANES}; ++lane) {{",
                 f"        const long {i} = q0 + lane;"]
        lines += ["        " + x for x in prelude] + [f"        part[lane] += {value};", "    }", "}",
                                                      f"acc = {parts[0][1:-1]};"]
        if whole < n:
            lines += loop_lines([n - whole], ["q1"], [f"const long {i} = {whole} + q1;", *prelude,
                                                         f"acc += {value};"])
        return lines

    def _accumulate(self, r, reduced) -> list:
        T = ctype(self.dest.dtype)
        bufs = [self.dest] + self.reads()
        dims, lists, _ = coalesce(self.shape, [self.dest_strides] + [b.aligned(self.shape) for b in bufs[1:]])
        names = _INDEX[:len(dims)]
        texts = self._texts(r, dims, lists[1:], names, bufs[1:])
        prelude, root = render_tree(self.tree, lambda leaf: texts[id(leaf.access)], r)
        ptr = r.ptr(self.dest.base)
        dest = f"{ptr}[{index_text(self.dest.offset, lists[0], names)}]"
        kept = math.prod(self.dest.shape)
        flat = f"{ptr}[{index_text(self.dest.offset, [1], ['i'])}]"
        init = "-INFINITY" if self.kind == "max" else literal(0.0, self.dest.dtype)
        lines = loop_lines([kept], ["i"], [f"{flat} = {init};"])
        if self.kind == "max":
            step = f"{dest} = {helper(r, 'gg_max', T)}({dest}, {root.text});"
        else:
            step = f"{dest} += {root.text};"
        rows = self._rows_at_once(r, dims, lists, names, bufs[1:], dest) if self.kind != "max" else None
        lines += rows or loop_lines(dims, names, prelude + [step])
        if self.kind == "mean":
            lines += loop_lines([kept], ["i"], [f"{flat} /= {literal(self._count(), self.dest.dtype)};"])
        return lines

    def _rows_at_once(self, r, dims, lists, names, bufs, dest):
        """A sum over leading rows (a bias gradient) that adds ROWS rows to dest at a time, as
        `dest += (v(i) + v(i+1)) + (v(i+2) + v(i+3))`: a quarter of the loads and stores of
        dest, which otherwise bound the loop (W5's 64x64 column sum 1470 -> 840 cycles). None
        where the outermost loop is not reduced or is short, or where the value is long or needs
        prelude lines."""
        n, i = dims[0], names[0]
        if lists[0][0] != 0 or n < 2 * ROWS:
            return None
        values = []
        for k in range(ROWS):
            texts = self._texts(r, dims, lists[1:], [f"({i} + {k})" if k else i] + names[1:], bufs)
            prelude, root = render_tree(self.tree, lambda leaf: texts[id(leaf.access)], r)
            if prelude or len(root.text) > INLINE_CHARS:  # four long values would not read
                return None
            values.append(root.text)
        while len(values) > 1:
            values = [f"({a} + {b})" for a, b in zip(values[::2], values[1::2])]
        whole = n // ROWS * ROWS
        lines = [f"for (long {i} = 0; {i} < {whole}; {i} += {ROWS}) {{",
                 *loop_lines(dims[1:], names[1:], [f"{dest} += {values[0][1:-1]};"], "    "), "}"]
        if whole < n:
            texts = self._texts(r, dims, lists[1:], names, bufs)
            _, root = render_tree(self.tree, lambda leaf: texts[id(leaf.access)], r)
            lines += [f"for (long {i} = {whole}; {i} < {n}; ++{i}) {{",
                      *loop_lines(dims[1:], names[1:], [f"{dest} += {root.text};"], "    "), "}"]
        return lines


class SoftmaxNest:
    """softmax (or log_softmax) of `src` along `axis`: max, then the sum of exp, then normalise."""

    BLOCK = 512  # rows whose maxima and sums are kept in local arrays at a time

    def __init__(self, shape, axis, src, dest: Buf, log: bool):
        self.shape, self.axis, self.src, self.dest, self.log = tuple(shape), axis, src, dest, log

    def reads(self) -> list:
        return [self.src] if isinstance(self.src, Buf) else []

    def render(self, r) -> list:
        if math.prod(self.shape) == 0:
            return ["/* nothing to compute: zero-size */"]
        T = ctype(self.dest.dtype)
        order = [d for d in range(len(self.shape)) if d != self.axis] + [self.axis]
        shape = [self.shape[d] for d in order]
        bufs = [self.dest] + self.reads()
        strides = [[b.aligned(self.shape)[d] for d in order] for b in bufs]
        groups = [0] * (len(order) - 1) + [1]
        dims, lists, grp = coalesce(shape, strides, groups)
        names = _INDEX[:len(dims)]
        if 1 not in grp:  # the axis has length 1: keep a loop of one for the same code shape
            dims, grp, names = dims + [1], grp + [1], _INDEX[:len(dims) + 1]
            lists = [s + [0] for s in lists]
        n_outer = grp.count(0)
        dest = f"{r.ptr(self.dest.base)}[{index_text(self.dest.offset, lists[0], names)}]"
        src = self.src.text if not isinstance(self.src, Buf) else \
            f"{r.ptr(self.src.base)}[{index_text(self.src.offset, lists[1], names)}]"
        inner_dims, inner_names = dims[n_outer:], names[n_outer:]
        rows = math.prod(dims[:n_outer])
        flat = coalesce(self.shape, [self.dest.aligned(self.shape)])
        if n_outer and len(flat[0]) == 1 and flat[1][0] == [1] and \
                (rows <= self.BLOCK or lists[0][n_outer:] == [1]):
            return self._blocked(r, T, dims[:n_outer], names[:n_outer], inner_dims, inner_names, dest, src)
        # the exps go to dest first, in a loop of their own that vectorizes; then they are summed
        top = [f"{T} top = -INFINITY;", *loop_lines(inner_dims, inner_names,
                                                    [f"top = {helper(r, 'gg_max', T)}(top, {src});"])]
        total = ["double total = 0.0;", *loop_lines(inner_dims, inner_names, [f"total += {dest};"])]
        if self.log:
            lse = [f"const {T} lse = ({T})log(total);" if T == "float" else "const double lse = log(total);"]
            last = lse + loop_lines(inner_dims, inner_names, [f"{dest} = ({src} - top) - lse;"])
        else:
            last = loop_lines(inner_dims, inner_names, [f"{dest} = {dest} / ({T})total;" if T == "float"
                                                        else f"{dest} = {dest} / total;"])
        exp = helper(r, "gg_exp", T)
        body = top + loop_lines(inner_dims, inner_names, [f"{dest} = {exp}({src} - top);"]) + total + last
        if n_outer:
            return loop_lines(dims[:n_outer], names[:n_outer], body)
        return ["{"] + ["    " + x for x in body] + ["}"]

    def _blocked(self, r, T, outer, outer_names, inner_dims, inner_names, dest, src) -> list:
        """dest contiguous: rows in blocks of up to BLOCK (all of them in one block, or blocks of
        contiguous rows), each row's max and sum kept in local arrays. dest holds x - max first, so
        that the block's exps are one long loop (rows are often shorter than a vector loop's
        stride); then the sums, for log_softmax one loop of `gg_log` over them (vectorized, where
        libm's log is a call per row), and the normalisation. The values are the same."""
        rows, n = math.prod(outer), math.prod(inner_dims)
        size = min(rows, self.BLOCK)
        # the locals' names are fresh: a value the nest reads may be called `sum` or `tops`
        sums, tops, r0, nr, row = (r.fresh(x) for x in ("sum", "tops", "r0", "nr", "row"))
        count = nr if rows > size else str(rows)
        row = row if rows > size else "q"
        which = [f"const long {row} = {r0} + q;"] if rows > size else []  # each outer index from the row
        for d, name in enumerate(outer_names):
            below = math.prod(outer[d + 1:])
            text = row if below == 1 else f"{row} / {below}"
            which.append(f"const long {name} = {text}{f' % {outer[d]}' if d else ''};")

        def each_row(body):
            return loop_lines([count], ["q"], which + body)

        cell = f"{r.ptr(self.dest.base)}[{index_text(self.dest.offset, [1], ['i'])}]"
        maxed = [f"{T} top = -INFINITY;",
                 *loop_lines(inner_dims, inner_names, [f"top = {helper(r, 'gg_max', T)}(top, {src});"]),
                 *loop_lines(inner_dims, inner_names, [f"{dest} = {src} - top;"])]
        lines = [f"double {sums}[{size}];", f"{T} {tops}[{size}];"] if self.log else []
        if rows > size:
            lines.append(f"const long {nr} = {rows} - {r0} < {size} ? {rows} - {r0} : {size};")
        lines += each_row(maxed + ([f"{tops}[q] = top;"] if self.log else []))
        exp = [f"{cell} = {helper(r, 'gg_exp', T)}({cell});"]
        if rows > size:
            lines += [f"for (long i = {r0} * {n}; i < ({r0} + {nr}) * {n}; ++i) {{", "    " + exp[0], "}"]
        else:
            lines += loop_lines([rows * n], ["i"], exp)
        total = ["double total = 0.0;", *loop_lines(inner_dims, inner_names, [f"total += {dest};"])]
        if self.log:
            lines += each_row(total + [f"{sums}[q] = total;"])
            lines += loop_lines([count], ["q"], [f"{sums}[q] = {helper(r, 'gg_log', 'double')}({sums}[q]);"])
            lse = f"({T}){sums}[q]" if T == "float" else f"{sums}[q]"
            lines += each_row(loop_lines(inner_dims, inner_names, [f"{dest} = ({src} - {tops}[q]) - {lse};"]))
        else:
            lines += each_row(total + loop_lines(inner_dims, inner_names, [
                f"{dest} = {dest} / ({T})total;" if T == "float" else f"{dest} = {dest} / total;"]))
        if rows > size:
            return [f"for (long {r0} = 0; {r0} < {rows}; {r0} += {size}) {{"] + ["    " + x for x in lines] + ["}"]
        return ["{"] + ["    " + x for x in lines] + ["}"] if self.log else lines


class GemmNest:
    """c = op(a) @ op(b) for each element of a batch: `gg_dgemm` (CBLAS or a blocked loop).

    `a`, `b`, `c` are (Buf, per-batch-dimension element strides); m, n, k the matrix sizes;
    ta/tb 'N' or 'T' with leading dimensions lda/ldb (c is contiguous, ldc = n).
    """

    def __init__(self, batch, a, b, c, m, n, k, ta, lda, tb, ldb):
        self.batch, self.a, self.b, self.c = tuple(batch), a, b, c
        self.m, self.n, self.k, self.ta, self.lda, self.tb, self.ldb = m, n, k, ta, lda, tb, ldb

    def reads(self) -> list:
        return [self.a[0], self.b[0]]

    def render(self, r) -> list:
        if math.prod(self.batch) * self.m * self.n == 0:
            return ["/* nothing to compute: zero-size */"]
        dims, lists, _ = coalesce(self.batch, [self.a[1], self.b[1], self.c[1]])
        names = _INDEX[:len(dims)]
        fn = helper(r, "gg_gemm", ctype(self.c[0].dtype))

        def ptr(buf, strides):
            index = index_text(buf.offset, strides, names)
            base = r.ptr(buf.base)
            return base if index == "0" else f"{base} + {index}"

        call = (f"{fn}('{self.ta}', '{self.tb}', {self.m}, {self.n}, {self.k}, "
                f"{ptr(self.a[0], lists[0])}, {self.lda}, {ptr(self.b[0], lists[1])}, {self.ldb}, "
                f"{ptr(self.c[0], lists[2])}, {max(1, self.n)});")
        return loop_lines(dims, names, [call]) if dims else [call]


class CodeNest:
    """Loops written by a kernel function: `write(r)` returns the C lines that write `dest`;
    `accesses` are the operands it reads (Bufs count for the memory plan: they live until this
    nest has run)."""

    def __init__(self, dest: Buf, accesses, write):
        self.dest, self.accesses, self.write = dest, list(accesses), write

    def reads(self) -> list:
        return [a for a in self.accesses if isinstance(a, Buf)]

    def render(self, r) -> list:
        return self.write(r)


_DECL = ("const ", "double ", "float ", "long ")


class Space:
    """Named loops over the dimensions of a shape, for `CodeNest`s: `names[d]` is dimension d's
    loop index (None for a dimension of length 1, which gets no loop), `at(r, acc, exprs)` the
    element of an access at per-dimension index expressions (None: index 0)."""

    def __init__(self, shape, first=0):
        self.shape, self.names = tuple(shape), []
        for n in self.shape:
            self.names.append(None if n == 1 else _INDEX[first])
            first += n != 1

    def loops(self, body, dims=None, indent="") -> list:
        dims = range(len(self.shape)) if dims is None else dims
        live = [d for d in dims if self.names[d] is not None]
        if not live:  # no loop: a block of its own when it declares locals
            return block(body) if any(x.startswith(_DECL) for x in body) else list(body)
        return loop_lines([self.shape[d] for d in live], [self.names[d] for d in live], body, indent)


def at(r, acc, exprs) -> str:
    """acc's element at index names `exprs` (one per dimension: a name, a tuple of names to add, or
    None for 0): the array read
    `base[offset + i*s0 + ...]`, or an inline scalar's text."""
    if not isinstance(acc, Buf):
        return acc.text
    pairs = [(s, n) for s, e in zip(acc.strides, exprs) if e is not None and s != 0
             for n in ((e,) if isinstance(e, str) else e)]
    return f"{r.ptr(acc.base)}[{index_text(acc.offset, [s for s, _ in pairs], [e for _, e in pairs])}]"


def block(lines) -> list:
    """Lines as one braced C block (for locals declared outside any loop)."""
    return ["{"] + ["    " + x for x in lines] + ["}"]
