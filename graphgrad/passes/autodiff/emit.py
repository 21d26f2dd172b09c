"""`Emitter`: appends the backward nodes of one `grad` call to the new graph.

Rules build nodes only through it, so every appended node gets role "backward", scalar constants
and identity matrices are shared, and the few shape helpers (reshape, sum-to-shape, broadcast, batched transpose) skip
the node when it would be the identity. The Jacobian-style products (jacobian.py) use `add`
directly where their fixed pattern needs a node even when it is an identity.
"""
from __future__ import annotations

import numpy as np

from ...graph.optable import shape_size


class Emitter:
    """Builds backward nodes in `graph`; `style` is "jacobian" or "vjp"."""

    def __init__(self, graph, style: str):
        self.graph, self.style = graph, style
        self._constants: dict = {}
        self._eyes: dict = {}
        self._vecs: dict = {}

    def add(self, op, inputs, attrs=None, *, name=None):
        """Append one node with role "backward"."""
        return self.graph.add(op, inputs, attrs, role="backward", name=name)

    def const(self, value: float, dtype: str):
        """A scalar constant of `dtype`, one node per (value, dtype) in this backward graph."""
        key = (float(value), dtype)
        if key not in self._constants:
            self._constants[key] = self.add("constant", (), {"value": np.asarray(value, dtype=dtype)})
        return self._constants[key]

    def eye(self, n: int, dtype: str):
        """The identity I_n of `dtype` (a Kronecker factor), one node per (n, dtype) in this graph."""
        key = (n, dtype)
        if key not in self._eyes:
            self._eyes[key] = self.add("eye", (), {"n": n, "dtype": dtype})
        return self._eyes[key]

    def reshape(self, x, shape):
        """reshape(x, shape), or x itself when it already has that shape."""
        shape = tuple(shape)
        return x if x.shape == shape else self.add("reshape", (x,), {"shape": shape})

    def sum_to(self, x, shape):
        """sum_to(x, shape) (undo a broadcast), or x itself when it already has that shape."""
        shape = tuple(shape)
        return x if x.shape == shape else self.add("sum_to", (x,), {"shape": shape})

    def broadcast(self, x, shape):
        """broadcast_to(x, shape), or x itself when it already has that shape."""
        shape = tuple(shape)
        return x if x.shape == shape else self.add("broadcast_to", (x,), {"shape": shape})

    def swap_last(self, x):
        """x with its last two axes swapped (a matrix transpose, batched); `.T` for a matrix."""
        axes = tuple(range(len(x.shape) - 2)) + (len(x.shape) - 1, len(x.shape) - 2)
        return self.add("transpose", (x,), {"axes": axes})

    def vec(self, g):
        """vec(g) = reshape(g, (g.size,)): one node per cotangent, shared by all its Jacobian products."""
        if g not in self._vecs:
            self._vecs[g] = self.add("reshape", (g,), {"shape": (shape_size(g.shape),)})
        return self._vecs[g]
