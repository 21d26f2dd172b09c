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

from . import finite, layout, microbatch
from ..graph.analysis import collector_paused, nbytes
from ..graph.errors import GraphError
from ..graph.ir import ROLES, Graph, check_name
from ..graph.provenance import describe as provenance
from ..graph.spec import format_type
from .backend import Ctx, Expr, render
from .backend_jax import JAX
from .backend_numpy import NUMPY
from .literals import shape_text
from .liveness import FREE_NOW_BYTES, deaths, frees, live_nodes, reusable
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


COMMENTS = ("short", "full", "none")


def emit(g: Graph, backend: str = "numpy", *, name: str | None = None, comments: str = "short",
         check_args: bool = False, check_finite: bool = False, microbatches: int | None = None) -> str:
    """Source of a Python module defining `name` (default `g.name`), which takes the graph inputs
    in order and returns the outputs in order (one output bare, several as a tuple).

    `comments`: "short" ends each statement with its op and type, "full" also says where a value
    came from (the forward node a backward statement differentiates, its line in the user's file,
    the rule and the identities that rewrote it), "none" writes none. `check_args` makes the
    function check each argument's shape and dtype itself (ValueError naming the input);
    `check_finite` makes it raise FloatingPointError naming the first node that made a NaN or
    an infinity (finite.py: one sum per output on the fast path); `microbatches=k` runs the graph
    over k slices of its data inputs and combines the outputs (microbatch.py)."""
    if backend == "c":  # its own emitter: graphgrad/codegen/c
        from .c import emit_c

        return emit_c(g, name=name).source
    return emit_compiled(g, backend, name=name, comments=comments, check_args=check_args,
                         check_finite=check_finite, microbatches=microbatches)[0]


def function_name(g, backend, name=None) -> str:
    """The generated function's name: `name` if given (checked), else the graph's name, with
    `_fn` added when it would shadow a name the module needs (a graph may be called `np`)."""
    if name is not None:
        return name
    taken = MODULE_NAMES | set(get_backend(backend).helpers)
    return f"{g.name}_fn" if g.name in taken else g.name


@collector_paused
def emit_compiled(g, backend="numpy", *, name=None, comments="short", check_args=False,
                  check_finite=False, microbatches=None):
    """(source, code object, function name): the module of `emit`, compiled once to prove that
    it parses (and reused by `gg.compile` to load it)."""
    backend = get_backend(backend)
    if comments not in COMMENTS:
        raise GraphError(f"comments must be one of {', '.join(map(repr, COMMENTS))}, got {comments!r}")
    name = function_name(g, backend, name)
    if microbatches is None:
        source = _Module(g, backend, name, comments, bool(check_args), bool(check_finite)).source()
    else:
        source = _microbatched(g, backend, name, comments, check_args, check_finite, microbatches)
    filename = f"<graphgrad {backend.name}: {name}>"
    try:
        code = builtins.compile(source, filename, "exec")
    except SyntaxError as e:  # a bug of ours, never of the user's: say so plainly
        raise GraphError(f"internal error: the generated {backend.name} module does not parse "
                         f"({e.msg}, line {e.lineno}); please report it") from None
    return source, code, name


def _microbatched(g, backend, name, comments, check_args, check_finite, k) -> str:
    """The module of the graph at 1/k of the batch, then the function that runs it k times."""
    small, combos, data, batch = microbatch.split(g, k)
    module = _Module(small, backend, f"_{name}_microbatch", comments, check_args, check_finite)
    source = module.source()
    flags = [n in data for n in g.inputs]
    specs = {n: (s.shape, s.dtype) for n, s in g.outputs.items()}
    return source + "\n\n" + microbatch.wrapper(name, module.fname, module.params, flags, combos, specs, k,
                                                batch // k, backend.name)


class _Module:
    """The state of one emission: names, module-level constants, statements and helpers used."""

    def __init__(self, g, backend, fname, comments="short", check_args=False, check_finite=False,
                 steps=False):
        check_name(fname, "function name")
        if fname in MODULE_NAMES or fname in backend.helpers:
            raise GraphError(f"function name {fname!r} would shadow a name the module needs; "
                             "pass another name=")
        self.g, self.backend, self.fname = g, backend, fname
        self.comments, self.check_args, self.check_finite = comments, check_args, check_finite
        self.steps = steps  # the slow path of check_finite: one statement per node, each checked
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
        self.consumers = {}  # value -> the nodes that read it
        for node in self.live:
            for v in node.inputs:
                self.uses[v] = self.uses.get(v, 0) + 1
                self.consumers.setdefault(v, []).append(node)

    def _bind(self, value, hint, fallback) -> str:
        name = self.namer.fresh(hint, fallback)
        self.operands[value] = Expr(name)
        return name

    # --- statements ----------------------------------------------------------------------
    def _statements(self) -> list:
        """(value, target, expression, variables read) for each live node that needs a statement."""
        out = []
        for node in self.live:  # constants first: their module-level names do not depend on the rest
            if node.op == "constant":
                self.operands[node] = self._constant_operand(node)
        for node in self.live:
            if node.op == "constant":
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
        if node in self.outputs or self.steps:
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
        text = [*body, *(src for _, src in self.constants)]
        if self.check_finite:
            text.append("_all_finite( _check_finite(")
        called = set(_HELPER_CALL.findall("\n".join(text)))
        while True:  # and the helpers those helpers call
            more = {c for h in called if h in self.backend.helpers
                    for c in _HELPER_CALL.findall(self.backend.helpers[h][0])} - called
            if not more:
                break
            called |= more
        helpers = [h for h in self.backend.helpers if h in called]
        imports = list(self.backend.imports)
        for h in helpers:
            imports += [i for i in self.backend.helpers[h][1] if i not in imports]
        uses64 = any(v.dtype in ("float64", "int64") for v in (*self.g.input_values.values(), *self.g.nodes))
        parts = [layout.module_doc(self.fname, self.g, self.backend.name, uses64) + "\n" +
                 "\n".join(sorted(imports, key=layout.import_order))]
        parts += [self.backend.helpers[h][0] for h in helpers]
        if self.constants:
            parts.append("\n".join(f"{n} = {src}" for n, src in self.constants))
        parts.append(self.function_text(body))
        if self.check_finite:
            parts.append(finite.steps_function(self))
        return "\n\n\n".join(p.rstrip("\n") for p in parts) + "\n"

    def function_text(self, body) -> str:
        doc = [] if self.steps else layout.function_doc(self.fname, self.params, self.g)
        return "\n".join([*layout.call_lines(f"def {self.fname}(", self.params, "):"),
                          *layout.indent(doc), *layout.indent(body)])

    def _body(self, statements) -> list:
        keep = set(self.outputs) | set(self.g.input_values.values()) | \
            {v for v in self.operands if getattr(v, "op", None) == "constant"}
        dying = deaths([(v, ops) for v, _, _, ops in statements], keep)
        freed = frees(dying)
        lines, section = self._argument_checks(), None
        roles = [v.role for v, *_ in statements]
        split = roles == sorted(roles, key=ROLES.index) and len(set(roles)) >= 2  # one section each
        for (node, target, expr, _), dies, dead in zip(statements, dying, freed):
            if split and node.role != section:
                section = node.role
                lines.append(f"# {section} pass")
            expr = self._in_place(node, dies) or expr
            lines.append(f"{target} = {expr}{self._comment(node)}")
            if self.steps:
                lines.append(finite.check_line(self, node, target))
            if dead:
                lines.append(f"del {', '.join(self.operands[v].arg for v in dead)}")
        results = [self.operands[v].arg for v in self.g.output_values.values()]
        if self.steps:
            return finite.input_checks(self) + lines
        if self.check_finite:
            lines += finite.fast_check(self, results)
        return lines + layout.return_lines(results, layout.WIDTH - 4)

    def _in_place(self, node, dies):
        """`np.add(h, b, out=h)`: node's statement writing into the buffer of an operand that
        dies there (liveness.reusable says when no one else can see it), or None."""
        if self.backend.in_place is None or self.steps or node.op == "constant":
            return None
        for v in node.inputs:
            if v in dies and reusable(v, node, self.consumers):
                operands = [self.operands[u] for u in node.inputs]
                return self.backend.in_place(operands, node, Ctx(self.backend, node), self.operands[v].arg)
        return None

    def _argument_checks(self) -> list:
        """`x = _check_arg("x", x, (64, 1000), "float64")` per input, when asked for."""
        if not self.check_args:
            return []
        return [f"{param} = _check_arg({name!r}, {param}, {shape_text(spec.shape)}, {spec.dtype!r})"
                for param, (name, spec) in zip(self.params, self.g.inputs.items())]

    def _comment(self, node) -> str:
        if self.comments == "none":
            return ""
        text = f"{node.op} {format_type(node.shape, node.dtype)}"
        if self.comments == "full":
            text = provenance(node) or text
        return f"  # {text}"
