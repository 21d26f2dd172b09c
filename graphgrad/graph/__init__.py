"""The IR layer: types, the op table, the tracing front end, (de)serialization and the evaluator."""
from . import ops_elementwise, ops_linalg, ops_structural  # noqa: F401 - fill the op table
from .errors import DTypeError, GradientCheckError, GraphError, MemoryBudgetError, ShapeError
from .evaluate import bind_arguments, evaluate, evaluate_all
from .functions import *  # noqa: F401,F403 - the numpy-like module functions
from .functions import __all__ as FUNCTIONS
from .ir import Graph, Input, Node, current_graph
from .optable import OPS, OpDef, lookup
from .spec import TensorSpec, f32, f64
from .tensor import Tensor, as_tensor
from .trace import function

JACOBIAN_OPS = frozenset(name for name, op in OPS.items() if op.category == "jacobian")
from .analysis import copy_graph, largest_intermediate, nbytes  # noqa: E402
