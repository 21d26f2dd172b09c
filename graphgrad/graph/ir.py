"""The IR: graph inputs, SSA op nodes in topological order, and the `Graph` that owns them.

A node is an op applied to earlier values, with its shape and dtype computed from the op table
when it is created, and a role ("forward" or "backward") that pictures and code can show.
Graphs are built by appending; passes never mutate a graph, they build a new one.
"""
from __future__ import annotations

import contextvars
import keyword

import numpy as np

from .errors import GraphError, ShapeError, DTypeError, user_site
from .optable import lookup, prepare_attrs
from .spec import TensorSpec, check_dtype, check_shape, format_type

ROLES = ("forward", "backward")
_CURRENT = contextvars.ContextVar("graphgrad_current_graph", default=())


def check_name(name, what="name") -> str:
    """A user-visible name must be a Python identifier and not a keyword (it reaches generated code)."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise GraphError(f"{what} {name!r} is not a valid Python identifier")
    return name


class Input:
    """A graph input: a named placeholder with a static shape and dtype."""

    __slots__ = ("name", "shape", "dtype", "graph", "spec")
    op = "input"
    inputs = ()
    attrs = {}
    role = "forward"

    def __init__(self, graph, name, shape, dtype, spec=None):
        self.graph, self.name, self.shape, self.dtype = graph, name, shape, dtype
        self.spec = TensorSpec(shape, dtype) if spec is None else spec

    @property
    def ref(self) -> str:
        return f"%{self.name}"

    def __repr__(self):
        return f"<Input {self.name}:{format_type(self.shape, self.dtype)}>"


class Node:
    """One SSA op node; `inputs` are earlier nodes or graph inputs; attributes are never mutated."""

    __slots__ = ("id", "op", "inputs", "attrs", "shape", "dtype", "role", "name", "graph", "spec")

    def __init__(self, graph, id, op, inputs, attrs, spec, role, name):
        """`spec` is the node's TensorSpec (kept, not rebuilt on every access: passes read it often)."""
        self.graph, self.id, self.op, self.inputs, self.attrs = graph, id, op, inputs, attrs
        self.shape, self.dtype, self.role, self.name, self.spec = spec.shape, spec.dtype, role, name, spec

    @property
    def ref(self) -> str:
        return f"%{self.id}"

    def __repr__(self):
        return f"<Node {self.ref}:{format_type(self.shape, self.dtype)} = {self.op}>"


def _same_types(values, others) -> bool:
    """Whether two operand lists have equal shapes and dtypes (a shared TensorSpec: fast case)."""
    if len(values) != len(others):
        return False
    for a, b in zip(values, others):
        if a.spec is not b.spec and (a.shape != b.shape or a.dtype != b.dtype):
            return False
    return True


def _describe(values) -> str:
    return ", ".join(str(tuple(v.shape)) for v in values)


class Graph:
    """A static computation graph: named inputs, op nodes in topological order, named outputs."""

    def __init__(self, name: str = "graph"):
        self._name = check_name(name, "graph name")
        self._inputs: dict[str, Input] = {}
        self._nodes: list[Node] = []
        self._outputs: dict[str, Input | Node] = {}
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

    # --- building ----------------------------------------------------------------------------
    def input(self, name: str, shape=(), dtype="float64"):
        """Declare an input and return it as a symbolic `Tensor`."""
        from .tensor import Tensor

        check_name(name, "input name")
        if name in self._inputs:
            raise GraphError(f"graph {self.name!r} already has an input named {name!r}")
        shape = check_shape(shape, f"shape of input {name!r}")
        dtype = check_dtype(dtype)
        value = Input(self, name, shape, dtype)
        self._inputs[name] = value
        return Tensor(value)

    def input_like(self, value: Input) -> Input:
        """Declare an input with the name and type of `value` (another graph's input) and return it
        as an Input: for passes that rebuild a graph, without re-checking what `value` passed."""
        if value.name in self._inputs:
            raise GraphError(f"graph {self.name!r} already has an input named {value.name!r}")
        new = self._inputs[value.name] = Input(self, value.name, value.shape, value.dtype, value.spec)
        return new

    def output(self, name: str, value) -> None:
        """Declare `value` (a Tensor, node or input of this graph) as the output `name`."""
        check_name(name, "output name")
        if name in self._outputs:
            raise GraphError(f"graph {self.name!r} already has an output named {name!r}")
        self._outputs[name] = self._own(value, f"output {name!r}")

    def add(self, op: str, inputs=(), attrs=None, *, role="forward", name=None) -> Node:
        """Append one node; its shape and dtype come from the op table (ShapeError/DTypeError here)."""
        opdef = lookup(op)
        inputs = self._operands(inputs, op)
        if opdef.arity is not None and len(inputs) != opdef.arity:
            raise GraphError(f"{op} takes {opdef.arity} operand(s), got {len(inputs)}")
        if role not in ROLES:
            raise GraphError(f"role must be one of {ROLES}, got {role!r}")
        specs = tuple([v.spec for v in inputs])
        try:
            attrs = prepare_attrs(opdef, specs, attrs if type(attrs) is dict else dict(attrs or {}))
            spec = opdef.infer(*specs, **attrs)
        except GraphError as e:  # ShapeError, DTypeError, or a bad attribute: name the user's line
            detail = f" with operand shapes {_describe(inputs)}" if inputs else ""
            raise type(e)(f"{op}{detail}: {e} (at {user_site()})") from None
        node = Node(self, len(self._nodes), op, inputs, attrs, spec, role, name)
        self._nodes.append(node)
        return node

    def add_like(self, node: Node, inputs, *, role=None, name=None) -> Node:
        """Append a copy of `node` (op, attributes, type, role, name hint) on `inputs`.

        For passes that rebuild a graph: the operands must have the types of `node`'s operands
        (checked, else GraphError), so the op-table checks that `node` already passed are not
        repeated; this keeps a rebuild at a few microseconds per node.
        """
        inputs = self._operands(inputs, node.op)
        if inputs is not node.inputs and not _same_types(inputs, node.inputs):
            raise GraphError(f"add_like: operands {_describe(inputs)} do not have the types of "
                             f"{node.ref}'s operands {_describe(node.inputs)}")
        role = node.role if role is None else role
        if role not in ROLES:
            raise GraphError(f"role must be one of {ROLES}, got {role!r}")
        new = Node(self, len(self._nodes), node.op, inputs, dict(node.attrs), node.spec, role,
                   node.name if name is None else name)
        self._nodes.append(new)
        return new

    def _operands(self, values, op) -> tuple:
        """`values` as a tuple of this graph's Inputs and Nodes (Tensors unwrapped), else GraphError."""
        values = tuple(values)
        for v in values:  # the common case, checked without building a message per operand
            if (v.__class__ is not Node and v.__class__ is not Input) or v.graph is not self:
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
        if value.graph is not self:
            raise GraphError(f"{what} belongs to graph {value.graph.name!r}, not {self.name!r}")
        return value

    def __enter__(self):
        _CURRENT.set(_CURRENT.get() + (self,))
        return self

    def __exit__(self, *exc):
        _CURRENT.set(_CURRENT.get()[:-1])

    # --- checking ----------------------------------------------------------------------------
    def verify(self) -> "Graph":
        """Check types, topological order and references; raise GraphError naming the first fault."""
        seen = set(self._inputs.values())
        for position, node in enumerate(self._nodes):
            where = f"graph {self.name!r}, node {node.ref} ({node.op})"
            if node.id != position or node.graph is not self:
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
        return self

    # --- text and interchange ------------------------------------------------------------
    def __str__(self) -> str:
        from .printer import format_graph

        return format_graph(self)

    def __repr__(self) -> str:
        return (f"<Graph {self.name}: {len(self._inputs)} inputs, {len(self._nodes)} nodes, "
                f"{len(self._outputs)} outputs>")

    def to_networkx(self):
        from .interchange import to_networkx

        return to_networkx(self)

    def to_json(self, indent=None) -> str:
        from .serialize import to_json

        return to_json(self, indent=indent)

    @classmethod
    def from_json(cls, text) -> "Graph":
        from .serialize import from_json

        return from_json(text)


def current_graph():
    """The innermost graph being traced (by `@gg.function` or `with graph:`), or None."""
    stack = _CURRENT.get()
    return stack[-1] if stack else None


def constant_array(value, dtype=None) -> np.ndarray:
    """A Python number or array-like as a float or bool numpy array (DTypeError otherwise)."""
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 - any conversion failure is a user type error
        raise DTypeError(f"cannot use {type(value).__name__} as a tensor") from None
    if arr.dtype.kind not in "biuf":  # strings, objects, complex: never silently converted
        raise DTypeError(f"cannot use a {arr.dtype} array as a tensor (float or bool only)")
    if dtype is not None:
        return arr.astype(check_dtype(dtype, allow_bool=True))
    if arr.dtype.kind == "b":
        return arr
    return arr.astype(arr.dtype if arr.dtype.name in ("float32", "float64") else "float64")
