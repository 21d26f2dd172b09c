"""The look of a picture: one palette, one shape per kind of value, and the node labels.

Kinds: input (ellipse), parameter (hexagon: an input that gets a gradient), constant (note),
forward op (rounded box, blue), backward op (rounded box, orange), tangent op (rounded box,
green: forward-mode derivatives), explicit Jacobian (3-D box,
red, bold, with its formula), output (inverted house).
"""
from __future__ import annotations

from ..graph import JACOBIAN_OPS
from ..graph.analysis import nbytes
from .labels import (INDEXED, attrs_text, constant_text, escape, index_text, jacobian_formula,
                     size_text, type_text)

FONT = "DejaVu Sans"
MUTED = "#555555"
ROLE_FILL = {"forward": "#dbe9f6", "backward": "#fde2c8", "tangent": "#e6dcf5"}
ROLE_LINE = {"forward": "#2c6fad", "backward": "#c8650f", "tangent": "#6a3d9a"}
CLUSTER_FILL = {"forward": "#f3f8fd", "backward": "#fff6ee", "tangent": "#f7f3fc"}
JACOBIAN_FILL, JACOBIAN_LINE = "#f9d6d5", "#b3261e"
MARK_LINE = "#d81b60"  # magenta: no kind uses it
MARK_NOTE = f'<FONT COLOR="{MARK_LINE}"><B>✗ marked</B></FONT>'

KINDS = {  # kind -> (shape, fill colour, line colour, extra style)
    "input": ("ellipse", "#eeeeee", "#666666", ""),
    "parameter": ("hexagon", "#fff1b8", "#a07c00", ""),
    "constant": ("note", "#ffffff", "#888888", ""),
    "forward": ("box", ROLE_FILL["forward"], ROLE_LINE["forward"], ",rounded"),
    "backward": ("box", ROLE_FILL["backward"], ROLE_LINE["backward"], ",rounded"),
    "tangent": ("box", ROLE_FILL["tangent"], ROLE_LINE["tangent"], ",rounded"),
    "jacobian": ("box3d", JACOBIAN_FILL, JACOBIAN_LINE, ",bold"),
    "output": ("invhouse", "#d9f2d9", "#2e7d32", ""),
}
KIND_TEXT = {"input": "input", "parameter": "parameter (gets a gradient)", "constant": "constant",
             "forward": "forward op", "backward": "backward op", "tangent": "tangent op (forward mode)",
             "jacobian": "explicit Jacobian (⊗, diag, I)", "output": "output"}


def node_kind(value, parameters) -> str:
    """Which of KINDS a value is drawn as."""
    if value.op == "input":
        return "parameter" if value.name in parameters else "input"
    if value.op in JACOBIAN_OPS:
        return "jacobian"
    if value.op == "constant":
        return "constant"
    return value.role


def kind_attrs(kind: str) -> dict:
    """Graphviz node attributes (shape, colours, style) for a kind."""
    shape, fill, line, extra = KINDS[kind]
    attrs = {"shape": shape, "style": "filled" + extra, "fillcolor": fill, "color": line}
    if kind == "jacobian":
        attrs["penwidth"] = "2.5"
    return attrs


def mark_attrs(attrs: dict) -> dict:
    """A marked value's attributes: its kind's, with a thick magenta border."""
    return {**attrs, "color": MARK_LINE, "penwidth": "3.5"}


def html(lines) -> str:
    """An HTML-like label from already escaped lines of markup."""
    return "<" + "<BR/>".join(lines) + ">"


def small(text: str, colour: str = MUTED) -> str:
    return f'<FONT POINT-SIZE="9" COLOR="{colour}">{text}</FONT>'


def op_label(node, note: str = "", variants=()) -> str:
    """`h = matmul` (bold), attributes, then `%3 · f64[64,100]`; Jacobians show their formula
    and size; slices read as code (`x[:, 2:]`), with `variants` the indexes of the copies a
    drawn slice stands for; `note` (already escaped) adds a last line, e.g. a mark."""
    head = f"{escape(node.name)} = {node.op}" if node.name else node.op
    lines = []
    if node.op in JACOBIAN_OPS:
        lines.append(f'<FONT POINT-SIZE="13"><B>{escape(jacobian_formula(node))}</B></FONT>')
        lines.append(escape(head))
        lines.append(small(f"{node.ref} · {type_text(node)} · {size_text(nbytes(node))}",
                           JACOBIAN_LINE))
    elif node.op == "constant":
        lines.append(f"<B>{escape(constant_text(node))}</B>")
        lines.append(small(f"{node.ref} · {type_text(node)}"))
    else:
        if node.op in INDEXED:
            head = _indexed_head(node, variants)
        lines.append(f"<B>{head}</B>")
        attrs = attrs_text(node)
        if attrs:
            lines.append(small(escape(attrs)))
        lines.append(small(f"{node.ref} · {type_text(node)}"))
    if note:
        lines.append(note)
    return html(lines)


def _indexed_head(node, variants) -> str:
    """`h = x[:, 2:]` for a slice; `unslice [3] of [20,4,3]` for its transpose (zeros with the
    gradient written at the index). Already escaped."""
    operand = node.inputs[0]
    if node.op == "slice":
        text = f"{operand.name or operand.ref}{index_text(node.attrs['index'], operand.shape, variants)}"
    else:
        shape = tuple(node.attrs["shape"])
        text = f"unslice {index_text(node.attrs['index'], shape, variants)} of [{','.join(map(str, shape))}]"
    return escape(f"{node.name} = {text}" if node.name else text, 60)


def names_text(names: list) -> str:
    """`w1`, or `w0, w1 … w299 (300)` for many merged names."""
    if len(names) <= 3:
        return ", ".join(names)
    return f"{names[0]}, {names[1]} … {names[-1]} ({len(names)})"


def input_label(value, names: list, kind: str, note: str = "") -> str:
    """The input's name(s) in bold, then `parameter · f64[1000,100]`, then `note` if any."""
    what = "parameter" if kind == "parameter" else "input"
    lines = [f"<B>{escape(names_text(names), 80)}</B>", small(f"{what} · {type_text(value)}")]
    return html(lines + ([note] if note else []))


def output_label(names: list, value) -> str:
    """The output name(s) in bold, then the type."""
    return html([f"<B>{escape(names_text(names), 80)}</B>", small(f"output · {type_text(value)}")])


def edge_label(value, count: int) -> str:
    """`f64[64,100]`, with `×3` when several operand edges are merged into one."""
    text = type_text(value)
    return text if count == 1 else f"{text} ×{count}"


def legend_label(kinds, marked: bool = False) -> str:
    """A small table: one row per kind drawn, with its fill colour; a row for marks if any."""
    rows = "".join(
        f'<TR><TD BGCOLOR="{KINDS[k][1]}" WIDTH="18"> </TD><TD ALIGN="LEFT">{KIND_TEXT[k]}</TD></TR>'
        for k in kinds)
    if marked:
        rows += (f'<TR><TD BORDER="3" COLOR="{MARK_LINE}" WIDTH="18"><FONT COLOR="{MARK_LINE}">'
                 '✗</FONT></TD><TD ALIGN="LEFT">marked (e.g. failed its gradient check)</TD></TR>')
    return ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="2" CELLPADDING="3">'
            f'<TR><TD COLSPAN="2"><B>legend</B></TD></TR>{rows}</TABLE>>')
