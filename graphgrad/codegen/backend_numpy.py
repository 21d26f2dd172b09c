"""The numpy target: the shared spellings, with the helpers whose source is the op table's own
numpy reference (graph/kernels.py), so that generated code and the evaluator run the same lines."""
from __future__ import annotations

import numpy as np

from ..graph import OPS, kernels
from . import finite
from .backend import MUL, SHARED, Operator, _einsum, index_text, kernel, shape_text

_HELPERS = {
    "_check_arg": ('''\
def _check_arg(name, value, shape, dtype):
    """Input `name` as an array of `shape` and `dtype`, or a ValueError saying what came instead."""
    value = np.asarray(value)
    if value.shape != shape:
        raise ValueError(f"input {name!r}: expected shape {shape}, got {value.shape}")
    if value.dtype != dtype:
        raise ValueError(f"input {name!r}: expected dtype {dtype}, got {value.dtype} "
                         f"(shape {value.shape}); convert it with .astype({dtype!r})")
    return value
''', ()),
    "_sigmoid": kernel(kernels.sigmoid),
    "_softmax": kernel(kernels.softmax),
    "_log_softmax": kernel(kernels.log_softmax),
    "_unslice": kernel(kernels.unslice),
    "_logsumexp": kernel(kernels.logsumexp),
    **{f"_{fn.__name__}": kernel(fn) for fn in (kernels.windows, kernels.unwindows, kernels.patches, kernels.conv,
                                                 kernels.conv_input_grad, kernels.conv_filter_grad,
                                                 kernels.max_pool, kernels.avg_pool)},
    "_scatter_add": kernel(kernels.scatter_add),
    "_scatter_along_axis": kernel(kernels.scatter_along_axis),
    "_constant": ('''\
def _constant(data, dtype, shape):
    """A constant array decoded from base64 raw bytes of the given dtype (read-only)."""
    return np.frombuffer(base64.b64decode(data), dtype=dtype).reshape(shape)
''', ("import base64",)),
}


def _axis(axis):
    return "None" if axis is None else repr(axis[0] if len(axis) == 1 else tuple(axis))


def _matmul(a, node, c):
    """x @ w; a stack of matrices times one matrix as one product of the stacked rows (numpy
    would make one BLAS call per matrix of the stack)."""
    x, w = node.inputs
    if len(x.shape) >= 3 and len(w.shape) == 2:
        return (f"({a[0].obj}.reshape(-1, {x.shape[-1]}) @ {a[1].operand(MUL, True)})"
                f".reshape({', '.join(map(str, node.shape))})")
    return Operator(f"{a[0].operand(MUL, False)} @ {a[1].operand(MUL, True)}", MUL)


def _tensordot_axes(subscripts):
    """(axes of a, axes of b) when `a,b->out` is a tensordot: every letter the output drops is in
    both operands and the output is a's kept letters then b's, in order; else None."""
    terms, out = subscripts.split("->")
    parts = terms.split(",")
    if len(parts) != 2 or any(len(set(t)) != len(t) for t in parts):
        return None
    ta, tb = parts
    summed = [x for x in ta if x in tb]
    if any(x in out for x in summed) or out != "".join(x for x in ta + tb if x not in summed):
        return None
    return tuple(ta.index(x) for x in summed), tuple(tb.index(x) for x in summed)


def _batched_matmul(subscripts):
    """(swap a, swap b, swap the operands) when `a,b->out` is a stack of matrix products: the
    same leading batch letters in a, b and out, then one letter of a's own and one contracted
    letter in a (either order), the contracted one and one of b's own in b, and out ending in
    the two own letters (either order); else None."""
    terms, out = subscripts.split("->")
    parts = terms.split(",")
    if len(parts) != 2 or any(len(set(t)) != len(t) for t in (*parts, out)):
        return None
    ta, tb = parts
    n = len(out) - 2
    batch = out[:n]
    if n < 1 or len(ta) != n + 2 or len(tb) != n + 2 or ta[:n] != batch or tb[:n] != batch:
        return None
    (a1, a2), (b1, b2), (o1, o2) = ta[n:], tb[n:], out[n:]
    shared = {a1, a2} & {b1, b2}
    if len(shared) != 1:
        return None
    k = shared.pop()
    fa, fb = (a2 if a1 == k else a1), (b2 if b1 == k else b1)
    if {o1, o2} != {fa, fb} or k in batch or fa == fb:
        return None
    return a1 == k, b2 == k, o1 == fb


def _einsum_numpy(a, node, c):
    """A two-operand einsum that is a tensordot as np.tensordot (one BLAS call, no einsum
    overhead), one that is a stack of matrix products as `@` (a BLAS call per matrix, the
    transposes as strides: attention's `bhqd,bhkd->bhqk` is `q @ k.swapaxes(-1, -2)`);
    otherwise np.einsum with the contraction path given up front (no path search per call)."""
    axes = _tensordot_axes(node.attrs["subscripts"])
    if axes is not None and axes[0]:
        return f"{c.mod}.tensordot({a[0].arg}, {a[1].arg}, axes=({list(axes[0])}, {list(axes[1])}))"
    stack = _batched_matmul(node.attrs["subscripts"])
    if stack is not None:
        swap_a, swap_b, swap = stack
        # out = (b's own, a's own) when swapped: the product of the transposes, in the other order
        pairs = [(a[1], not swap_b), (a[0], not swap_a)] if swap else [(a[0], swap_a), (a[1], swap_b)]
        x, y = [f"{e.obj}.swapaxes(-1, -2)" if t else e.operand(MUL, right)
                for (e, t), right in zip(pairs, (False, True))]
        return Operator(f"{x} @ {y}", MUL)
    return _einsum(a, node, c, "" if len(a) < 2 else
                   f", optimize={['einsum_path', *[(0, 1)] * (len(a) - 1)]!r}")


def _unslice(a, node, c):
    index = index_text(node.attrs["index"], node.shape)
    return f"_unslice({a[0].arg}, {shape_text(node.shape)}, np.s_[{index}])"


def _in_place(a, node, c, out):
    """An elementwise op whose numpy reference is a ufunc (relu: np.maximum with zero) as that
    ufunc writing into `out`, the buffer of an operand that dies here: `np.add(h, b, out=h)`."""
    if node.op == "relu":
        return f"{c.mod}.maximum({a[0].arg}, {c.lit(0.0).arg}, out={out})"
    impl = OPS[node.op].impl
    if OPS[node.op].category not in ("unary", "binary") or not isinstance(impl, np.ufunc):
        return None
    return f"{c.mod}.{impl.__name__}({', '.join(x.arg for x in a)}, out={out})"


NUMPY = SHARED.derive("numpy", mod="np", imports=("import numpy as np",), helpers={**_HELPERS, **finite.helpers("np")}, in_place=_in_place, overrides={
    "sigmoid": "_sigmoid({0})",
    "softmax": lambda a, node, c: f"_softmax({a[0].arg}, axis={node.attrs['axis']})",
    "log_softmax": lambda a, node, c: f"_log_softmax({a[0].arg}, axis={node.attrs['axis']})",
    "unslice": _unslice,
    "matmul": _matmul,
    "logsumexp": lambda a, node, c: (f"_logsumexp({a[0].arg}, {_axis(node.attrs['axis'])}, "
                                     f"{node.attrs['keepdims']})"),
    "einsum": _einsum_numpy,
    "scatter_add": lambda a, node, c: (f"_scatter_add({a[0].arg}, {a[1].arg}, {node.attrs['axis']}, "
                                       f"{shape_text(node.shape)})"),
    "scatter_along_axis": lambda a, node, c: (f"_scatter_along_axis({a[0].arg}, {a[1].arg}, "
                                              f"{node.attrs['axis']}, {shape_text(node.shape)})"),
})
