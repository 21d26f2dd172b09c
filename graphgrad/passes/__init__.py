"""passes layer."""
from .autodiff import grad, jvp  # noqa: E402,F401
from .check import check_grads  # noqa: E402,F401
from .transforms import hessian, hvp, jacobian  # noqa: E402,F401
from .rewrite_jacobians import rewrite_jacobians  # noqa: E402,F401
from .pipeline import DEFAULT_PIPELINE, PASSES, optimize  # noqa: E402,F401
from .simplify import simplify  # noqa: E402,F401
from .cse import cse  # noqa: E402,F401
from .dce import dce  # noqa: E402,F401
from .fold_constants import fold_constants  # noqa: E402,F401
