"""The IR layer: types, the op table, the tracing front end, (de)serialization and the evaluator."""
from . import methods  # noqa: F401 - attaches Tensor operators and Graph's front-end methods
from .analysis import copy_graph, largest_intermediate, nbytes
from .errors import DTypeError, GradientCheckError, GraphError, MemoryBudgetError, ShapeError
from .evaluate import bind_arguments, evaluate, evaluate_all
from .functions import *  # noqa: F401,F403 - the numpy-like module functions
from .functions import FUNCTIONS
from .ir import ROLES, Graph, Input, Node
from .optable import OPS, OpDef, lookup
from .spec import DTYPES, FLOAT_DTYPES, INT_DTYPES, TensorSpec, bool_, f32, f64, i32, i64
from .tensor import Tensor, as_tensor, current_graph
from .trace import function

JACOBIAN_OPS = frozenset(name for name, op in OPS.items() if op.category == "jacobian")
