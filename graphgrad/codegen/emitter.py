"""The one emitter: a Graph becomes the source of a plain Python module for one backend.

One statement per live node (`h = x @ w1  # matmul f64[64,100]`), names from the user's hints,
scalar constants inline as exact literals, larger constants at module level, `del` right after a
value's last use, helpers only when called, and a docstring with the types and the passes. The
same graph always gives the same text.
"""
from __future__ import annotations

import re
import textwrap

from ..graph.analysis import gc_paused
from ..graph.errors import GraphError
from ..graph.ir import check_name
from ..graph.spec import format_type
from .backend import Ctx, render
from .backend_jax import JAX
from .backend_numpy import NUMPY
from .liveness import deaths, live_nodes
from .names import MODULE_NAMES, Namer

BACKENDS = {"numpy": NUMPY, "jax": JAX}
_WIDTH = 99  # longest generated line, where a line can be broken
_HELPER_CALL = re.compile(r"\b(_[A-Za-z]\w*)\(")  # private helpers are the only _name( calls


def get_backend(backend):
    """The Backend object for a name ("numpy", "jax") or a Backend given directly."""
    if not isinstance(backend, str):
        return backend
    try:
        return BACKENDS[backend]
    except KeyError:
        raise GraphError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}") from None


class _Var:
    """An operand that is a variable (parameter, local, or module-level constant)."""

    def __init__(self, name):
        self.arg = self.op = self.obj = name


def emit(g, backend="numpy", *, name=None) -> str:
    """Source of a Python module defining `name` (default `g.name`), which takes the graph inputs
    in order and returns the outputs in order (one output bare, several as a tuple)."""
    if backend == "c":  # its own emitter: graphgrad/codegen/c
        from .c import emit_c
        return emit_c(g, name=name).source
    with gc_paused():
        return _Module(g, get_backend(backend), name or g.name).source()


class _Module:
    """The state of one emission: names, module-level constants, statements and helpers used."""

    def __init__(self, g, backend, fname):
        check_name(fname, "function name")
        if fname in MODULE_NAMES or fname in backend.helpers:
            raise GraphError(f"function name {fname!r} would shadow a name the module needs; "
                             "pass another name=")
        self.g, self.backend, self.fname = g, backend, fname
        self.namer = Namer(reserved=[fname, *backend.helpers])
        self.operands = {}   # value -> _Var or ScalarLiteral
        self.reads = {}      # inlined value -> the values whose variables its text reads
        self.params = [self._bind(v, v.name, "x") for v in g.input_values.values()]
        self.constants = []  # (name, source) at module level
        self.outputs = {}    # value -> first output name
        for out_name, v in g.output_values.items():
            self.outputs.setdefault(v, out_name)

    def _bind(self, value, hint, fallback):
        name = self.namer.fresh(hint, fallback)
        self.operands[value] = _Var(name)
        return name

    # --- statements ----------------------------------------------------------------------
    def _statements(self):
        """(value, target, expression, variables read) for each live node that needs a statement."""
        out = []
        for node in live_nodes(self.g):
            if node.op == "constant":
                if not self._constant(node):
                    continue
                expr, reads = self._constant_output(node), ()
            elif self._inline_transpose(node):
                continue
            else:
                template = self.backend.templates.get(node.op)
                if template is None:
                    raise GraphError(f"backend {self.backend.name!r} has no spelling for op {node.op!r}")
                expr = render(template, [self.operands[v] for v in node.inputs], node, self.backend)
                reads = [r for v in node.inputs for r in self.reads.get(v, (v,))]
            target = self._bind(node, self.outputs.get(node) or node.name, node.op)
            out.append((node, target, expr, reads))
        return out

    def _inline_transpose(self, node) -> bool:
        """A 2-D `.T` of a variable is a free view, and an identity permutation is no op at all:
        both are written where they are used (`h_relu.T @ grad_y_pred`)."""
        if node.op != "transpose" or node in self.outputs:
            return False
        (src,) = node.inputs
        axes, operand = node.attrs["axes"], self.operands[src]
        if axes == tuple(range(len(axes))):
            self.operands[node] = operand
        elif axes == (1, 0) and isinstance(operand, _Var):
            self.operands[node] = _Var(f"{operand.arg}.T")
        else:
            return False
        self.reads[node] = self.reads.get(src, (src,))
        return True

    def _constant(self, node) -> bool:
        """Place a constant: 0-d ones inline, others at module level; True if it needs a statement."""
        ctx = Ctx(self.backend, node)
        if node.shape == ():
            self.operands[node] = ctx.lit(node.attrs["value"].item())
        else:
            name = self.namer.fresh((node.name or "const").upper(), "CONST")
            expr = render(self.backend.templates["constant"], [], node, self.backend)
            self.constants.append((name, expr))
            self.operands[node] = _Var(name)
        return node in self.outputs

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
        parts = [self._module_doc() + "\n" + "\n".join(sorted(imports, key=_import_order))]
        parts += [self.backend.helpers[h][0] for h in helpers]
        if self.constants:
            parts.append("\n".join(f"{n} = {src}" for n, src in self.constants))
        parts.append(self._function(body))
        return "\n\n\n".join(p.rstrip("\n") for p in parts) + "\n"

    def _body(self, statements) -> list:
        keep = set(self.outputs) | set(self.g.input_values.values()) | \
            {v for v in self.operands if getattr(v, "op", None) == "constant"}
        dying = deaths([(v, ops) for v, _, _, ops in statements], keep)
        lines, section = [], None
        roles = [v.role for v, *_ in statements]
        split = roles == sorted(roles, key=("forward", "backward").index) and len(set(roles)) == 2
        for (node, target, expr, _), dead in zip(statements, dying):
            if split and node.role != section:
                section = node.role
                lines.append(f"# {section} pass")
            lines.append(f"{target} = {expr}  # {node.op} {format_type(node.shape, node.dtype)}")
            names = [self.operands[v].arg for v in dead if isinstance(self.operands[v], _Var)]
            if names:
                lines.append(f"del {', '.join(names)}")
        results = [self.operands[v].arg for v in self.g.output_values.values()]
        if len(results) > 1 and len("    return " + ", ".join(results)) > _WIDTH:
            lines += _wrap("return (", results, ")", _WIDTH - 4)
        else:
            lines.append("return " + (", ".join(results) if results else "()"))
        return lines

    def _function(self, body) -> str:
        doc = self._function_doc()
        lines = [*_wrap(f"def {self.fname}(", self.params, "):"), *_indent(doc), *_indent(body)]
        return "\n".join(lines)

    def _module_doc(self) -> str:
        passes = ", ".join(self.g.passes) if self.g.passes else "none"
        note = ""
        if self.backend.name == "jax" and _uses_float64(self.g):
            note = ('\nThe graph is float64: run jax.config.update("jax_enable_x64", True) before '
                    "importing\nthis module, or jax computes (and stores its constants) in float32.\n")
        about = textwrap.fill(f"Needs only {self.backend.name}. Passes that produced the graph: "
                              f"{passes}.", _WIDTH, break_on_hyphens=False)
        return (f'"""{self.fname}: generated by graphgrad from graph {self.g.name!r} '
                f'({self.backend.name} backend).\n\n{about}\n{note}"""\n')

    def _function_doc(self) -> list:
        outs = list(self.g.outputs)
        returns = outs[0] if len(outs) == 1 else "(" + ", ".join(outs) + ")"
        lines = [*textwrap.wrap(f'"""{self.fname}({", ".join(self.params)}) -> {returns}', _WIDTH - 4,
                                subsequent_indent="    ", break_on_hyphens=False), "", "Inputs:"]
        for param, (n, spec) in zip(self.params, self.g.inputs.items()):
            label = param if param == n else f"{param} (input {n!r})"
            lines.append(f"    {label}: {_type(spec)}")
        lines.append("Returns:" if outs else "Returns: nothing")
        lines += [f"    {n}: {_type(s)}" for n, s in self.g.outputs.items()]
        return lines + ['"""']


def _uses_float64(g) -> bool:
    return any(v.dtype == "float64" for v in (*g.input_values.values(), *g.nodes))


def _type(spec) -> str:
    return f"{spec.dtype}, shape {spec.shape}"


def _wrap(prefix, items, suffix, width=None) -> list:
    """`prefix` + comma-separated `items` + `suffix`, broken into lines of at most `width` columns
    with the continuation aligned after the prefix's opening parenthesis."""
    lines = textwrap.wrap(prefix + ", ".join(items) + suffix, width or _WIDTH, break_long_words=False,
                          subsequent_indent=" " * len(prefix), break_on_hyphens=False)
    return lines or [prefix + suffix]


def _indent(lines) -> list:
    return ["    " + line if line else "" for line in lines]


def _import_order(line: str):
    return (line.startswith("import jax.") or line.startswith("import numpy"), line)
