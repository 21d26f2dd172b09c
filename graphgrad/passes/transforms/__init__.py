"""Transforms beyond one gradient: `hvp` (forward over reverse), `jacobian` (per-op Jacobians
multiplied in a planned order) and `hessian` (the Jacobian of the gradient)."""
from .elimination import Plan
from .hessian import hessian
from .hvp import hvp
from .jacobian import MODES, jacobian

__all__ = ["MODES", "Plan", "hessian", "hvp", "jacobian"]
