"""Code generation: a Graph becomes a plain numpy or jax.numpy module (`emit`), a checked callable
(`compile`) or a file (`export`). One emitter; one op -> template table per backend."""
from .emitter import BACKENDS, emit, get_backend
from .compile import CLI_WAYS_OUT, CompiledFunction, check_budget, compile
from .export import export, write_module
from .c import memory_plan

__all__ = ["BACKENDS", "CompiledFunction", "check_budget", "compile", "emit", "export", "get_backend",
           "memory_plan", "write_module"]
