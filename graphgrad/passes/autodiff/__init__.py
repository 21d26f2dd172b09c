"""Automatic differentiation as graph passes: reverse mode (`grad`, reverse.py) and forward mode
(`jvp`, forward.py), both driven by one rule table (rules.py) in the explicit Jacobian style or
the compact one."""
from .checks import STYLES, pick_output, pick_wrt
from .forward import jvp
from .reverse import grad

__all__ = ["STYLES", "grad", "jvp", "pick_output", "pick_wrt"]
