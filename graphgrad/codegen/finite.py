"""`check_finite`: generated code that finds the first node to make a NaN or an infinity.

The fast path costs one sum per output: the function computes as usual, then checks that
every float output is finite. Only when one is not does it run its slow twin,
`_<name>_steps`, which computes one node per statement and checks each value as it is made,
raising FloatingPointError that names the first non-finite node: its op and type, its role, where
it came from (the user's line, or the forward node a backward value differentiates), and the
min, max and NaN/inf counts of each operand.
"""
from __future__ import annotations

from ..graph.provenance import describe, short_site
from ..graph.spec import format_type

HELPERS = {
    "_all_finite": '''\\
def _all_finite(values):
    """Whether every float value is finite: one sum each (an overflowing sum only takes the slow path)."""
    try:
        return all(not {m}.issubdtype(v.dtype, {m}.floating) or bool({m}.isfinite({m}.sum(v)))
                   for v in map({m}.asarray, values))
    except Exception:  # noqa: BLE001 - a value being traced (jax.jit) has no truth value: no check
        return True
''',
    "_check_finite": '''\\
def _check_finite(value, what, operands):
    """FloatingPointError if `value` holds a NaN or an infinity, describing it and its operands."""
    value = {m}.asarray(value)
    if not {m}.issubdtype(value.dtype, {m}.floating) or bool({m}.all({m}.isfinite(value))):
        return

    def stats(a):
        a = {m}.asarray(a)
        if not {m}.issubdtype(a.dtype, {m}.floating) or a.size == 0:
            return f"{{a.dtype}}{{list(a.shape)}}"
        finite = a[{m}.isfinite(a)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (None, None)
        return (f"min {{low}}, max {{high}}, {{int({m}.isnan(a).sum())}} NaN, "
                f"{{int({m}.isinf(a).sum())}} inf of {{a.size}}")
    raise FloatingPointError(f"first non-finite value: {{what}} has {{stats(value)}}; operands: "
                             + ("; ".join(f"{{k}}: {{stats(v)}}" for k, v in operands.items()) or "none"))
''',
}


def helpers(mod: str) -> dict:
    """The two helpers for an array module (`np` or `jnp`), as (source, imports) entries."""
    return {name: (source.format(m=mod), ()) for name, source in HELPERS.items()}


def what(node) -> str:
    """`node %7 (log f64[4,3], forward, model.py:9)`: how an error names a node."""
    meta = node.meta
    origin = describe(node) if meta is not None and meta.of else \
        (short_site(meta.site) if meta is not None and meta.site else None)
    text = f"node {node.ref} ({node.op} {format_type(node.shape, node.dtype)}, {node.role}"
    if node.name:
        text = f"{node.name} = {text}"
    return text + (f"; {origin})" if origin else ")")


def check_line(module, node, target) -> str:
    """The check after one statement of the slow path."""
    operands = ", ".join(f"{module.operands[v].arg!r}: {module.operands[v].arg}"
                         for v in dict.fromkeys(node.inputs) if v in module.operands
                         and module.operands[v].arg.isidentifier())
    return f"_check_finite({target}, {what(node)!r}, {{{operands}}})"


def input_checks(module) -> list:
    return [f"_check_finite({param}, {f'input {name!r}'!r}, {{}})"
            for param, name in zip(module.params, module.g.inputs)]


def fast_check(module, results) -> list:
    """After the statements of the fast path: run the slow path when some output is not finite."""
    values = ", ".join(results) + ("," if len(results) == 1 else "")
    return [f"if not _all_finite(({values})):",
            f"    _{module.fname}_steps({', '.join(module.params)})  # raises at the first non-finite node"]


def steps_function(module) -> str:
    """The slow path: the same graph, one checked statement per node (constants shared)."""
    steps = type(module)(module.g, module.backend, f"_{module.fname}_steps", comments="none",
                         steps=True)
    return steps.function_text(steps._body(steps._statements()))
