"""Methods attached from outside, as JAX's `array_methods` does: the Tensor's operators and
numpy-style methods once the functions they call exist, and the Graph's front-end methods
(`input` returning a Tensor, `with graph:`, JSON, networkx, `select` and `rename`), so that ir.py stays a leaf."""
from __future__ import annotations

from . import functions as f
from . import interchange, outputs, serialize
from .errors import GraphError
from .ir import Graph
from .tensor import Tensor, enter_graph, exit_graph


def _rpow(self, base):
    raise GraphError("a tensor exponent is not supported; write gg.exp(t * np.log(base))")


def _reshape(self, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return f.reshape(self, shape)


def _transpose(self, *axes):
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return f.transpose(self, axes or None)


TENSOR_METHODS = {
    "__add__": lambda a, b: f.add(a, b), "__radd__": lambda a, b: f.add(b, a),
    "__sub__": lambda a, b: f.subtract(a, b), "__rsub__": lambda a, b: f.subtract(b, a),
    "__mul__": lambda a, b: f.multiply(a, b), "__rmul__": lambda a, b: f.multiply(b, a),
    "__truediv__": lambda a, b: f.divide(a, b), "__rtruediv__": lambda a, b: f.divide(b, a),
    "__matmul__": lambda a, b: f.matmul(a, b), "__rmatmul__": lambda a, b: f.matmul(b, a),
    "__pow__": lambda a, p: f.power(a, p), "__rpow__": _rpow,
    "__neg__": lambda a: f.negative(a), "__pos__": lambda a: a, "__abs__": lambda a: f.abs(a),
    "__lt__": lambda a, b: f.less(a, b), "__le__": lambda a, b: f.less_equal(a, b),
    "__gt__": lambda a, b: f.greater(a, b), "__ge__": lambda a, b: f.greater_equal(a, b),
    "T": property(lambda a: f.transpose(a)),
    "reshape": _reshape, "transpose": _transpose,
    "sum": lambda a, axis=None, keepdims=False: f.sum(a, axis, keepdims),
    "mean": lambda a, axis=None, keepdims=False: f.mean(a, axis, keepdims),
    "max": lambda a, axis=None, keepdims=False: f.max(a, axis, keepdims),
    "astype": lambda a, dtype: f.astype(a, dtype),
    "__getitem__": lambda a, key: f.getitem(a, key),
}


def _input(self, name: str, shape=(), dtype="float64") -> Tensor:
    """Declare an input and return it as a symbolic `Tensor`."""
    return Tensor(self.add_input(name, shape, dtype), self)


GRAPH_METHODS = {
    "input": _input,
    "__enter__": enter_graph,
    "__exit__": exit_graph,
    "to_json": lambda self, indent=None: serialize.to_json(self, indent=indent),
    "from_json": staticmethod(serialize.from_json),
    "to_networkx": interchange.to_networkx,
    "select": outputs.select,
    "rename": outputs.rename,
}


def attach() -> None:
    for name, method in TENSOR_METHODS.items():
        setattr(Tensor, name, method)
    for name, method in GRAPH_METHODS.items():
        setattr(Graph, name, method)


attach()
