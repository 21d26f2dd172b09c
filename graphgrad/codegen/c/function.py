"""One graph's C function: its names, its workspace declarations, its numbered blocks, and the
header text that documents it.

A schedule of more than PART_KERNELS blocks is written as static functions of that many blocks
each (`<name>_part1`, ...), each taking just the arguments and workspace it uses, which the public
function calls in order: compilers' register allocation grows faster than linearly with the size
of one function (a 1000-layer network took minutes as one function).
"""
from __future__ import annotations

from dataclasses import dataclass
import textwrap

from ...graph.spec import format_type
from .access import Buf
from .clit import ctype
from .cnames import CNamer
from .lower import lower
from .plan import plan_memory

WIDTH = 99
MAX_CTYPES_ARGS = 1000  # ctypes passes at most 1024 arguments
PART_KERNELS = 128


@dataclass
class Param:
    """One argument of a generated function."""

    c_name: str
    io: str          # "input" or "output"
    name: str        # the graph's name for it
    spec: object     # TensorSpec

    def declaration(self) -> str:
        t = ctype(self.spec.dtype)
        return f"const {t} *{self.c_name}" if self.io == "input" else f"{t} *{self.c_name}"


class Renderer:
    """What loop nests ask of the function being written: names, helpers, fresh locals."""

    def __init__(self, fn):
        self.fn, self.used = fn, set()

    def ptr(self, base) -> str:
        self.used.add(base)
        self.fn.module.read.add(base)
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
        self.fn.module.helpers.add(helper)


class Function:
    """The C text of one graph's function (`module` holds the file's helpers, tables, names)."""

    def __init__(self, fname, g, module):
        self.fname, self.g, self.module = fname, g, module
        self.lowered = lower(g)
        self.plan = plan_memory(self.lowered)
        kernels = self.lowered.kernels
        self.n_parts = 0 if len(kernels) <= PART_KERNELS else -(-len(kernels) // PART_KERNELS)
        for name in [f"{fname}_packed"] + [f"{fname}_part{k + 1}" for k in range(self.n_parts)]:
            module.namer.reserve(name)
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
            self.names[slot.value] = self.namer.fresh(slot.value.name or slot.value.op, "t")
        roles = [k.role for k in kernels]
        self._sections = len(set(roles)) == 2 and roles == sorted(roles, key=("forward", "backward").index)

    def _param(self, value, io, name, spec):
        c_name = self.namer.fresh(name, "arg")
        self.params.append(Param(c_name, io, name, spec))
        self.names.setdefault(value, c_name)

    def signature(self) -> str:
        return wrap(f"void {self.fname}(", [p.declaration() for p in self.params] + ["void *workspace"], ")")

    # --- the body ----------------------------------------------------------------------------
    def _blocks(self, kernels, r, state) -> list:
        """The numbered C blocks of `kernels` (state: [blocks so far, current section])."""
        blocks = []
        for kernel in kernels:
            if self._sections and kernel.role != state[1]:
                state[1] = kernel.role
                blocks.append(f"/* {kernel.role} pass */")
            blocks.append(f"/* #{state[0]} {kernel.comment(r)} */")
            state[0] += 1
            for nest in kernel.nests:
                blocks += nest.render(r)
        return blocks

    def _declarations(self, slots, whole: bool, ws: bool) -> list:
        """Pointers into the workspace for `slots`; with `whole`, the plan's summary first and,
        with `ws`, the byte pointer they are computed from."""
        plan, lines = self.plan, []
        if whole and ws:
            lines = [f"/* workspace: {plan.workspace_bytes:,} bytes for {len(plan.slots)} arrays "
                     f"({plan.intermediate_bytes:,} if none shared),",
                     "   each live from the block (#) that writes it to the last that reads it */",
                     "unsigned char *ws = (unsigned char *)workspace;"]
        for slot in sorted(slots, key=lambda s: s.first):
            t, name = slot.ctype, self.names[slot.value]
            where = "ws" if slot.offset == 0 else f"ws + {slot.offset}"
            init = where if t == "unsigned char" else \
                f"({t} *)ws" if slot.offset == 0 else f"({t} *)({where})"
            note = f"{format_type(slot.value.shape, slot.value.dtype)}, #{slot.first}-#{slot.last}"
            if slot.in_place_of is not None:
                note += f", in place of {self.names[slot.in_place_of]}"
            lines.append(f"{t} *{name} = {init}; /* {note} */")
        return lines

    def _voids(self, used, ws: bool) -> list:
        read = {self.names[v] for v in used}
        lines = [f"(void){p.c_name};" for p in self.params if p.c_name not in read]
        return lines if ws else lines + ["(void)workspace;"]

    def body(self) -> tuple:
        """(the public function's body lines, the sources of its parts)."""
        kernels, state = self.lowered.kernels, [0, None]
        if not self.n_parts:
            r = Renderer(self)
            blocks = self._blocks(kernels, r, state)
            slots = [s for s in self.plan.slots if s.value in r.used]  # zero-size ones are not
            lines = self._declarations(slots, True, bool(slots)) + self._voids(r.used, bool(slots))
            return lines + ([""] if lines else []) + blocks, []
        parts, calls, used, any_ws = [], [], set(), False
        for k in range(self.n_parts):
            r = Renderer(self)
            blocks = self._blocks(kernels[k * PART_KERNELS:(k + 1) * PART_KERNELS], r, state)
            slots = [s for s in self.plan.slots if s.value in r.used]
            names = {self.names[v] for v in r.used}
            params = [p for p in self.params if p.c_name in names]
            decls = [p.declaration() for p in params] + (["unsigned char *ws"] if slots else [])
            name = f"{self.fname}_part{k + 1}"
            head = [f"/* {self.fname}, blocks #{k * PART_KERNELS} to #{state[0] - 1} */",
                    wrap(f"static void {name}(", decls or ["void"], ")"), "{"]
            lines = self._declarations(slots, False, False)
            parts.append("\n".join(head + indent(lines + ([""] if lines else []) + blocks) + ["}"]))
            calls.append(wrap(f"{name}(", [p.c_name for p in params] + (["ws"] if slots else []), ");"))
            used |= r.used
            any_ws = any_ws or bool(slots)
        lines = self._declarations([], True, any_ws)
        return lines + self._voids(used, any_ws) + [""] + calls, parts

    def source(self) -> str:
        doc = textwrap.fill(f"{self.fname}: generated by graphgrad from graph {self.g.name!r}; "
                            f"passes: {', '.join(self.g.passes) or 'none'}.", WIDTH - 3,
                            initial_indent="/* ", subsequent_indent=" * ") + " */"
        body, parts = self.body()
        return "\n".join([
            *[p + "\n" for p in parts], doc,
            f"size_t {self.fname}_workspace_bytes(void)", "{",
            f"    return {self.plan.workspace_bytes};", "}", "",
            self.signature(), "{", *indent(body), "}", *self._packed()]) + "\n"

    # --- the array entry point and the header ----------------------------------------------
    def packed(self) -> bool:
        """Whether the function has too many arguments for ctypes: then the file also defines
        `<name>_packed(void *const *args)`, the same call with its arguments in one array."""
        return len(self.params) + 1 > MAX_CTYPES_ARGS

    def _packed(self) -> list:
        if not self.packed():
            return []
        args = [f"({('const ' if p.io == 'input' else '') + ctype(p.spec.dtype)} *)args[{i}]"
                for i, p in enumerate(self.params)] + [f"args[{len(self.params)}]"]
        return ["", f"/* {self.fname} with its {len(args)} arguments in one array, in order */",
                f"void {self.fname}_packed(void *const *args)", "{",
                wrap(f"    {self.fname}(", args, ");"), "}"]

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
            comment, f"#define {self.macro()} {self.plan.workspace_bytes}",
            f"size_t {self.fname}_workspace_bytes(void);", self.signature() + ";",
            *([f"void {self.fname}_packed(void *const *args);"] if self.packed() else [])])

    def macro(self) -> str:
        return f"{self.fname.upper()}_WORKSPACE_BYTES"


def wrap(prefix, items, suffix) -> str:
    """`prefix` + items + `suffix`, broken between items (never inside one) at WIDTH columns."""
    lines, line = [], prefix
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else suffix)
        if line != prefix and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = " " * len(prefix) + piece
        else:
            line = line + ("" if line == prefix else " ") + piece
    if not items:
        line += suffix
    lines.append(line)
    return "\n".join(lines)


def indent(lines) -> list:
    return ["    " + x if x else "" for x in lines]
