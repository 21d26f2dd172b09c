"""passes layer."""
from .autodiff import grad  # noqa: E402,F401
from .check import check_grads  # noqa: E402,F401
