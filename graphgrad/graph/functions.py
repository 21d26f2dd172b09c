"""The numpy-like module functions of the front end (`gg.add`, `gg.sum`, `gg.softmax`, ...),
derived from the op table: unary, binary and compare ops get a generated function; every other
op brings its own (`OpDef.api`, defined beside the op); then the compositions of ops
(composites.py). `__all__` lists them in that order.
"""
from __future__ import annotations

from . import ops_contract, ops_conv, ops_elementwise, ops_index, ops_linalg, ops_structural  # noqa: F401
from .composites import COMPOSITES
from .optable import INTERNAL, OPS
from .tensor import apply, as_tensor, lift


def _generated(opdef):
    """The front-end function of an elementwise op: numbers and arrays lifted to constants."""
    if opdef.arity == 1:
        def fn(x):
            return apply(opdef.name, as_tensor(x))
        fn.__doc__ = f"Elementwise `{opdef.name}`: {opdef.doc}."
    else:
        def fn(a, b):
            return apply(opdef.name, *lift(a, b))
        fn.__doc__ = f"Elementwise `{opdef.name}` ({opdef.doc}) with numpy broadcasting."
    fn.__name__ = fn.__qualname__ = opdef.name
    fn.__module__ = __name__
    return fn


def _functions() -> dict:
    """name -> front-end function, for every op of the table that has one."""
    out = {}
    for opdef in OPS.values():
        if opdef.api is INTERNAL:
            continue
        fn = _generated(opdef) if opdef.api is None else opdef.api
        out[fn.__name__] = fn
    for fn in (ops_conv.conv1d, *COMPOSITES):  # front ends beyond one per op
        out[fn.__name__] = fn
    return out


FUNCTIONS = _functions()
globals().update(FUNCTIONS)
__all__ = list(FUNCTIONS)
