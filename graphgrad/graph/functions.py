"""The numpy-like module functions of the front end (`gg.add`, `gg.sum`, `gg.softmax`, ...).

Each builds one node (or a short composition) in the graph of its tensor operands, with numpy's
signatures. Derived ops are compositions where that is exact (`mean` stays an op because its
gradient and code are simpler that way).
"""
from __future__ import annotations

import numbers

import numpy as np

from .errors import GraphError
from .ir import constant_array, current_graph
from .spec import check_dtype
from .tensor import Tensor, as_tensor

__all__ = [
    "add", "subtract", "multiply", "divide", "maximum", "minimum", "negative", "power", "exp", "log",
    "sqrt", "square", "abs", "tanh", "sigmoid", "relu", "sign", "less", "less_equal", "greater",
    "greater_equal", "equal", "where", "matmul", "sum", "mean", "max", "transpose", "reshape",
    "broadcast_to", "concatenate", "softmax", "log_softmax", "astype", "constant", "getitem",
]


def _node(op, operands, attrs=None) -> Tensor:
    first = operands[0]
    return Tensor(first.graph.add(op, tuple(t.value for t in operands), attrs))


def _pair(a, b):
    """Lift numbers and arrays beside a tensor operand into constants of its graph and dtype."""
    if isinstance(a, Tensor):
        return a, as_tensor(b, like=a)
    if isinstance(b, Tensor):
        return as_tensor(a, like=b), b
    a = as_tensor(a)
    return a, as_tensor(b, like=a)


def _binary(op):
    def fn(a, b):
        return _node(op, _pair(a, b))

    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"Elementwise `{op}` with numpy broadcasting."
    return fn


def _unary(op):
    def fn(x):
        return _node(op, (as_tensor(x),))

    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"Elementwise `{op}`."
    return fn


add, subtract, multiply, divide = (_binary(n) for n in ("add", "subtract", "multiply", "divide"))
maximum, minimum = _binary("maximum"), _binary("minimum")
less, less_equal, greater, greater_equal = (_binary(n) for n in ("less", "less_equal", "greater",
                                                                 "greater_equal"))
equal = _binary("equal")
negative, exp, log, sqrt, square = (_unary(n) for n in ("negative", "exp", "log", "sqrt", "square"))
abs, tanh, sigmoid, relu, sign = (_unary(n) for n in ("abs", "tanh", "sigmoid", "relu", "sign"))


def power(x, exponent):
    """x ** exponent for a Python-number exponent (x ** 2 becomes `square`)."""
    if isinstance(exponent, Tensor):
        raise GraphError("power takes a Python number as exponent; write gg.exp(y * gg.log(x)) "
                         "for a tensor exponent")
    if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
        raise GraphError(f"power takes a Python number as exponent, got {type(exponent).__name__}")
    x = as_tensor(x)
    if exponent == 2:
        return square(x)
    if exponent == 1:
        return x
    return _node("power", (x,), {"exponent": float(exponent)})


def matmul(a, b):
    """np.matmul: matrix product, with 1-d and batched operands."""
    return _node("matmul", _pair(a, b))


def where(condition, x, y):
    """Elements of x where condition holds, else of y (condition from a comparison)."""
    like = next((v for v in (x, y, condition) if isinstance(v, Tensor)), None)
    if like is None:
        raise GraphError("where needs at least one symbolic tensor")
    cond = as_tensor(condition, like=like)
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = constant(x, "float64", graph=cond.graph)
    x, y = _pair(x, y)
    return _node("where", (cond, x, y))


def _reduction(op):
    def fn(x, axis=None, keepdims=False):
        return _node(op, (as_tensor(x),), {"axis": axis, "keepdims": keepdims})

    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"numpy's `{op}` over `axis` (None, an int or a tuple; negative allowed)."
    return fn


sum, mean, max = _reduction("sum"), _reduction("mean"), _reduction("max")


def transpose(x, axes=None):
    """Permute axes; None reverses them (numpy's `.T`)."""
    if isinstance(axes, numbers.Integral):
        axes = (axes,)
    return _node("transpose", (as_tensor(x),), {"axes": axes})


def reshape(x, shape):
    """Row-major reshape; one dimension may be -1."""
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    return _node("reshape", (as_tensor(x),), {"shape": shape})


def broadcast_to(x, shape):
    """Broadcast x to `shape` with numpy's rules."""
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    return _node("broadcast_to", (as_tensor(x),), {"shape": shape})


def concatenate(arrays, axis=0):
    """Join a sequence of tensors along an existing axis."""
    if isinstance(arrays, Tensor) or not isinstance(arrays, (list, tuple)):
        raise GraphError(f"concatenate takes a list or tuple of tensors, got {type(arrays).__name__}")
    arrays = list(arrays)
    if not arrays:
        raise GraphError("concatenate needs at least one array")
    like = next((a for a in arrays if isinstance(a, Tensor)), None)
    if like is None:
        raise GraphError("concatenate needs at least one symbolic tensor")
    return _node("concatenate", [as_tensor(a, like=like) for a in arrays], {"axis": axis})


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`, computed stably."""
    return _node("softmax", (as_tensor(x),), {"axis": axis})


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along `axis`, computed stably."""
    return _node("log_softmax", (as_tensor(x),), {"axis": axis})


def astype(x, dtype):
    """Cast to float32, float64 (gradients flow) or bool."""
    x = as_tensor(x)
    if check_dtype(dtype, allow_bool=True) == x.dtype:  # a no-op cast adds nothing
        return x
    return _node("cast", (x,), {"dtype": dtype})


def constant(value, dtype=None, *, graph=None):
    """A constant tensor in `graph` (default: the graph being traced)."""
    graph = graph if graph is not None else current_graph()  # an empty Graph is falsy (len 0)
    if graph is None:
        raise GraphError("gg.constant needs a graph: call it inside @gg.function, `with graph:`, "
                         "or pass graph=")
    return Tensor(graph.add("constant", (), {"value": constant_array(value, dtype)}))


def getitem(x, key):
    """Basic slicing: ints, slices (with steps and negative bounds) and one Ellipsis."""
    x = as_tensor(x)
    key = key if isinstance(key, tuple) else (key,)
    ellipses = [i for i, k in enumerate(key) if k is Ellipsis]  # `in` would compare arrays with ==
    if len(ellipses) > 1:
        raise GraphError("an index can have only one Ellipsis")
    if ellipses:
        at = ellipses[0]
        key = key[:at] + (slice(None),) * (x.ndim - len(key) + 1) + key[at + 1:]
    entries = []
    for axis, k in enumerate(key):
        if isinstance(k, slice):
            entries.append(_slice_entry(k, x.shape[axis] if axis < x.ndim else None))
        elif isinstance(k, numbers.Integral) and not isinstance(k, bool):
            entries.append(int(k))
        else:
            raise GraphError(f"unsupported index {k!r}: graphgrad supports ints, slices and ...")
    return _node("slice", (x,), {"index": tuple(entries)})


def _slice_entry(k: slice, size):
    """A slice as the triple `range(size)` gives it (numpy's meaning, fixed before the op's canon
    step sees it); left raw when it is invalid, so that the op reports the mistake."""
    if size is not None:
        try:
            r = range(size)[k]
        except (TypeError, ValueError):
            pass
        else:
            return (r.start, r.stop, r.step)
    return (k.start, k.stop, k.step)
