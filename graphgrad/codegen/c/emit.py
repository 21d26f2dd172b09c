"""The C module: one `.c` file (self-contained C99) and its `.h`, for one graph or several.

Per graph: `void <name>(const T *input..., T *output..., void *workspace)` and
`size_t <name>_workspace_bytes(void)` (also `<NAME>_WORKSPACE_BYTES` in the header, for static
buffers). No malloc, no mutable globals: the workspace holds every intermediate at the offsets of
the memory plan. Each kernel is one commented block; helpers and constant tables appear only
when used. The same graphs always give the same text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import re
import textwrap

from ...graph.errors import GraphError
from ...graph.ir import check_name
from ...graph.spec import format_type
from .access import Buf
from .clit import ctype, table_lines
from .cnames import CNamer, check_function_name, is_reserved
from .helpers import NEEDS_STRING_H, helper_sources
from .lower import lower
from .plan import plan_memory

_WIDTH = 99


@dataclass
class Param:
    """One argument of a generated function."""

    c_name: str
    io: str          # "input" or "output"
    name: str        # the graph's name for it
    spec: object     # TensorSpec


@dataclass
class FunctionInfo:
    name: str
    graph: object
    plan: object
    params: list
    lowered: object = field(repr=False, default=None)


@dataclass
class CModule:
    """Generated C: `source` (the .c text), `header` (the .h text) and what each function is."""

    name: str
    source: str
    header: str
    functions: dict


class _ModuleState:
    def __init__(self, names):
        self.helpers, self.tables = set(), []
        self.namer = CNamer(taken=set(names) | {f"{n}_workspace_bytes" for n in names})


class _Renderer:
    """What loop nests ask of the function being written: names, helpers, fresh locals."""

    def __init__(self, fn, module):
        self.fn, self.module = fn, module
        self.used = set()

    def ptr(self, base) -> str:
        self.used.add(base)
        return self.fn.names[base]

    def name(self, value) -> str:
        return self.fn.names.get(value, getattr(value, "name", None) or "?")

    def name_of_access(self, acc) -> str:
        return self.name(acc.base) if isinstance(acc, Buf) else acc.text

    def type(self, value) -> str:
        return format_type(value.shape, value.dtype)

    def fresh(self, hint) -> str:
        return self.fn.namer.fresh(hint, "t")

    def use(self, helper) -> None:
        self.module.helpers.add(helper)


class _Function:
    """The C text of one graph's function."""

    def __init__(self, fname, g, module):
        self.fname, self.g, self.module = fname, g, module
        self.lowered = lower(g)
        self.plan = plan_memory(self.lowered)
        self.names, self.params = {}, []
        for v, where in self.lowered.storage.items():  # file-scope tables first: locals avoid them
            if where == ("const",):
                table = module.namer.fresh((v.name or "const").upper(), "CONST")
                self.names[v] = table
                module.tables.append((table, v))
        self.namer = CNamer(taken=module.namer.taken())
        for v in g.input_values.values():
            self._param(v, "input", v.name, v.spec)
        for out_name, spec in g.outputs.items():
            self._param(self.lowered.outputs[out_name], "output", out_name, spec)
        for slot in sorted(self.plan.slots, key=lambda s: s.first):
            v = slot.value
            self.names[v] = self.namer.fresh(v.name or getattr(v, "op", "t"), "t")

    def _param(self, value, io, name, spec):
        c_name = self.namer.fresh(name, "arg")
        self.params.append(Param(c_name, io, name, spec))
        self.names.setdefault(value, c_name)

    def signature(self) -> str:
        parts = []
        for p in self.params:
            t = ctype(p.spec.dtype)
            parts.append(f"const {t} *{p.c_name}" if p.io == "input" else f"{t} *{p.c_name}")
        parts.append("void *workspace")
        return _wrap(f"void {self.fname}(", parts, ")")

    def body(self) -> list:
        r = _Renderer(self, self.module)
        blocks, section, numbered = [], None, []
        roles = [k.role for k in self.lowered.kernels]
        split = len(set(roles)) == 2 and roles == sorted(roles, key=("forward", "backward").index)
        for kernel in self.lowered.kernels:
            if split and kernel.role != section:
                section = kernel.role
                blocks.append(f"/* {section} pass */")
            blocks.append(f"/* #{len(numbered)} {kernel.comment(r)} */")
            numbered.append(kernel)
            for nest in kernel.nests:
                blocks += nest.render(r)
        lines = self._declarations()
        unused = [p.c_name for p in self.params if p.c_name not in {self.names[v] for v in r.used}]
        lines += [f"(void){n};" for n in unused]
        if not self.plan.slots:
            lines.append("(void)workspace;")
        return lines + ([""] if lines else []) + blocks

    def _declarations(self) -> list:
        plan = self.plan
        if not plan.slots:
            return []
        lines = [f"/* workspace: {plan.workspace_bytes:,} bytes for {len(plan.slots)} arrays "
                 f"({plan.intermediate_bytes:,} if none shared),",
                 "   each live from the block (#) that writes it to the last that reads it */",
                 "unsigned char *ws = (unsigned char *)workspace;"]
        for slot in sorted(plan.slots, key=lambda s: s.first):
            t, name = slot.ctype, self.names[slot.value]
            where = "ws" if slot.offset == 0 else f"ws + {slot.offset}"
            init = where if t == "unsigned char" else \
                f"({t} *)ws" if slot.offset == 0 else f"({t} *)({where})"
            note = f"{format_type(slot.value.shape, slot.value.dtype)}, #{slot.first}-#{slot.last}"
            if slot.in_place_of is not None:
                note += f", in place of {self.names[slot.in_place_of]}"
            lines.append(f"{t} *{name} = {init}; /* {note} */")
        return lines

    def source(self) -> str:
        doc = textwrap.fill(f"{self.fname}: generated by graphgrad from graph {self.g.name!r}; "
                            f"passes: {', '.join(self.g.passes) or 'none'}.", _WIDTH - 3,
                            initial_indent="/* ", subsequent_indent=" * ") + " */"
        return "\n".join([
            doc,
            f"size_t {self.fname}_workspace_bytes(void)", "{",
            f"    return {self.plan.workspace_bytes};", "}", "",
            self.signature(), "{", *_indent(self.body()), "}"]) + "\n"

    def header_block(self) -> str:
        width = max([len(p.c_name) for p in self.params] + [len("workspace")])
        lines = [f"{self.fname}: graph {self.g.name!r}. Arguments, in order (arrays are contiguous, "
                 "row-major):"]
        for p in self.params:
            t = ("const " if p.io == "input" else "") + ctype(p.spec.dtype)
            count = " * ".join(map(str, p.spec.shape)) or "1"
            label = "" if p.c_name == p.name else f" ({p.io} {p.name!r})"
            lines.append(f"  {p.c_name:<{width}}  {p.io:<6}  {t}[{count}]: {p.spec.dtype}, shape "
                         f"{tuple(p.spec.shape)}{label}")
        lines.append(f"  {'workspace':<{width}}  scratch {self.macro()} bytes, aligned for double")
        lines.append(f"  {'':<{width}}          (malloc'd memory is); it holds nothing between calls")
        lines.append("Outputs must not overlap the inputs, each other or the workspace.")
        comment = "\n".join(["/* " + lines[0]] + [" * " + x for x in lines[1:]]) + "\n */"
        return "\n".join([
            comment,
            f"#define {self.macro()} {self.plan.workspace_bytes}",
            f"size_t {self.fname}_workspace_bytes(void);",
            self.signature() + ";"])

    def macro(self) -> str:
        return f"{self.fname.upper()}_WORKSPACE_BYTES"


def _wrap(prefix, items, suffix) -> str:
    """`prefix` + items + `suffix`, broken between items (never inside one) at _WIDTH columns."""
    lines, line = [], prefix
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else suffix)
        if line.strip() and line != prefix and len(line) + 1 + len(piece) > _WIDTH:
            lines.append(line)
            line = " " * len(prefix) + piece
        else:
            line = line + ("" if line == prefix else " ") + piece
    if not items:
        line += suffix
    lines.append(line)
    return "\n".join(lines)


def _indent(lines) -> list:
    return ["    " + x if x else "" for x in lines]


def emit_module(functions: dict, *, module: str | None = None) -> CModule:
    """One C file with a function per graph (`{c name: graph}`), sharing helpers and tables."""
    if not functions:
        raise GraphError("emit_module needs at least one graph")
    for fname in functions:
        check_name(fname, "function name")
        check_function_name(fname)
    module = module or next(iter(functions))
    state = _ModuleState(functions)
    fns = [_Function(fname, g, state) for fname, g in functions.items()]
    bodies = [f.source() for f in fns]
    helpers = helper_sources(state.helpers)
    includes = ["#include <math.h>", "#include <stddef.h>"]
    if NEEDS_STRING_H & state.helpers:
        includes.append("#include <string.h>")
    graphs = ", ".join(repr(f.g.name) for f in fns)
    head = (f"/* {module}.c: generated by graphgrad (C backend) from graph{'s' if len(fns) > 1 else ''} "
            f"{graphs}.\n *\n * C99, needs only libm: cc -std=c99 -O2 -c {module}.c\n"
            f" * With -DGRAPHGRAD_CBLAS, matmuls call CBLAS (link -lopenblas or another CBLAS).\n"
            f" * Declarations and argument shapes: {module}.h. Floating-point contraction off\n"
            f" * (-ffp-contract=off) gives numpy's results to the last bits.\n */")
    tables = [_table(name, v) for name, v in state.tables]
    parts = [head, "\n".join(includes), *helpers, *tables, *bodies]
    source = "\n\n".join(p.rstrip("\n") for p in parts) + "\n"
    return CModule(module, source, _header(module, fns),
                   {f.fname: FunctionInfo(f.fname, f.g, f.plan, f.params, f.lowered) for f in fns})


def _table(name, node) -> str:
    value = node.attrs["value"]
    t = ctype(node.dtype)
    body = "\n".join(table_lines(value, node.dtype))
    return (f"/* {node.name or 'constant'}: {format_type(node.shape, node.dtype)} */\n"
            f"static const {t} {name}[{max(1, value.size)}] = {{\n{body}\n}};")


def _header(module, fns) -> str:
    guard = f"GRAPHGRAD_{re.sub(r'[^0-9A-Za-z]', '_', module).upper()}_H"
    head = (f"/* {module}.h: generated by graphgrad (C backend). The functions of {module}.c.\n"
            " *\n * Every function computes its graph's outputs from its inputs, using only its "
            "arguments:\n * no malloc, no globals, so calls with different workspaces may run "
            "at once.\n * Scalars are pointers to one element; bools are unsigned char (0 or 1)."
            "\n */")
    blocks = "\n\n".join(f.header_block() for f in fns)
    return (f"{head}\n#ifndef {guard}\n#define {guard}\n\n#include <stddef.h>\n\n"
            f"#ifdef __cplusplus\nextern \"C\" {{\n#endif\n\n{blocks}\n\n"
            f"#ifdef __cplusplus\n}}\n#endif\n\n#endif /* {guard} */\n")


def emit_c(g, *, name: str | None = None) -> CModule:
    """The C module for one graph; its function is `name` (default: the graph's name)."""
    return emit_module({name or g.name: g}, module=name or g.name)


__all__ = ["CModule", "emit_c", "emit_module", "is_reserved"]
