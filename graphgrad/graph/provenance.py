"""Where a node came from, for comments in generated code and tooltips in pictures.

A node the user traced records the file:line that made it. A backward or tangent node records
the forward node it helps differentiate (as text, so no graph keeps another alive), the operand,
the rule's formula for that operand, and the rewrite identities that produced it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
import os

from .spec import format_type


@dataclass(frozen=True)
class Provenance:
    site: str | None = None     # "model.py:7": the user's line that made the node
    of: str | None = None       # "h = matmul(x, w1) (model.py:7)": what this node differentiates
    wrt: str | None = None      # the operand of `of` this contribution belongs to
    rule: str | None = None     # the rule's formula for it: "Aᵀ·G"
    identities: tuple = ()      # rewrite identities applied, in order

    def rewritten(self, algebra: str) -> "Provenance":
        return replace(self, identities=self.identities + (algebra,))


def _operand(v) -> str:
    if v.op == "constant" and v.attrs["value"].size == 1:
        return repr(v.attrs["value"].item())
    return v.name if v.op == "input" or v.name else v.ref


def summary(node) -> str:
    """`h = matmul(x, w1) (model.py:7)`: a node as the provenance of another names it."""
    text = f"{node.name or node.ref} = {node.op}({', '.join(_operand(v) for v in node.inputs)})"
    site = node.meta.site if node.meta is not None else None
    return f"{text} ({short_site(site)})" if site else text


def short_site(site: str) -> str:
    """`model.py:7` for `/home/me/project/model.py:7`: the file's name is enough in a comment."""
    path, _, line = site.rpartition(":")
    return f"{os.path.basename(path)}:{line}" if path else site


def describe(node) -> str | None:
    """One line saying where `node` came from, or None when nothing is recorded."""
    meta = node.meta
    if meta is None:
        return None
    if meta.of is None:
        return f"{node.op} {format_type(node.shape, node.dtype)} ({short_site(meta.site)})" \
            if meta.site else None
    head = f"∂/∂{meta.wrt} of {meta.of}" if meta.wrt else f"for ∂ of {meta.of}"
    if meta.rule:
        head += f": {meta.rule}"
    if meta.identities:
        head += "; rewritten by " + ", then ".join(meta.identities)
    return head
