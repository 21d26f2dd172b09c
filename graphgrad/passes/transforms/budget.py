"""The memory budget of the whole-Jacobian transforms, checked before anything is built.

The semantics are `gg.compile`'s (`codegen.compile.check_budget`): `max_bytes` is a non-negative
int or None (no limit), and one value larger than it is refused with a `MemoryBudgetError` that
names it, its shape, its size in bytes and the way out.
"""
from __future__ import annotations

import math

import numpy as np

from ...graph import GraphError
from ...graph.errors import MemoryBudgetError


def check_max_bytes(max_bytes):
    """The budget as given, checked: a non-negative int of bytes, or None."""
    if max_bytes is None:
        return None
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise GraphError(f"max_bytes must be a non-negative int (bytes) or None, got {max_bytes!r}")
    return max_bytes


def check_output(name, shape, dtype, max_bytes, way_out) -> None:
    """Refuse an output of `shape` and `dtype` over the budget (MemoryBudgetError)."""
    size = math.prod(shape) * np.dtype(dtype).itemsize
    if max_bytes is not None and size > max_bytes:
        raise MemoryBudgetError(
            f"output {name!r} of shape {tuple(shape)} ({dtype}) would take {size:,} bytes "
            f"({size / 1e9:.3g} GB), over the budget max_bytes={max_bytes:,}; {way_out}")


def check_plan(plan, max_bytes) -> None:
    """Refuse a plan one of whose dense products is over the budget (MemoryBudgetError)."""
    if max_bytes is None:
        return
    lab, sizes, dtypes = plan.lin.labels, plan.lin.sizes, plan.lin.dtypes
    for s in plan.steps:
        size = sizes[s.k] * sizes[s.i] * np.dtype(dtypes[s.k]).itemsize
        if s.kind == "dense" and size > max_bytes:
            raise MemoryBudgetError(
                f"the Jacobian product J[{lab[s.k]}, {lab[s.i]}] of shape ({sizes[s.k]}, "
                f"{sizes[s.i]}) ({dtypes[s.k]}) would take {size:,} bytes ({size / 1e9:.3g} GB), "
                f"over the budget max_bytes={max_bytes:,}; raise max_bytes, or take the Jacobian "
                "of fewer outputs or inputs")
