"""The IR: graph inputs, SSA op nodes in topological order, and the `Graph` that owns them.

A node is an op applied to earlier values, with its shape and dtype computed from the op table
when it is created, and a role ("forward" or "backward") that pictures and code can show.
Graphs are built by appending; passes never mutate a graph, they build a new one. Values point
back at their graph only weakly, so graphs and nodes form no reference cycles. This module knows
nothing of the front end: Tensors, tracing, JSON and networkx are attached from outside.
"""
from __future__ import annotations

import keyword
from types import MappingProxyType
import unicodedata
import weakref

from .attrs import attrs_key
from .errors import GraphError, user_site
from .optable import lookup, prepare_attrs
from .printer import format_graph
from .provenance import Provenance
from .spec import TensorSpec, check_dtype, check_shape, check_size, format_type

ROLES = ("forward", "backward", "tangent")  # tangent: forward-mode derivative nodes
NO_ATTRS = MappingProxyType({})


def check_name(name, what="name") -> str:
    """A user-visible name must be a Python identifier, not a keyword, and already in the form
    Python reads it (NFKC), since it reaches generated code (`def ｘ` would define `x`)."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise GraphError(f"{what} {name!r} is not a valid Python identifier")
    normal = unicodedata.normalize("NFKC", name)
    if normal != name:
        raise GraphError(f"{what} {name!r} is not in the form Python reads it ({normal!r}); "
                         f"use {normal!r}")
    return name


class Input:
    """A graph input: a named placeholder with a static shape and dtype."""

    __slots__ = ("name", "shape", "dtype", "spec", "_gref", "__weakref__")
    op = "input"
    inputs = ()
    attrs = NO_ATTRS
    role = "forward"

    def __init__(self, gref, name, spec):
        self._gref, self.name, self.spec = gref, name, spec
        self.shape, self.dtype = spec.shape, spec.dtype

    @property
    def graph(self):
        """The graph this input belongs to (None once that graph is gone)."""
        return self._gref()

    @property
    def ref(self) -> str:
        return f"%{self.name}"

    def __repr__(self):
        return f"<Input {self.name}:{format_type(self.shape, self.dtype)}>"


class Node:
    """One SSA op node; `inputs` are earlier nodes or graph inputs; attributes are never mutated."""

    __slots__ = ("id", "op", "inputs", "attrs", "shape", "dtype", "role", "name", "spec", "meta",
                 "_gref", "__weakref__")

    def __init__(self, gref, id, op, inputs, attrs, spec, role, name, meta=None):
        """`meta` is the node's Provenance (graph/provenance.py), or None."""
        self._gref, self.id, self.op, self.inputs, self.attrs = gref, id, op, inputs, attrs
        self.shape, self.dtype, self.role, self.name, self.spec = spec.shape, spec.dtype, role, name, spec
        self.meta = meta

    @property
    def graph(self):
        """The graph this node belongs to (None once that graph is gone)."""
        return self._gref()

    @property
    def ref(self) -> str:
        return f"%{self.id}"

    def __repr__(self):
        return f"<Node {self.ref}:{format_type(self.shape, self.dtype)} = {self.op}>"


def _describe(values) -> str:
    return ", ".join(str(tuple(v.shape)) for v in values)


class Scope:
    """`with graph.role("backward"):` — nodes added inside get that role, and structurally equal
    nodes made inside are one node (hash-consing), so a rule may spell `b.T` twice for free."""

    def __init__(self, graph, role):
        if role not in ROLES:
            raise GraphError(f"role must be one of {ROLES}, got {role!r}")
        self.graph, self.role, self.shared = graph, role, {}
        self.meta = None  # the Provenance given to the nodes made while it is set

    def __enter__(self):
        self.graph._scopes.append(self)
        return self

    def __exit__(self, *exc):
        self.graph._scopes.remove(self)


class Graph:
    """A static computation graph: named inputs, op nodes in topological order, named outputs.

    `gradients` records which outputs are gradients: output name -> (input name, order)."""

    def __init__(self, name: str = "graph"):
        self._name = check_name(name, "graph name")
        self._ref = weakref.ref(self)  # shared by every value of the graph: no reference cycle
        self._inputs: dict[str, Input] = {}
        self._nodes: list[Node] = []
        self._outputs: dict[str, Input | Node] = {}
        self._scopes: list[Scope] = []
        self.gradients: dict[str, tuple[str, int]] = {}
        self.passes: tuple[str, ...] = ()  # names of the passes that produced this graph, in order

    # --- views -------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def inputs(self) -> dict:
        return {n: v.spec for n, v in self._inputs.items()}

    @property
    def outputs(self) -> dict:
        return {n: v.spec for n, v in self._outputs.items()}

    @property
    def input_values(self) -> dict:
        return dict(self._inputs)

    @property
    def output_values(self) -> dict:
        return dict(self._outputs)

    @property
    def nodes(self) -> tuple:
        return tuple(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def __bool__(self) -> bool:  # a graph is a thing, not a container: never falsy when empty
        return True

    # --- building ----------------------------------------------------------------------------
    def add_input(self, name: str, shape=(), dtype="float64") -> Input:
        """Declare an input (checked name, shape and dtype) and return it."""
        check_name(name, "input name")
        if name in self._inputs:
            raise GraphError(f"graph {self.name!r} already has an input named {name!r}")
        spec = TensorSpec(check_shape(shape, f"shape of input {name!r}"), check_dtype(dtype))
        check_size(spec.shape, f"shape of input {name!r}")
        return self._declare(name, spec)

    def _declare(self, name, spec) -> Input:
        """An input of an already checked name and spec (passes copying another graph's inputs)."""
        if name in self._inputs:
            raise GraphError(f"graph {self.name!r} already has an input named {name!r}")
        value = self._inputs[name] = Input(self._ref, name, spec)
        return value

    def output(self, name: str, value) -> None:
        """Declare `value` (a Tensor, node or input of this graph) as the output `name`."""
        check_name(name, "output name")
        if name in self._outputs:
            raise GraphError(f"graph {self.name!r} already has an output named {name!r}")
        self._outputs[name] = self._own(value, f"output {name!r}")

    def role(self, role: str) -> Scope:
        """A scope in which added nodes have `role` and equal nodes are shared (see Scope)."""
        return Scope(self, role)

    def add(self, op: str, inputs=(), attrs=None, *, role=None, name=None) -> Node:
        """Append one node; its shape and dtype come from the op table (ShapeError/DTypeError here).

        `role` defaults to that of the innermost `role(...)` scope (whose nodes are shared, see
        Scope), else "forward"; a node given its role explicitly is never shared."""
        opdef = lookup(op)
        inputs = self._operands(inputs, op)
        if opdef.arity is not None and len(inputs) != opdef.arity:
            raise GraphError(f"{op} takes {opdef.arity} operand(s), got {len(inputs)}")
        scope = self._scopes[-1] if self._scopes and role is None else None
        explicit = role
        if role is None:
            role = scope.role if scope is not None else "forward"
        elif role not in ROLES:
            raise GraphError(f"role must be one of {ROLES}, got {role!r}")
        specs = tuple([v.spec for v in inputs])
        try:
            attrs = prepare_attrs(opdef, specs, attrs if type(attrs) is dict else dict(attrs or {}))
            spec = opdef.infer(*specs, **attrs)
            check_size(spec.shape, "result shape")
        except GraphError as e:  # ShapeError, DTypeError, or a bad attribute: name the user's line
            detail = f" with operand shapes {_describe(inputs)}" if inputs else ""
            raise type(e)(f"{op}{detail}: {e} (at {user_site()})") from None
        if scope is None:  # traced by the user (no scope, no role given): remember their line
            meta = Provenance(site=user_site()) if not self._scopes and explicit is None else None
            return self._append(op, inputs, attrs, spec, role, name, meta)
        key = (op, inputs, attrs_key(opdef.attrs, attrs))
        node = scope.shared.get(key)
        if node is None:
            node = scope.shared[key] = self._append(op, inputs, attrs, spec, role, name, scope.meta)
        return node

    def _append(self, op, inputs, attrs, spec, role, name, meta=None) -> Node:
        """Append a node whose attributes and type are already checked: for `add`, and for the
        pass builder and `copy_graph`, which copy nodes onto operands of the same types."""
        node = Node(self._ref, len(self._nodes), op, inputs, attrs, spec, role, name, meta)
        self._nodes.append(node)
        return node

    def _operands(self, values, op) -> tuple:
        """`values` as a tuple of this graph's Inputs and Nodes (Tensors unwrapped), else GraphError."""
        values = tuple(values)
        ref = self._ref
        for v in values:  # the common case, checked without building a message per operand
            if (v.__class__ is not Node and v.__class__ is not Input) or v._gref is not ref:
                return tuple(self._own(v, f"operand of {op}") for v in values)
        return values

    def _retain(self, keep) -> None:
        """Keep only the nodes in `keep`, in order, renumbered. Only for a pass, on the graph it has
        just built and not yet returned (never its input): dropping dead nodes without a copy."""
        nodes = [node for node in self._nodes if node in keep]
        for position, node in enumerate(nodes):
            node.id = position
        self._nodes = nodes

    def _own(self, value, what):
        value = getattr(value, "value", value)  # a Tensor wraps its value
        if not isinstance(value, (Input, Node)):
            raise GraphError(f"{what} must be a tensor of graph {self.name!r}, got {type(value).__name__}")
        if value._gref is not self._ref:
            other = value.graph
            raise GraphError(f"{what} belongs to graph {other.name if other else '(gone)'!r}, "
                             f"not {self.name!r}")
        return value

    # --- checking ----------------------------------------------------------------------------
    def verify(self) -> "Graph":
        """Check types, topological order and references; raise GraphError naming the first fault."""
        seen = set(self._inputs.values())
        for position, node in enumerate(self._nodes):
            where = f"graph {self.name!r}, node {node.ref} ({node.op})"
            if node.id != position or node._gref is not self._ref:
                raise GraphError(f"{where}: node is out of place (id {node.id}, position {position})")
            for v in node.inputs:
                if v not in seen:
                    raise GraphError(f"{where}: operand {v.ref} is not defined before it")
            opdef = lookup(node.op)
            spec = opdef.infer(*(v.spec for v in node.inputs), **node.attrs)
            recorded = TensorSpec(node.shape, node.dtype)
            if spec != recorded or node.spec != recorded:
                raise GraphError(f"{where}: recorded type {recorded} but the op gives {spec}")
            if node.role not in ROLES:
                raise GraphError(f"{where}: bad role {node.role!r}")
            seen.add(node)
        for name, v in self._outputs.items():
            if v not in seen:
                raise GraphError(f"graph {self.name!r}: output {name!r} refers to an unknown value")
        for name, (of, _) in self.gradients.items():
            if name not in self._outputs or of not in self._inputs:
                raise GraphError(f"graph {self.name!r}: gradient output {name!r} of {of!r} is unknown")
        return self

    # --- text ----------------------------------------------------------------------------
    def __str__(self) -> str:
        return format_graph(self)

    def __repr__(self) -> str:
        return (f"<Graph {self.name}: {len(self._inputs)} inputs, {len(self._nodes)} nodes, "
                f"{len(self._outputs)} outputs>")
