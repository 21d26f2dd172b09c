"""Drawing a folded view (see layout.py): each column is a top-level cluster in its role's
colours, holding its inputs, op nodes, repeated-layer boxes, outputs and the references to
values drawn in other columns. The DOT ids of values are the same as in an unfolded picture.

Columns are top-level clusters, emitted in reading order, because that is the one order `dot`
keeps: nothing joins two columns, so each is a component of the graph, and `dot` places
components left to right in input order. (Among clusters nested in a cluster it keeps none:
dot 2.43 reverses them, and neither same-rank edges nor `ordering=out` across clusters hold.)
"""
from __future__ import annotations

from . import style
from .dot import (ROLES, draw_input, draw_members, draw_output, draw_output_edges, edge_attrs,
                  role_cluster_attrs, value_id)
from .style import MUTED, small


def draw_folded(dot, view, fold, prefix: str = "", heading: str = "") -> set:
    """Emit a folded view into `dot`; return the kinds drawn. `heading` (markup) goes above
    the first column, e.g. the title of one side of a comparison."""
    params = view.parameters
    kinds = set()
    refs = sorted(set(fold.refs.values()), key=lambda r: (_order(r[0]), _order(r[2][0]), r[1]))
    for role in ROLES:
        count = fold.columns.get(role, 0)
        for k in range(count):
            here = (role, k)
            if not any(c == here for c in fold.column.values()):
                continue
            note = f" {k + 1} / {count}" if count > 1 else ""
            attrs = role_cluster_attrs(view, role, note)
            if heading:
                attrs["label"] = f"<{heading}<BR/>{attrs['label'][1:-1]}>"
                heading = ""
            with dot.subgraph(name=f"cluster_{prefix}{role}{k}") as col:
                col.attr(labeljust="l", **attrs)
                kinds |= _draw_column(col, view, fold, here, params, prefix)
                for ref in refs:
                    if fold.column[ref[0]] == here:
                        col.node(ref_id(ref, prefix), _ref_label(view, fold, ref[2]),
                                 **_ref_attrs(ref[2][0], params))
    counts = {}
    for src, dst, count, carry in view.edges():
        ref = fold.refs.get((src, dst, carry))
        if ref is None:
            dot.edge(value_id(src, prefix), value_id(dst, prefix), **edge_attrs(src, dst, count, carry))
        else:
            counts[ref] = counts.get(ref, 0) + count
    for ref in refs:
        dst, carry, sources = ref
        dot.edge(ref_id(ref, prefix), value_id(dst, prefix),
                 **edge_attrs(sources[0], dst, counts[ref], carry))
    draw_output_edges(dot, view.outputs, prefix)
    return kinds


def _order(v) -> tuple:
    return (0, v.name) if v.op == "input" else (1, v.id)


def _draw_column(col, view, fold, here, params, prefix) -> set:
    kinds = set()
    for v in view.inputs:
        if fold.column[v] == here:
            kinds.add(draw_input(col, view, v, params, prefix))
    nodes = [n for n in view.nodes if fold.column[n] == here and n not in view.group_of]
    groups = [i for i, grp in enumerate(view.groups)
              if any(n not in view.hidden and fold.column.get(n) == here for n in grp.nodes)]
    kinds |= draw_members(col, view, nodes, groups, params, prefix)
    for names, v in view.outputs:
        if fold.column[v] == here:
            kinds.add(draw_output(col, names, v, prefix))
    return kinds


def ref_id(ref, prefix: str = "") -> str:
    """The DOT id of a reference (dst, carry, sources): `n97_to_n130`, from its first source."""
    dst, carry, sources = ref
    return f"{value_id(sources[0], prefix)}_to_{value_id(dst)}" + ("_next" if carry else "")


def _ref_label(view, fold, sources) -> str:
    """`%97 tanh`, `h_relu %2`, `%5, %11 … %113 (19) tanh` or input names, above where they are
    drawn: `from forward, column 2`."""
    first = sources[0]
    if first.op == "constant" and len(sources) == 1:  # a constant is its value, wherever it is
        return style.html([f"<B>{style.escape(style.constant_text(first))}</B>",
                           small(f"{first.ref} constant", MUTED)])
    if first.op == "input":
        head = style.names_text([n for v in sources for n in view.names[v]])
    elif len(sources) == 1 and first.name:
        head = f"{first.name} {first.ref}"
    else:
        head = f"{style.names_text([v.ref for v in sources])} {first.op}"
    role, k = fold.column[first]
    where = f"{role}, column {k + 1}" if fold.columns.get(role, 1) > 1 else role
    return style.html([f"<B>{style.escape(head, 60)}</B>", small(f"from {where}", MUTED)])


def _ref_attrs(src, params) -> dict:
    """A reference looks like a small, dashed copy of what it stands for."""
    kind = style.node_kind(src, params)
    _, fill, line, _ = style.KINDS[kind]
    return {"shape": "box", "style": "dashed,rounded,filled", "fillcolor": fill, "color": line,
            "fontsize": "9", "margin": "0.08,0.04"}
