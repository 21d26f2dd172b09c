"""The error types of graphgrad, and how a message points at the user's own line of code."""
from __future__ import annotations

import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class GraphError(ValueError):
    """Base class of every error raised while building, transforming, loading or compiling a graph."""


class ShapeError(GraphError):
    """A shape or broadcast mismatch, reported when the op is created."""


class DTypeError(GraphError):
    """Mixed or unsupported dtypes (float32 and float64 are supported; bool comes from comparisons)."""


class MemoryBudgetError(GraphError):
    """Compiling would create an intermediate larger than the memory budget."""


class GradientCheckError(AssertionError):
    """`check_grads` found a gradient that disagrees with finite differences."""


def user_site() -> str:
    """Return "file:line" of the innermost stack frame outside the graphgrad package.

    Errors name this place so that a shape mistake points at the line the user wrote,
    not at a line inside graphgrad.
    """
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_PACKAGE_DIR + os.sep):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<graphgrad>"
