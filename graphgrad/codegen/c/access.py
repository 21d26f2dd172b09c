"""How a loop reads a value: a strided view of a stored array (`Buf`) or an inline scalar (`Lit`).

The view ops cost nothing in C: a transpose permutes strides, a broadcast sets strides to 0, a
slice moves the offset and scales strides, a reshape of a contiguous array renames its shape. A
loop nest aligns every operand with its iteration space, merges dimensions that are contiguous for
every operand (`coalesce`), and indexes with `offset + i*s0 + j*s1 ...`.
"""
from __future__ import annotations

import math


def contiguous_strides(shape) -> tuple:
    """Row-major element strides of `shape`."""
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(step)
        step *= d
    return tuple(reversed(strides))


def reduced_strides(shape, axes, keepdims) -> list:
    """Strides that place each element of `shape` at its slot in the contiguous result of a
    reduction over `axes` (0 on a reduced dimension): a reduction's output seen as its input."""
    out = contiguous_strides(reduced_shape(shape, axes, keepdims))
    strides, at = [], 0
    for d in range(len(shape)):
        if d in axes:
            strides.append(0)
            at += keepdims
        else:
            strides.append(out[at])
            at += 1
    return strides


def reduced_shape(shape, axes, keepdims) -> tuple:
    return tuple(1 if d in axes else n for d, n in enumerate(shape) if keepdims or d not in axes)


class Buf:
    """Elements of the stored value `base` read as an array of `shape`: element (i0, i1, ...) is at
    base[offset + i0*strides[0] + ...]. `base` is an Input, a Node, or a code-generation Temp."""

    __slots__ = ("base", "shape", "strides", "offset")

    def __init__(self, base, shape, strides=None, offset=0):
        self.base, self.shape, self.offset = base, tuple(shape), offset
        self.strides = contiguous_strides(shape) if strides is None else tuple(strides)

    @property
    def dtype(self) -> str:
        return self.base.dtype

    def is_identity(self) -> bool:
        """Whether this reads the base's memory in order from its start (a contiguous view)."""
        if math.prod(self.shape) == 0:
            return True
        if self.offset:
            return False
        return all(s == c for s, c, d in zip(self.strides, contiguous_strides(self.shape), self.shape)
                   if d != 1)

    def aligned(self, shape) -> tuple:
        """Strides over an iteration space `shape` that this array broadcasts to (numpy's rule:
        leading dimensions and size-1 dimensions repeat, stride 0)."""
        lead = len(shape) - len(self.shape)
        out = [0] * lead
        for d, s, full in zip(self.shape, self.strides, shape[lead:]):
            out.append(0 if d == 1 and full != 1 else s)
        return tuple(out)

    def __repr__(self):
        return f"Buf({getattr(self.base, 'name', self.base)!r}, {self.shape}, {self.strides}, {self.offset})"


class Lit:
    """A scalar written inline (a 0-d constant, or a view of one): the same text everywhere."""

    __slots__ = ("text", "dtype", "shape")

    def __init__(self, text, dtype, shape=()):
        self.text, self.dtype, self.shape = text, dtype, tuple(shape)

    @property
    def level(self) -> int:
        return 1 if self.text.startswith("-") else 0


# --- the view ops ---------------------------------------------------------------------------

def transpose(a, axes):
    if isinstance(a, Lit):
        return Lit(a.text, a.dtype, tuple(a.shape[i] for i in axes))
    return Buf(a.base, [a.shape[i] for i in axes], [a.strides[i] for i in axes], a.offset)


def broadcast(a, shape):
    if isinstance(a, Lit):
        return Lit(a.text, a.dtype, shape)
    return Buf(a.base, shape, a.aligned(shape), a.offset)


def slice_view(a, index):
    """A canonical slice index (ints drop an axis; (start, stop, step) triples keep one)."""
    shape = []
    for entry in index:
        if not isinstance(entry, int):
            shape.append(len(range(*entry)))
    if isinstance(a, Lit):
        return Lit(a.text, a.dtype, shape)
    offset, strides = a.offset, []
    for entry, stride in zip(index, a.strides):
        if isinstance(entry, int):
            offset += entry * stride
        else:
            start, stop, step = entry
            if len(range(start, stop, step)):
                offset += start * stride
            strides.append(stride * step)
    return Buf(a.base, shape, strides, offset)


def reshape(a, shape):
    """The same elements in row-major order under a new shape; None when `a` is not contiguous
    (the caller copies it first)."""
    if isinstance(a, Lit):
        return Lit(a.text, a.dtype, shape)
    if math.prod(shape) == 0:
        return Buf(a.base, shape, None, 0)
    if not _contiguous(a):
        return None
    return Buf(a.base, shape, None, a.offset)


def _contiguous(a) -> bool:
    return all(s == c for s, c, d in zip(a.strides, contiguous_strides(a.shape), a.shape) if d != 1)


# --- loops over an iteration space ------------------------------------------------------------

def coalesce(shape, stride_lists, groups=None):
    """Drop size-1 dimensions and merge neighbours d, d+1 whenever every stride list has
    s[d] == s[d+1] * shape[d+1] (and both are in the same group, when `groups` says which
    dimensions belong together). Returns (dims, stride lists, groups) over the merged space."""
    keep = [d for d, n in enumerate(shape) if n != 1]
    dims = [shape[d] for d in keep]
    lists = [[s[d] for d in keep] for s in stride_lists]
    grp = [groups[d] for d in keep] if groups is not None else [0] * len(keep)
    d = len(dims) - 2
    while d >= 0:
        if grp[d] == grp[d + 1] and all(s[d] == s[d + 1] * dims[d + 1] for s in lists):
            dims[d] *= dims[d + 1]
            for s in lists:
                s[d] = s[d + 1]
                del s[d + 1]
            del dims[d + 1], grp[d + 1]
        d -= 1
    return dims, lists, grp


def index_text(offset, strides, names) -> str:
    """`offset + i*s0 + j*s1` with zero terms dropped and unit strides written bare."""
    terms = []
    for s, n in sorted(zip(strides, names), key=lambda t: -abs(t[0])):  # largest stride first
        if s == 0:
            continue
        if s == 1:
            terms.append(("+", n))
        else:
            terms.append(("-" if s < 0 else "+", f"{n}*{abs(s)}" if abs(s) != 1 else n))
    if offset or not terms:  # a constant offset goes first when a stride runs backwards
        term = ("-" if offset < 0 else "+", str(abs(offset)))
        terms.insert(0, term) if any(sign == "-" for sign, _ in terms) else terms.append(term)
    text = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    for sign, t in terms[1:]:
        text += f" {sign} {t}"
    return text
