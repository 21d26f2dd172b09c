"""The one-line-per-node text form of a graph (`print(g)`): deterministic, the target of golden tests.

    graph mlp(%x:f64[64,1000], %w1:f64[1000,100]) {
      %0:f64[64,100] = matmul %x, %w1  # h
      return out=%0
    }
"""
from __future__ import annotations

import numpy as np

from .spec import format_type

_INLINE_LIMIT = 8  # constants with at most this many elements are printed in full


def format_attr(value) -> str:
    """An attribute value as stable text (arrays: inline when small, else their type)."""
    if isinstance(value, np.ndarray):
        if value.size <= _INLINE_LIMIT:
            return np.array2string(value, separator=", ", floatmode="unique").replace("\n", "")
        return f"<{format_type(value.shape, value.dtype.name)}>"
    if isinstance(value, tuple):
        inner = ", ".join(format_attr(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def format_node(node) -> str:
    """`%3:f64[64,100] = matmul %x, %w1 {attrs}  # name, role` for one node."""
    text = f"{node.ref}:{format_type(node.shape, node.dtype)} = {node.op}"
    if node.inputs:
        text += " " + ", ".join(v.ref for v in node.inputs)
    if node.attrs:
        text += " {" + ", ".join(f"{k}={format_attr(node.attrs[k])}" for k in sorted(node.attrs)) + "}"
    hint = node.name if not node.name or node.name.isprintable() else repr(node.name)  # one line
    notes = [n for n in (hint, "backward" if node.role == "backward" else None) if n]
    return text + (f"  # {' '.join(notes)}" if notes else "")


def format_graph(graph) -> str:
    """The whole graph: header with typed inputs, one line per node, then the outputs."""
    params = ", ".join(f"{v.ref}:{format_type(v.shape, v.dtype)}" for v in graph.input_values.values())
    lines = [f"graph {graph.name}({params}) {{"]
    lines += [f"  {format_node(n)}" for n in graph.nodes]
    outs = ", ".join(f"{name}={v.ref}" for name, v in graph.output_values.items())
    lines += [f"  return {outs}", "}"]
    return "\n".join(lines)
