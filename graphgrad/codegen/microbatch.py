"""`microbatches=k`: the same graph at 1/k of the batch, run k times, its outputs combined.

The data inputs (those that get no gradient output) are split along their leading axis. Each
output is combined as the batch analysis (batch_axes.py) finds it: a sum over the batch (the
gradients of a summed loss, and of a mean loss too, whose 1/N is a constant of the graph) is
summed, a `mean` over the batch averaged, a per-row output concatenated, a batch-free one taken
once. Peak memory is that of one microbatch. numpy loops over the slices; jax runs them in a
`jax.lax.scan`, so that XLA keeps one microbatch's intermediates alive at a time.
"""
from __future__ import annotations

import numbers

from ..graph.errors import GraphError
from ..graph.ir import Graph
from .batch_axes import MEAN, SUM, analyse
from .literals import shape_text


def data_inputs(g) -> list:
    """The inputs that get no gradient output: the ones split into microbatches."""
    params = {of for of, _ in g.gradients.values()}
    return [n for n in g.inputs if n not in params]


def split(g, k):
    """(the graph at 1/k of the batch, output name -> "sum" | "mean" | "concat:<axis>" | "same",
    data input names, batch size)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise GraphError(f"microbatches must be a positive int, got {k!r}")
    data = data_inputs(g)
    if not data:
        raise GraphError(f"microbatches: graph {g.name!r} has no data inputs (every input gets a gradient)")
    sizes = {n: g.inputs[n].shape[0] if g.inputs[n].shape else None for n in data}
    batch = sizes[data[0]]
    if batch is None or any(s != batch for s in sizes.values()):
        raise GraphError(f"microbatches: the data inputs must share a leading batch axis, got "
                         f"{', '.join(f'{n} {g.inputs[n].shape}' for n in data)}")
    if batch % k:
        raise GraphError(f"microbatches={k} does not divide the batch of {batch} rows "
                         f"(inputs {', '.join(data)})")
    axes = analyse(g, set(data), batch)
    combos = {}
    for name, v in g.output_values.items():
        a = axes[v]
        combos[name] = {SUM: "sum", MEAN: "mean", None: "same"}.get(a, f"concat:{a}")
    return _resized(g, axes, set(data), batch // k), combos, data, batch


def _resized(g, axes, data, rows) -> Graph:
    """The graph replayed with `rows` in place of the batch wherever the batch axis is."""
    small = Graph(g.name)
    new = {}
    for name, v in g.input_values.items():
        shape = (rows,) + v.shape[1:] if name in data else v.shape
        new[v] = small.add_input(name, shape, v.dtype)
    for node in g.nodes:
        attrs = _attrs(node, axes, rows)
        try:
            made = small.add(node.op, [new[v] for v in node.inputs], attrs, role=node.role, name=node.name)
        except GraphError as e:
            raise GraphError(f"cannot split node {node.ref} ({node.op}) into microbatches: {e}") from None
        made.meta = node.meta
        new[node] = made
    for name, v in g.output_values.items():
        small.output(name, new[v])
    small.gradients, small.passes = dict(g.gradients), g.passes
    return small


def _attrs(node, axes, rows) -> dict:
    """The node's attributes with the batch's size replaced where a shape or index holds it."""
    attrs = dict(node.attrs)
    out = axes[node]
    if isinstance(out, int) and "shape" in attrs:
        shape = list(attrs["shape"])
        shape[out if node.op != "conv_input_grad" else 0] = rows
        attrs["shape"] = tuple(shape)
    if node.op in ("slice", "unslice") and node.inputs and isinstance(axes[node.inputs[0]], int):
        src = axes[node.inputs[0]] if node.op == "slice" else out
        index = list(attrs["index"])
        if isinstance(src, int) and src < len(index) and not isinstance(index[src], int):
            index[src] = (0, rows, 1)
        attrs["index"] = tuple(index)
    return attrs


def wrapper(fname, inner, params, split_flags, combos, specs, k, rows, backend) -> str:
    """The public function: `inner` (the microbatch function) over k slices of the data inputs,
    outputs combined. `params` are the function's parameters, `split_flags` which are data
    inputs, `combos` output name -> combination, `specs` output name -> (shape, dtype)."""
    doc = (f'    """{fname}: {inner} over {k} microbatches of {rows} rows; outputs '
           + ", ".join(f"{n} ({c.split(':')[0]})" for n, c in combos.items()) + '."""')
    body = (_scan if backend == "jax" else _loop)(inner, params, split_flags, combos, specs, k, rows)
    return "\n".join([f"def {fname}({', '.join(params)}):", doc, *body]) + "\n"


def _loop(inner, params, split_flags, combos, specs, k, rows):
    """numpy: a loop over the slices; sums and means accumulated in place as they come (the
    running sums plus one microbatch's values alive at a time), per-row outputs collected,
    batch-free ones kept from the first. In place is safe: an output summed over the batch is
    computed in the call (a reduction or a product), never a user's array or a constant."""
    args = ", ".join(f"{p}[start:start + {rows}]" if s else p for p, s in zip(params, split_flags))
    kinds = [c.partition(":")[0] for c in combos.values()]
    lines = ["    totals = None", f"    for start in range(0, {k * rows}, {rows}):",
             f"        part = {inner}({args})",
             "        part = list(part) if isinstance(part, tuple) else [part]",
             "        if totals is None:",
             "            totals = [[p] if kind == 'concat' else p for p, kind in zip(part, KINDS)]",
             "        else:",
             "            for i, kind in enumerate(KINDS):",
             "                if kind == 'concat':",
             "                    totals[i].append(part[i])",
             "                elif kind != 'same':",
             "                    totals[i] += part[i]",
             "        part = None  # this slice's values freed before the next slice runs"]
    lines = [line.replace("KINDS", repr(tuple(kinds))) for line in lines]
    results = []
    for i, combo in enumerate(combos.values()):
        kind, _, axis = combo.partition(":")
        if kind == "mean":
            results.append(f"totals[{i}] / {k}")
        elif kind == "concat":
            results.append(f"np.concatenate(totals[{i}], axis={axis})")
        else:
            results.append(f"totals[{i}]")
    return lines + [f"    return {', '.join(results) if results else '()'}"]


def _scan(inner, params, split_flags, combos, specs, k, rows):
    """jax: a jax.lax.scan over the microbatches; sums and means carried, the rest stacked."""
    split = [p for p, s in zip(params, split_flags) if s]
    names = list(combos)
    carried = [n for n, c in combos.items() if c in ("sum", "mean")]
    zeros = [f"jnp.zeros({shape_text(specs[n][0])}, jnp.{specs[n][1]})" for n in carried]
    pack = (lambda items: f"({', '.join(items)}{',' if len(items) == 1 else ''})")
    lines = ["    def step(totals, rows):",
             f"        {pack(split)} = rows",
             f"        part = {inner}({', '.join(params)})",
             "        part = part if isinstance(part, tuple) else (part,)",
             f"        return {pack([f'totals[{j}] + part[{names.index(n)}]' for j, n in enumerate(carried)])}, part",
             f"    rows = {pack([f'{p}.reshape(({k}, {rows}) + {p}.shape[1:])' for p in split])}",
             f"    totals, parts = jax.lax.scan(step, {pack(zeros)}, rows)"]
    results = []
    for i, (name, combo) in enumerate(combos.items()):
        kind, _, axis = combo.partition(":")
        if kind in ("sum", "mean"):
            total = f"totals[{carried.index(name)}]"
            results.append(total if kind == "sum" else f"{total} / {k}")
        elif kind == "same":
            results.append(f"parts[{i}][0]")
        else:  # per-row parts stacked as (k, rows, ...): back to the batch along their axis
            results.append(f"jnp.concatenate(list(parts[{i}]), axis={axis})")
    return lines + [f"    return {', '.join(results)}"]
