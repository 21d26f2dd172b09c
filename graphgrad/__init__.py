"""graphgrad: a graph-compiling static autodiff engine.

Declare a static graph (`@gg.function`), append its reverse-mode graph (`gg.grad`), rewrite it
into compact algebra (`gg.optimize`), and emit plain numpy or jax.numpy source (`gg.compile`,
`gg.export`); `gg.viz` draws every stage.
"""
from .graph import (JACOBIAN_OPS, DTypeError, GradientCheckError, Graph, GraphError,
                    MemoryBudgetError, ShapeError, Tensor, TensorSpec, bool_, evaluate, f32, f64, function, i32, i64,
                    largest_intermediate)
from .graph.functions import *  # noqa: F401,F403 - matmul, add, ..., softmax, constant
from . import passes, codegen, viz, nn  # noqa: E402,F401
from .codegen import compile, export  # noqa: E402,F401,A004
from .passes import check_grads, grad, hessian, hvp, jacobian, jvp  # noqa: E402,F401
from .passes import optimize  # noqa: E402,F401

__version__ = "0.1.0"
