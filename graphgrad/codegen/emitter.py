"""The one emitter: a Graph becomes the source of a plain Python module for one backend.

One statement per named or shared value (`h = x @ w1  # matmul f64[64,100]`), names from the
user's hints; a small value with no name that one other expression reads is written inside it,
as a person would (`h1 = np.tanh(x @ w1 + b1)`), and 2-D transposes of variables are written where
they are used (`h.T @ g`). Scalar constants are inline exact literals, larger ones live at module
level; dead values are freed (liveness.py), helpers appear only when called, and a docstring
gives the types and the passes. The same graph always gives the same text, and the text is
checked to parse before it leaves `emit`.
"""
from __future__ import annotations

import builtins
import re

from ..graph.analysis import collector_paused, nbytes
from ..graph.errors import GraphError
from ..graph.ir import ROLES, check_name
from ..graph.spec import format_type
from . import layout
from .backend import Ctx, Expr, render
from .backend_jax import JAX
from .backend_numpy import NUMPY
from .liveness import FREE_NOW_BYTES, deaths, frees, live_nodes
from .names import MODULE_NAMES, Namer

BACKENDS = {"numpy": NUMPY, "jax": JAX}
INLINE_LIMIT = 60  # an expression longer than this gets a statement of its own
_HELPER_CALL = re.compile(r"\b(_[A-Za-z]\w*)\(")  # private helpers are the only _name( calls


def get_backend(backend):
    """The Backend object for a name ("numpy", "jax") or a Backend given directly."""
    if not isinstance(backend, str):
        return backend
    try:
        return BACKENDS[backend]
    except KeyError:
        raise GraphError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}") from None


def emit(g, backend="numpy", *, name=None) -> str:
    """Source of a Python module defining `name` (default `g.name`), which takes the graph inputs
    in order and returns the outputs in order (one output bare, several as a tuple)."""
    return emit_compiled(g, backend, name=name)[0]


def function_name(g, backend, name=None) -> str:
    """The generated function's name: `name` if given (checked), else the graph's name, with
    `_fn` added when it would shadow a name the module needs (a graph may be called `np`)."""
    if name is not None:
        return name
    taken = MODULE_NAMES | set(get_backend(backend).helpers)
    return f"{g.name}_fn" if g.name in taken else g.name


@collector_paused
def emit_compiled(g, backend="numpy", *, name=None):
    """(source, code object, function name): the module of `emit`, compiled once to prove that
    it parses (and reused by `gg.compile` to load it)."""
    backend = get_backend(backend)
    name = function_name(g, backend, name)
    source = _Module(g, backend, name).source()
    filename = f"<graphgrad {backend.name}: {name}>"
    try:
        code = builtins.compile(source, filename, "exec")
    except SyntaxError as e:  # a bug of ours, never of the user's: say so plainly
        raise GraphError(f"internal error: the generated {backend.name} module does not parse "
                         f"({e.msg}, line {e.lineno}); please report it") from None
    return source, code, name


class _Module:
    """The state of one emission: names, module-level constants, statements and helpers used."""

    def __init__(self, g, backend, fname):
        check_name(fname, "function name")
        if fname in MODULE_NAMES or fname in backend.helpers:
            raise GraphError(f"function name {fname!r} would shadow a name the module needs; "
                             "pass another name=")
        self.g, self.backend, self.fname = g, backend, fname
        self.namer = Namer(reserved=[fname, *backend.helpers])
        self.operands = {}   # value -> its Expr (a variable, literal or inlined expression)
        self.reads = {}      # value written inline -> the values whose variables its text reads
        self.params = [self._bind(v, v.name, "x") for v in g.input_values.values()]
        self.constants = []  # (name, source) at module level
        self.outputs = {}    # value -> first output name
        for out_name, v in g.output_values.items():
            self.outputs.setdefault(v, out_name)
        self.live = live_nodes(g)
        self.uses = {}       # value -> how many operand slots (and outputs) read it
        for node in self.live:
            for v in node.inputs:
                self.uses[v] = self.uses.get(v, 0) + 1

    def _bind(self, value, hint, fallback) -> str:
        name = self.namer.fresh(hint, fallback)
        self.operands[value] = Expr(name)
        return name

    # --- statements ----------------------------------------------------------------------
    def _statements(self) -> list:
        """(value, target, expression, variables read) for each live node that needs a statement."""
        out = []
        for node in self.live:
            if node.op == "constant":
                self.operands[node] = self._constant_operand(node)
                if node not in self.outputs:
                    continue
                expr, reads = self._constant_output(node), ()
            else:
                template = self.backend.template(node.op)
                if template is None:
                    raise GraphError(f"backend {self.backend.name!r} has no spelling for op {node.op!r}")
                value = render(template, [self.operands[v] for v in node.inputs], node, self.backend)
                reads = [r for v in node.inputs for r in self.reads.get(v, (v,))]
                if self._written_inline(node, value):
                    self.operands[node], self.reads[node] = value, reads
                    continue
                expr = value.arg
            target = self._bind(node, self.outputs.get(node) or node.name, node.op)
            out.append((node, target, expr, reads))
        return out

    def _written_inline(self, node, value) -> bool:
        """Whether `node` is written where it is used instead of in a statement of its own: a free
        view (an identity permutation, or `.T` of a variable), or an unnamed value read once."""
        if node in self.outputs:
            return False
        free_view = node.op == "transpose" and (len(node.shape) == 2 or node.attrs["axes"] == tuple(
            range(len(node.shape))))
        if free_view and node.inputs[0] not in self.reads:  # of a variable: costs nothing twice
            return True
        return (node.name is None and self.uses.get(node, 0) == 1 and len(value.arg) <= INLINE_LIMIT
                and nbytes(node) < FREE_NOW_BYTES)  # a large value gets a statement, freed at once

    def _constant_operand(self, node):
        """A constant's operand: a 0-d one inline as an exact literal, others a module-level name."""
        ctx = Ctx(self.backend, node)
        if node.shape == ():
            return ctx.lit(node.attrs["value"].item())
        name = self.namer.fresh((node.name or "const").upper(), "CONST")
        self.constants.append((name, render(self.backend.template("constant"), [], node,
                                            self.backend).arg))
        return Expr(name)

    def _constant_output(self, node) -> str:
        """A constant returned as an output: a fresh typed scalar, or a copy of the module array."""
        operand = self.operands[node]
        return operand.obj if node.shape == () else f"{operand.arg}.copy()"

    # --- the module ----------------------------------------------------------------------
    def source(self) -> str:
        statements = self._statements()
        body = self._body(statements)
        called = set(_HELPER_CALL.findall("\n".join([*body, *(src for _, src in self.constants)])))
        helpers = [h for h in self.backend.helpers if h in called]
        imports = list(self.backend.imports)
        for h in helpers:
            imports += [i for i in self.backend.helpers[h][1] if i not in imports]
        uses64 = any(v.dtype == "float64" for v in (*self.g.input_values.values(), *self.g.nodes))
        parts = [layout.module_doc(self.fname, self.g, self.backend.name, uses64) + "\n" +
                 "\n".join(sorted(imports, key=layout.import_order))]
        parts += [self.backend.helpers[h][0] for h in helpers]
        if self.constants:
            parts.append("\n".join(f"{n} = {src}" for n, src in self.constants))
        parts.append("\n".join([*layout.call_lines(f"def {self.fname}(", self.params, "):"),
                                *layout.indent(layout.function_doc(self.fname, self.params, self.g)),
                                *layout.indent(body)]))
        return "\n\n\n".join(p.rstrip("\n") for p in parts) + "\n"

    def _body(self, statements) -> list:
        keep = set(self.outputs) | set(self.g.input_values.values()) | \
            {v for v in self.operands if getattr(v, "op", None) == "constant"}
        freed = frees(deaths([(v, ops) for v, _, _, ops in statements], keep))
        lines, section = [], None
        roles = [v.role for v, *_ in statements]
        split = roles == sorted(roles, key=ROLES.index) and len(set(roles)) >= 2  # one section each
        for (node, target, expr, _), dead in zip(statements, freed):
            if split and node.role != section:
                section = node.role
                lines.append(f"# {section} pass")
            lines.append(f"{target} = {expr}  # {node.op} {format_type(node.shape, node.dtype)}")
            if dead:
                lines.append(f"del {', '.join(self.operands[v].arg for v in dead)}")
        results = [self.operands[v].arg for v in self.g.output_values.values()]
        return lines + layout.return_lines(results, layout.WIDTH - 4)
