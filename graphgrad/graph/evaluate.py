"""The reference evaluator: runs a graph node by node with the op table's numpy implementations.

It is the oracle that passes and code generators are tested against; speed is not its job.
"""
from __future__ import annotations

import numpy as np

from .errors import GraphError
from .optable import lookup


def bind_arguments(graph, args, kwargs) -> dict:
    """Match positional and keyword arguments to the graph inputs, checking shape and dtype.

    Returns {input name: numpy array}. A mismatch raises ValueError (GraphError for a wrong
    number of arguments) naming the input, the expected and the actual shape or dtype.
    """
    specs = graph.inputs if hasattr(graph, "inputs") else graph
    names = list(specs)
    if len(args) > len(names):
        raise GraphError(f"{len(names)} input(s) expected ({', '.join(names)}), got {len(args)} positional")
    bound = dict(zip(names, args))
    for k, v in kwargs.items():
        if k not in specs:
            raise GraphError(f"unexpected argument {k!r}; the inputs are {', '.join(names)}")
        if k in bound:
            raise GraphError(f"argument {k!r} given twice")
        bound[k] = v
    missing = [n for n in names if n not in bound]
    if missing:
        raise GraphError(f"missing argument(s): {', '.join(missing)}")
    return {n: check_argument(n, specs[n], bound[n]) for n in names}


def check_argument(name, spec, value):
    """One argument as an array of the input's shape and dtype, or ValueError naming the input.

    Array subclasses are read as plain arrays (`*` on an np.matrix would be a matrix product)."""
    if isinstance(value, np.ndarray) and type(value) is not np.ndarray:
        value = np.asarray(value)
    if isinstance(value, (int, float, list, tuple)) and not isinstance(value, bool):
        try:
            value = np.asarray(value, dtype=spec.dtype)
        except (TypeError, ValueError, OverflowError) as e:  # ragged lists, strings
            raise ValueError(f"input {name!r}: expected a {spec.dtype} array of shape {spec.shape}, "
                             f"got a {type(value).__name__} numpy cannot convert ({e})") from None
    shape = tuple(getattr(value, "shape", ()))
    dtype = str(getattr(value, "dtype", type(value).__name__))
    if shape != spec.shape:
        raise ValueError(f"input {name!r}: expected shape {spec.shape}, got {shape}")
    if dtype != spec.dtype:
        raise ValueError(f"input {name!r}: expected dtype {spec.dtype}, got {dtype} "
                         f"(shape {shape}); convert it with .astype({spec.dtype!r})")
    return value


def evaluate(graph, *args, **kwargs):
    """Run `graph` once with numpy; return the outputs in order (a tuple, or one bare array)."""
    env = evaluate_all(graph, bind_arguments(graph, args, kwargs))
    outs = tuple(env[v] for v in graph.output_values.values())
    return outs[0] if len(outs) == 1 else outs


def evaluate_all(graph, inputs: dict) -> dict:
    """Every value of the graph (keyed by Input or Node) for `inputs`, a dict by input name."""
    env = {v: np.asarray(inputs[n]) for n, v in graph.input_values.items()}
    with np.errstate(all="ignore"):
        for node in graph.nodes:
            result = lookup(node.op).impl(*(env[v] for v in node.inputs), **node.attrs)
            env[node] = np.asarray(result, dtype=node.dtype)
    return env
