"""The op table: `OpDef`, the registry, and how a node's attributes are checked.

Adding an op takes three entries, each beside its neighbours (copy one):
1. Here, in `ops_elementwise.py`, `ops_structural.py` or `ops_linalg.py`: `register(OpDef(name,
   arity, category, infer, impl, attrs=..., canon=..., api=...))` — the shape/dtype rule, the
   numpy reference (a function of kernels.py when generated numpy code should share it), attribute
   kinds (attrs.py), and the front-end function `api` (unary, binary and compare ops get theirs
   from their category; `INTERNAL` for ops only passes build).
2. In `passes/autodiff/rules.py`: its derivative rule (or `NO_GRADIENT`).
3. In `codegen/backend.py`'s SHARED table: its spelling — unless its impl is a numpy ufunc, whose
   name is the spelling — and in a backend's own table only where that one differs.
The tests walk this table and fail naming the op that lacks a rule, a spelling or a test case.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import GraphError
from .spec import TensorSpec

OPS: dict[str, "OpDef"] = {}
INTERNAL = "internal"  # `api` of an op that has no front-end function (passes build it)
GENERATED = ("unary", "binary", "compare")  # categories whose front-end function is generated


@dataclass(frozen=True)
class OpDef:
    """One op: name, arity (None for variadic), category, shape/dtype rule, numpy reference,
    attribute kinds, a `canon` step that normalises attributes given the operand types, a one-line
    doc, and its front-end function (`api`: None for a generated one, INTERNAL for none).

    `category` groups ops for the layers above: "source", "unary", "binary", "compare",
    "reduction", "shape", "linalg", "jacobian", "cast", "select".
    """

    name: str
    arity: int | None
    category: str
    infer: Callable[..., TensorSpec]
    impl: Callable[..., np.ndarray]
    attrs: dict = field(default_factory=dict)
    canon: Callable[..., dict] | None = None
    doc: str = ""
    api: Callable | str | None = None


def register(op: OpDef) -> OpDef:
    """Add an op to the table; a name may be defined only once."""
    if op.name in OPS:
        raise RuntimeError(f"op {op.name!r} is defined twice")
    if op.api is None and op.category not in GENERATED:
        raise RuntimeError(f"op {op.name!r} ({op.category}) needs an api function or INTERNAL")
    OPS[op.name] = op
    return op


def lookup(name: str) -> OpDef:
    """The definition of op `name`, or a GraphError naming the unknown op."""
    try:
        return OPS[name]
    except (KeyError, TypeError):
        raise GraphError(f"unknown op {name!r}") from None


def prepare_attrs(op: OpDef, specs: tuple, attrs: dict) -> dict:
    """Check attribute names and kinds, then apply the op's `canon` step (which sees the operands).

    Values already in canonical form (those passes and the loader hand over) are not checked again."""
    kinds = op.attrs
    if attrs.keys() != kinds.keys():
        unknown = sorted(set(attrs) - set(kinds))
        if unknown:
            raise GraphError(f"{op.name}: unknown attribute(s) {', '.join(map(repr, unknown))}")
        missing = sorted(set(kinds) - set(attrs))
        if missing:
            raise GraphError(f"{op.name}: missing attribute(s) {', '.join(map(repr, missing))}")
    checked = {}
    for k, kind in kinds.items():
        value = attrs[k]
        checked[k] = value if kind.is_canonical(value) else kind.check(value, f"{op.name} attribute {k!r}")
    return op.canon(specs, **checked) if op.canon else checked
