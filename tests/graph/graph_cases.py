"""The op test table: for every op in the op table, a hypothesis strategy of test cases.

A `Case` gives input shapes, a `build(graph, *tensors)` that applies the op through the front end
(or `Graph.add` for ops the front end does not expose), and a numpy `reference(*arrays)` written
independently. test_graph_ops.py walks `graphgrad.graph.OPS` and fails for an op missing here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import math
import operator
from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graphgrad as gg

SIDE = 4  # dimension sizes 0..SIDE: size-1 and zero-size dimensions included


@dataclass
class Case:
    """One op application: input shapes (float inputs of the tested dtype), builder, reference."""

    shapes: list
    build: Callable
    reference: Callable
    positive: bool = False  # inputs must be > 0 (log, sqrt, fractional powers)
    seed: int = 0
    note: dict = field(default_factory=dict)  # what was drawn, for failure messages

    def arrays(self, dtype):
        """Input data: standard normal (or positive), of `dtype`."""
        rng = np.random.default_rng(self.seed)
        out = []
        for shape in self.shapes:
            a = rng.standard_normal(shape)
            out.append((np.abs(a) + 0.1 if self.positive else a).astype(dtype))
        return out


def shapes(min_dims=0, max_dims=4, min_side=0):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=SIDE)


seeds = st.integers(0, 2 ** 32 - 1)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# Ops numpy has no function of the same name for; every other elementwise op of the op table is
# checked against numpy's own function of its name (a new ufunc op needs no entry here).
REFERENCES = {"sigmoid": _sigmoid, "relu": lambda x: np.maximum(x, 0)}
OPERATORS = {"add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
             "divide": operator.truediv, "less": operator.lt, "less_equal": operator.le,
             "greater": operator.gt, "greater_equal": operator.ge}
POSITIVE = {"log", "sqrt", "log1p"}  # ops tested on positive inputs only


def reference(op):
    """numpy's function for an elementwise op: independent of graphgrad's own reference."""
    fn = REFERENCES.get(op) or getattr(np, op, None)
    if fn is None:
        raise AssertionError(f"elementwise op {op!r} has no numpy function of that name: add a "
                             "reference to tests/graph/graph_cases.py REFERENCES")
    return fn


UNARY = [op for op, d in gg.graph.OPS.items() if d.category == "unary" and not d.attrs]
BINARY = [op for op, d in gg.graph.OPS.items() if d.category in ("binary", "compare")]


def unary_case(op):
    @st.composite
    def strategy(draw, dtype):
        fn = getattr(gg, op)
        return Case([draw(shapes())], lambda g, x: fn(x), reference(op),
                    positive=op in POSITIVE, seed=draw(seeds))
    return strategy


def binary_case(op):
    @st.composite
    def strategy(draw, dtype):
        ref, python_op = reference(op), OPERATORS.get(op)
        fn = python_op if python_op and draw(st.booleans()) else getattr(gg, op)
        seed = draw(seeds)
        if draw(st.integers(0, 4)) == 0:  # a Python number mixes in with the tensor's dtype
            number = draw(st.sampled_from([2.5, -1.0, 3]))
            return Case([draw(shapes())], lambda g, x: fn(x, number), lambda a: ref(a, number),
                        seed=seed, note={"number": number})
        pair = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=SIDE))
        return Case(list(pair.input_shapes), lambda g, x, y: fn(x, y), ref, seed=seed)
    return strategy


@st.composite
def power_case(draw, dtype):
    e = draw(st.sampled_from([0.5, 3, -1.0, 1.5, 0.0, -2.5]))
    return Case([draw(shapes())], lambda g, x: x ** e, lambda a: np.power(a, a.dtype.type(e)),
                positive=True, seed=draw(seeds), note={"exponent": e})


@st.composite
def cast_case(draw, dtype):
    target = draw(st.sampled_from([d for d in ("float32", "float64", "bool") if d != dtype]))
    return Case([draw(shapes())], lambda g, x: x.astype(target), lambda a: a.astype(target),
                seed=draw(seeds), note={"target": target})


@st.composite
def where_case(draw, dtype):
    s = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=4, max_side=SIDE)).input_shapes
    if draw(st.booleans()):
        return Case(list(s), lambda g, c, x, y: gg.where(c > 0, x, y),
                    lambda c, x, y: np.where(c > 0, x, y), seed=draw(seeds))
    return Case(list(s[:2]), lambda g, c, x: gg.where(c > 0, x, 0.0),
                lambda c, x: np.where(c > 0, x, x.dtype.type(0)), seed=draw(seeds))


@st.composite
def constant_case(draw, dtype):
    kind = draw(st.sampled_from([dtype, "bool"]))
    shape = draw(shapes())
    elements = st.booleans() if kind == "bool" else st.floats(width=32 if kind == "float32" else 64)
    value = draw(hnp.arrays(kind, shape, elements=elements))
    return Case([], lambda g: gg.constant(value), lambda: value, note={"value": value})


@st.composite
def eye_case(draw, dtype):
    n = draw(st.integers(0, SIDE))
    return Case([], lambda g: gg.Tensor(g.add("eye", (), {"n": n, "dtype": dtype})),
                lambda: np.eye(n, dtype=dtype), note={"n": n})


@st.composite
def axis_args(draw, ndim):
    """axis None, an int or a tuple (negative allowed), and keepdims."""
    choice = draw(st.integers(0, 2)) if ndim else 0
    if choice == 0:
        axis = None
    elif choice == 1:
        axis = draw(st.integers(-ndim, ndim - 1))
    else:
        axis = draw(hnp.valid_tuple_axes(ndim))
    return axis, draw(st.booleans())


def reduction_case(op):
    @st.composite
    def strategy(draw, dtype):
        shape = draw(shapes())
        axis, keepdims = draw(axis_args(len(shape)))
        method = draw(st.booleans())
        ref = getattr(np, op)
        return Case([shape],
                    lambda g, x: getattr(x, op)(axis, keepdims) if method
                    else getattr(gg, op)(x, axis=axis, keepdims=keepdims),
                    lambda a: ref(a, axis=axis, keepdims=keepdims), seed=draw(seeds),
                    note={"axis": axis, "keepdims": keepdims})
    return strategy


@st.composite
def smaller_shape(draw, shape):
    """A shape that broadcasts to `shape`: some leading axes dropped, some others set to 1."""
    drop = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.booleans()) else d for d in shape[drop:])


def _sum_to_reference(shape):
    def reference(a):
        while a.ndim > len(shape):
            a = a.sum(axis=0)
        for i, d in enumerate(shape):
            if d == 1:
                a = a.sum(axis=i, keepdims=True)
        return a
    return reference


@st.composite
def sum_to_case(draw, dtype):
    big = draw(shapes())
    small = draw(smaller_shape(big))
    return Case([big], lambda g, x: gg.Tensor(g.add("sum_to", [x], {"shape": small})),
                _sum_to_reference(small), seed=draw(seeds), note={"shape": small})


@st.composite
def broadcast_to_case(draw, dtype):
    big = draw(shapes())
    small = draw(smaller_shape(big))
    return Case([small], lambda g, x: gg.broadcast_to(x, big),
                lambda a: np.broadcast_to(a, big), seed=draw(seeds), note={"shape": big})


@st.composite
def reshape_case(draw, dtype):
    shape = draw(shapes())
    size, ndim = math.prod(shape), draw(st.integers(0, 4))
    if size == 0:
        target = [draw(st.integers(0, 3)) for _ in range(max(ndim, 1))]
        target[draw(st.integers(0, len(target) - 1))] = 0
    else:
        count = ndim if size == 1 else max(ndim, 1)  # only a size-1 tensor reshapes to ()
        target, rest = [], size
        for _ in range(count - 1):
            d = draw(st.sampled_from([k for k in range(1, rest + 1) if rest % k == 0]))
            target.append(d)
            rest //= d
        target += [rest] if count else []
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    target, method = tuple(target), draw(st.booleans())
    return Case([shape], lambda g, x: x.reshape(*target) if method else gg.reshape(x, target),
                lambda a: np.reshape(a, target), seed=draw(seeds), note={"target": target})


@st.composite
def transpose_case(draw, dtype):
    shape = draw(shapes())
    n = len(shape)
    if draw(st.booleans()):
        return Case([shape], lambda g, x: x.T, np.transpose, seed=draw(seeds))
    axes = tuple(a - n if draw(st.booleans()) else a for a in draw(st.permutations(range(n))))
    return Case([shape], lambda g, x: gg.transpose(x, axes), lambda a: np.transpose(a, axes),
                seed=draw(seeds), note={"axes": axes})


@st.composite
def concatenate_case(draw, dtype):
    base = draw(shapes(min_dims=1, max_dims=3))
    axis = draw(st.integers(-len(base), len(base) - 1))
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        s = list(base)
        s[axis] = draw(st.integers(0, 3))
        parts.append(tuple(s))
    return Case(parts, lambda g, *xs: gg.concatenate(xs, axis=axis),
                lambda *a: np.concatenate(a, axis=axis), seed=draw(seeds), note={"axis": axis})


@st.composite
def slice_case(draw, dtype):
    shape = draw(shapes())
    index = draw(hnp.basic_indices(shape, allow_ellipsis=True, allow_newaxis=False))
    return Case([shape], lambda g, x: x[index], lambda a: np.asarray(a[index]), seed=draw(seeds),
                note={"index": index})


def _unslice_reference(index, shape):
    def reference(grad):
        out = np.zeros(shape, dtype=grad.dtype)
        out[index] = grad
        return out
    return reference


@st.composite
def unslice_case(draw, dtype):
    shape = draw(shapes())
    index = draw(hnp.basic_indices(shape, allow_ellipsis=False, allow_newaxis=False))
    index = index if isinstance(index, tuple) else (index,)
    entries = tuple((k.start, k.stop, k.step) if isinstance(k, slice) else k for k in index)
    grad_shape = np.empty(shape)[index].shape
    return Case([grad_shape], lambda g, x: gg.Tensor(g.add("unslice", [x], {"index": entries,
                                                                             "shape": shape})),
                _unslice_reference(index, shape), seed=draw(seeds), note={"index": index})


def _softmax(a, axis):
    e = np.exp(a - np.max(a, axis=axis, keepdims=True, initial=-np.inf))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(a, axis):
    shifted = a - np.max(a, axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_case(op):
    ref = {"softmax": _softmax, "log_softmax": _log_softmax}[op]

    @st.composite
    def strategy(draw, dtype):
        shape = draw(shapes(min_dims=1))
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        return Case([shape], lambda g, x: getattr(gg, op)(x, axis=axis), lambda a: ref(a, axis),
                    seed=draw(seeds), note={"axis": axis})
    return strategy


@st.composite
def matmul_case(draw, dtype):
    pair = draw(hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=3,
                                                  max_side=SIDE))
    fn = operator.matmul if draw(st.booleans()) else gg.matmul
    return Case(list(pair.input_shapes), lambda g, x, y: fn(x, y), np.matmul, seed=draw(seeds))


@st.composite
def kron_case(draw, dtype):
    s = [draw(shapes(min_dims=2, max_dims=2)) for _ in range(2)]
    return Case(s, lambda g, x, y: gg.Tensor(g.add("kron", [x, y])), np.kron, seed=draw(seeds))


@st.composite
def diag_case(draw, dtype):
    return Case([draw(shapes(min_dims=1, max_dims=1))], lambda g, x: gg.Tensor(g.add("diag", [x])),
                np.diag, seed=draw(seeds))


@st.composite
def _index_values(draw, size, shape):
    """Integer indices in [-size, size) of `shape` (empty when size is 0)."""
    if size == 0:
        shape = tuple(0 if i == 0 else d for i, d in enumerate(shape)) or (0,)
    count = int(np.prod(shape))
    values = draw(st.lists(st.integers(-size, max(size - 1, -size)), min_size=count, max_size=count))
    return np.array(values, dtype=np.int64).reshape(shape)


@st.composite
def take_case(draw, dtype):
    shape = draw(shapes(min_dims=1))
    axis = draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    size = int(np.prod(shape)) if axis is None else shape[axis]
    idx = draw(_index_values(size, draw(shapes(max_dims=2))))
    return Case([shape], lambda g, x: gg.take(x, idx, axis=axis), lambda a: np.take(a, idx, axis=axis),
                seed=draw(seeds), note={"indices": idx, "axis": axis})


@st.composite
def take_along_axis_case(draw, dtype):
    shape = draw(shapes(min_dims=1))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    idx_shape = tuple(draw(st.integers(0, 3)) if i == axis % len(shape) else d if draw(st.booleans()) else 1
                      for i, d in enumerate(shape))
    idx = draw(_index_values(shape[axis], idx_shape))
    if idx.shape != idx_shape:  # an empty axis leaves no index to draw: ask for none along it
        idx = np.zeros(tuple(0 if i == axis % len(shape) else d for i, d in enumerate(idx_shape)), np.int64)
    return Case([shape], lambda g, x: gg.take_along_axis(x, idx, axis),
                lambda a: np.take_along_axis(a, idx, axis), seed=draw(seeds),
                note={"indices": idx, "axis": axis})


def _scatter_reference(idx, axis, shape, along):
    def reference(grad):
        out = np.zeros(shape, dtype=grad.dtype)
        if along:
            index = list(np.ix_(*[np.arange(d) for d in grad.shape]))
            index[axis] = idx
            np.add.at(out, tuple(index), grad)
        elif axis is None:
            np.add.at(out.reshape(-1), idx, grad)
        else:
            np.add.at(out, (slice(None),) * (axis % len(shape)) + (idx,), grad)
        return out
    return reference


def scatter_case(along):
    @st.composite
    def strategy(draw, dtype):
        inner = draw((take_along_axis_case if along else take_case)(dtype))
        shape, idx = inner.shapes[0], inner.note["indices"]
        axis = inner.note["axis"]
        out_shape = np.take_along_axis(np.zeros(shape), idx, axis).shape if along else \
            np.take(np.zeros(shape), idx, axis=axis).shape
        op = "scatter_along_axis" if along else "scatter_add"
        return Case([out_shape], lambda g, x: gg.Tensor(g.add(op, [x.value, gg.constant(idx, graph=g).value],
                                                              {"axis": axis, "shape": shape})),
                    _scatter_reference(idx, axis, shape, along), seed=draw(seeds), note={"indices": idx})
    return strategy


EINSUMS = ["ij,jk->ik", "ij->ji", "ii->i", "ij,ij->", "bij,bjk->bik", "i,j->ij", "ijk->", "ij,j", "ii"]


@st.composite
def einsum_case(draw, dtype):
    subscripts = draw(st.sampled_from(EINSUMS))
    sizes = {c: draw(st.integers(0, 3)) for c in "bijk"}
    terms = subscripts.split("->")[0].split(",")
    shapes_ = [tuple(sizes[c] for c in t) for t in terms]
    return Case(shapes_, lambda g, *xs: gg.einsum(subscripts, *xs), lambda *a: np.einsum(subscripts, *a),
                seed=draw(seeds), note={"subscripts": subscripts})


def _logsumexp_reference(axis, keepdims):
    def reference(a):
        with np.errstate(divide="ignore"):
            return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))
    return reference


@st.composite
def logsumexp_case(draw, dtype):
    shape = draw(shapes())
    axis, keepdims = draw(axis_args(len(shape)))
    return Case([shape], lambda g, x: gg.logsumexp(x, axis=axis, keepdims=keepdims),
                _logsumexp_reference(axis, keepdims), seed=draw(seeds),
                note={"axis": axis, "keepdims": keepdims})


def naive_conv(x, w, stride, padding, dilation, groups):
    """Convolution by its definition, one output element at a time (an independent oracle)."""
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(padding[2 * i], padding[2 * i + 1]) for i in range(nd)])
    kernel, c_in = w.shape[2:], w.shape[1]
    out_sizes = [(xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    out = np.zeros((x.shape[0], w.shape[0], *out_sizes), dtype=x.dtype)
    per_group = w.shape[0] // groups
    for n, o, *pos in np.ndindex(*out.shape):
        group = o // per_group
        total = 0.0
        for c, *tap in np.ndindex(c_in, *kernel):
            at = tuple(p * s + t * d for p, s, t, d in zip(pos, stride, tap, dilation))
            total += xp[(n, group * c_in + c) + at] * w[(o, c) + tuple(tap)]
        out[(n, o, *pos)] = total
    return out


def naive_windows(x, kernel, stride, padding, dilation, value=0.0):
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(padding[2 * i], padding[2 * i + 1]) for i in range(nd)],
                constant_values=value)
    out_sizes = [(xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    out = np.zeros(x.shape[:2] + tuple(out_sizes) + tuple(kernel), dtype=x.dtype)
    for index in np.ndindex(*out.shape):
        n, c, pos, tap = index[0], index[1], index[2:2 + nd], index[2 + nd:]
        out[index] = xp[(n, c) + tuple(p * s + t * d for p, s, t, d in zip(pos, stride, tap, dilation))]
    return out


@st.composite
def window_params(draw, nd, channels_in=None):
    """(input shape, kernel, stride, padding, dilation) for small windows that fit."""
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(2 * nd))
    sizes = tuple(max(d * (k - 1) + 1 - padding[2 * i] - padding[2 * i + 1], 0) + draw(st.integers(0, 3))
                  for i, (k, d) in enumerate(zip(kernel, dilation)))
    c = channels_in if channels_in is not None else draw(st.integers(1, 3))
    return (draw(st.integers(1, 2)), c) + sizes, kernel, stride, padding, dilation


@st.composite
def conv_case(draw, dtype):
    nd, groups = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    shape, kernel, stride, padding, dilation = draw(window_params(nd, groups * draw(st.integers(1, 2))))
    w_shape = (groups * draw(st.integers(1, 2)), shape[1] // groups) + kernel
    fn = gg.conv1d if nd == 1 else gg.conv2d
    pairs = tuple((padding[2 * i], padding[2 * i + 1]) for i in range(nd))
    return Case([shape, w_shape], lambda g, x, w: fn(x, w, stride=stride, padding=pairs, dilation=dilation,
                                                     groups=groups),
                lambda x, w: naive_conv(x, w, stride, padding, dilation, groups), seed=draw(seeds),
                note={"stride": stride, "padding": padding, "dilation": dilation, "groups": groups})


def _transpose_of(op):
    """conv_input_grad / conv_filter_grad against the transpose of naive_conv, built by hand."""
    @st.composite
    def strategy(draw, dtype):
        inner = draw(conv_case(dtype))
        x_shape, w_shape = inner.shapes
        a = dict(inner.note)
        y_shape = naive_conv(np.zeros(x_shape), np.zeros(w_shape), a["stride"], a["padding"], a["dilation"],
                             a["groups"]).shape

        def reference(first, g):  # first is w (input grad) or x (filter grad)
            target = x_shape if op == "conv_input_grad" else w_shape
            out = np.zeros(target)
            for index in np.ndindex(*target):
                unit = np.zeros(target)
                unit[index] = 1.0
                y = naive_conv(unit, first, **a) if op == "conv_input_grad" else naive_conv(first, unit, **a)
                out[index] = np.sum(y * g)
            return out.astype(g.dtype)

        shapes_ = [w_shape, y_shape] if op == "conv_input_grad" else [x_shape, y_shape]
        build = (lambda g, w, gy: gg.Tensor(g.add(op, [gy.value, w.value], {**a, "shape": x_shape})))\
            if op == "conv_input_grad" else \
            (lambda g, x, gy: gg.Tensor(g.add(op, [x.value, gy.value], {**a, "shape": w_shape})))
        return Case(shapes_, build, reference, seed=draw(seeds), note=a)
    return strategy


@st.composite
def im2col_case(draw, dtype):
    shape, kernel, stride, padding, dilation = draw(window_params(draw(st.integers(1, 2))))
    a = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation)
    return Case([shape], lambda g, x: gg.Tensor(g.add("im2col", [x.value], a)),
                lambda x: naive_windows(x, **a), seed=draw(seeds), note=a)


@st.composite
def col2im_case(draw, dtype):
    shape, kernel, stride, padding, dilation = draw(window_params(draw(st.integers(1, 2))))
    a = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation)
    p_shape = naive_windows(np.zeros(shape), **a).shape

    def reference(p):
        out = np.zeros(shape)
        for index in np.ndindex(*shape):
            unit = np.zeros(shape)
            unit[index] = 1.0
            out[index] = np.sum(naive_windows(unit, **a) * p)
        return out.astype(p.dtype)
    return Case([p_shape], lambda g, p: gg.Tensor(g.add("col2im", [p.value], {**a, "shape": shape})),
                reference, seed=draw(seeds), note=a)


def pool_case(op):
    @st.composite
    def strategy(draw, dtype):
        kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
        padding = tuple(draw(st.integers(0, kernel[i // 2] // 2)) for i in range(4))  # as frameworks allow
        shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + tuple(
            max(kernel[i] - padding[2 * i] - padding[2 * i + 1], 0) + draw(st.integers(0, 3)) for i in range(2))
        fn = gg.max_pool2d if op == "max_pool" else gg.avg_pool2d
        pairs = ((padding[0], padding[1]), (padding[2], padding[3]))
        value = -np.inf if op == "max_pool" else 0.0

        def reference(x):
            win = naive_windows(x, kernel, stride, padding, (1, 1), value)
            return win.max(axis=(-2, -1)) if op == "max_pool" else win.mean(axis=(-2, -1))
        return Case([shape], lambda g, x: fn(x, kernel, stride=stride, padding=pairs), reference,
                    seed=draw(seeds), note={"kernel": kernel, "stride": stride, "padding": padding})
    return strategy


@st.composite
def pad_case(draw, dtype):
    shape = draw(shapes(min_dims=1))
    widths = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in shape)
    value = draw(st.sampled_from([0.0, -1.5, 2.0]))
    return Case([shape], lambda g, x: gg.pad(x, widths, value=value),
                lambda a: np.pad(a, widths, constant_values=value), seed=draw(seeds),
                note={"pad_width": widths, "value": value})


CASES = {
    **{op: unary_case(op) for op in UNARY},
    **{op: binary_case(op) for op in BINARY},
    **{op: reduction_case(op) for op in ("sum", "mean", "max")},
    **{op: softmax_case(op) for op in ("softmax", "log_softmax")},
    "power": power_case, "cast": cast_case, "where": where_case, "constant": constant_case,
    "eye": eye_case, "sum_to": sum_to_case, "broadcast_to": broadcast_to_case,
    "reshape": reshape_case, "transpose": transpose_case, "concatenate": concatenate_case,
    "slice": slice_case, "unslice": unslice_case, "matmul": matmul_case, "kron": kron_case,
    "diag": diag_case, "take": take_case, "take_along_axis": take_along_axis_case,
    "scatter_add": scatter_case(False), "scatter_along_axis": scatter_case(True),
    "einsum": einsum_case, "logsumexp": logsumexp_case, "conv": conv_case,
    "conv_input_grad": _transpose_of("conv_input_grad"), "conv_filter_grad": _transpose_of("conv_filter_grad"),
    "im2col": im2col_case, "col2im": col2im_case, "max_pool": pool_case("max_pool"),
    "avg_pool": pool_case("avg_pool"), "pad": pad_case,
}
