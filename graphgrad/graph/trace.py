"""`@gg.function`: trace a Python function once, with symbolic tensors made from its annotations."""
from __future__ import annotations

import inspect
import sys

from .errors import GraphError
from .ir import Graph, Node
from .spec import TensorSpec
from .tensor import Tensor


def function(fn=None, *, name=None):
    """Trace `fn` into a `Graph` named after it; each parameter must be annotated with a spec
    such as `gg.f64[64, 1000]`. Local variable names become name hints for readable code."""
    if fn is None:
        return lambda f: function(f, name=name)
    graph = Graph(name or fn.__name__)
    try:
        hints = inspect.get_annotations(fn, eval_str=True)
    except Exception as e:  # noqa: BLE001 - a bad annotation is the user's error
        raise GraphError(f"cannot read the annotations of {fn.__name__}: {e}") from None
    args, kwargs = [], {}
    for p in inspect.signature(fn).parameters.values():
        spec = hints.get(p.name)
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise GraphError(f"{fn.__name__}: *{p.name} parameters cannot be traced")
        if not isinstance(spec, TensorSpec):
            raise GraphError(f"{fn.__name__}: parameter {p.name!r} needs an annotation such as "
                             f"gg.f64[3, 4], got {spec!r}")
        tensor = graph.input(p.name, spec.shape, spec.dtype)
        if p.kind == p.KEYWORD_ONLY:
            kwargs[p.name] = tensor
        else:
            args.append(tensor)
    with graph:
        result, local_names = _call_recording_locals(fn, args, kwargs)
    _name_nodes(local_names)
    _set_outputs(graph, result, fn.__name__)
    graph.__doc__ = fn.__doc__
    return graph


def _call_recording_locals(fn, args, kwargs):
    """Call fn and capture its local variables at return, to name the nodes they hold."""
    captured = {}
    code = fn.__code__

    def profiler(frame, event, arg):
        if event == "return" and frame.f_code is code:
            captured.update(frame.f_locals)

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(previous)
    return result, captured


def _name_nodes(local_names: dict) -> None:
    for var, value in local_names.items():
        if isinstance(value, Tensor) and isinstance(value.value, Node) and value.value.name is None \
                and var.isidentifier() and not var.startswith("_"):
            value.value.name = var


def _set_outputs(graph: Graph, result, fname: str) -> None:
    if isinstance(result, dict):
        items = list(result.items())
    elif isinstance(result, tuple):
        items = [(f"out{i}", r) for i, r in enumerate(result)]
    else:
        items = [("out", result)]
    if not items:
        raise GraphError(f"{fname} returned nothing to differentiate or compute")
    for key, value in items:
        if not isinstance(value, Tensor):
            raise GraphError(f"{fname} must return tensors; output {key!r} is {type(value).__name__}")
        graph.output(key, value)
