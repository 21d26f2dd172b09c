"""Deterministic, readable variable names for generated code.

The user's name hints are kept when they are plain ASCII identifiers; anything else is sanitized
(`grad %h` -> `grad_h`, `3x` -> `v3x`). Names are unique within one module (`h`, `h_1`, `h_2`) and
never a keyword, a builtin, a dunder, or a module the code uses (`np`, `jnp`, `jax`, `base64`).
"""
from __future__ import annotations

import builtins
import keyword
import re

MODULE_NAMES = frozenset({"np", "jnp", "jax", "base64"})
RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) \
    | MODULE_NAMES
_NOT_WORD = re.compile(r"[^0-9A-Za-z_]+")
_SUFFIX = re.compile(r"^(.*?)_(\d+)$")


def sanitize(hint, fallback: str = "t") -> str:
    """`hint` as a plain ASCII identifier (not yet checked for uniqueness), or `fallback`."""
    if isinstance(hint, str) and hint.isidentifier() and hint.isascii() and not hint.startswith("__"):
        return hint
    text = _NOT_WORD.sub("_", str(hint or "")).strip("_") if hint else ""
    if hint and str(hint).startswith("_") and text:
        text = "_" + text  # keep a deliberate leading underscore
    if not text or (text.startswith("__") and text.endswith("__")):
        text = fallback
    if text[0].isdigit():
        text = "v" + text
    return text


class Namer:
    """Hands out unique names in the order asked for; the same requests give the same names."""

    def __init__(self, reserved=()):
        self._used = set(RESERVED) | set(reserved)
        self._next = {}  # base -> next suffix to try, so long chains stay linear

    def fresh(self, hint, fallback: str = "t") -> str:
        """A new unique name built from `hint` (sanitized), `fallback` when there is no usable hint."""
        base = sanitize(hint, fallback)
        if base not in self._used:
            self._used.add(base)
            return base
        match = _SUFFIX.match(base)
        stem = match.group(1) if match and match.group(1) else base
        i = self._next.get(stem, 1)
        while f"{stem}_{i}" in self._used:
            i += 1
        self._next[stem] = i + 1
        name = f"{stem}_{i}"
        self._used.add(name)
        return name
