"""Expressions inside one loop nest: a tree of elementwise ops over leaves (array reads, inline
scalars), spelled as C with the fewest parentheses that keep numpy's evaluation order.

Intermediate results of a fused chain live in locals of the loop body (`const double d = ...;`)
when the user named them or when the tree uses them twice (a helper call too, so that
`gg_tanh(a[i])` is not computed twice); otherwise they are written inline.
"""
from __future__ import annotations

from .access import Lit
from .clit import ctype, literal

# C precedence levels (lower binds tighter); a right operand at the same level is parenthesized so
# that `a - (b - c)` and `a + (b + c)` keep their order (float addition is not associative).
ATOM, UNARY, MUL, ADD, REL, EQ, COND = 0, 1, 2, 3, 4, 5, 6
INLINE_CHARS = 60  # a longer subexpression gets a local of its own, so that lines stay readable


class Term:
    """A C expression and its precedence level."""

    __slots__ = ("text", "level")

    def __init__(self, text, level=ATOM):
        self.text, self.level = text, level


class Leaf:
    """An operand read from outside the nest: a Buf or Lit (see access.py)."""

    __slots__ = ("access",)

    def __init__(self, access):
        self.access = access


class Apply:
    """One fused elementwise node applied to the terms of its operands (`helper`: the static
    helper its spelling calls, if any)."""

    __slots__ = ("node", "args", "spell", "name", "helper")

    def __init__(self, node, args, spell, name=None, helper=""):
        self.node, self.args, self.spell, self.name, self.helper = node, list(args), spell, name, helper


def leaves(tree) -> list:
    """The distinct leaves of a tree, in first-use order."""
    out, seen = [], set()

    def walk(t):
        if id(t) in seen:
            return
        seen.add(id(t))
        if isinstance(t, Leaf):
            out.append(t)
        else:
            for a in t.args:
                walk(a)

    walk(tree)
    return out


def chain_text(ops, limit=8) -> str:
    """A fused chain for a comment: the ops in order, shortened when there are many."""
    if len(ops) <= limit:
        return ", ".join(ops)
    return f"{', '.join(ops[:limit - 2])}, ... {ops[-1]} ({len(ops)} ops)"


def chain(tree) -> list:
    """The ops of a tree's nodes, operands first: the comment of a fused loop nest."""
    out, seen = [], set()

    def walk(t):
        if isinstance(t, Leaf) or id(t) in seen:
            return
        seen.add(id(t))
        for a in t.args:
            walk(a)
        out.append(t.node.op)

    walk(tree)
    return out


class Spell:
    """What an op's spelling may ask for while it writes one node's expression."""

    def __init__(self, node, arg_dtypes, r, prelude):
        self.node, self.dtype, self.arg_dtypes, self._r, self._prelude = \
            node, node.dtype, arg_dtypes, r, prelude

    def _suffix(self, dtype=None) -> str:
        return "f" if (dtype or self.dtype) == "float32" else ""

    def call(self, fn, *args, dtype=None) -> Term:
        """A libm call, `expf` for float32."""
        return Term(f"{fn}{self._suffix(dtype)}({', '.join(a.text for a in args)})")

    def helper(self, fn, *args, dtype=None) -> Term:
        """A call of one of the generated file's static helpers (`gg_max`, `gg_maxf`)."""
        name = fn + self._suffix(dtype)
        self._r.use(name)
        return Term(f"{name}({', '.join(a.text for a in args)})")

    def lit(self, value, dtype=None) -> Term:
        text = literal(value, dtype or self.dtype)
        return Term(text, UNARY if text.startswith("-") else ATOM)

    def binary(self, symbol, a, b) -> Term:
        level = {"*": MUL, "/": MUL, "+": ADD, "-": ADD, "<": REL, "<=": REL, ">": REL, ">=": REL,
                 "==": EQ, "!=": EQ}[symbol]
        left = a.text if a.level <= level else f"({a.text})"
        right = b.text if b.level < level and b.level != UNARY else f"({b.text})"
        return Term(f"{left} {symbol} {right}", level)

    def unary(self, symbol, a) -> Term:
        return Term(f"{symbol}{a.text}" if a.level == ATOM else f"{symbol}({a.text})", UNARY)

    def cast(self, a, dtype) -> Term:
        inner = a.text if a.level == ATOM else f"({a.text})"
        return Term(f"({ctype(dtype)}){inner}", UNARY)

    def select(self, cond, a, b) -> Term:
        def part(t):
            return t.text if t.level < REL else f"({t.text})"
        return Term(f"{part(cond)} ? {part(a)} : {part(b)}", COND)

    def once(self, a, dtype=None) -> Term:
        """`a` as something that may be written twice: itself when atomic, else a local."""
        if a.level == ATOM:
            return a
        name = self._r.fresh("t")
        self._prelude.append(f"const {ctype(dtype or self.arg_dtypes[0])} {name} = {a.text};")
        return Term(name)


def render_tree(tree, leaf_text, r):
    """(prelude lines, root Term) of a tree: `leaf_text(leaf)` gives each leaf's text."""
    uses = {}

    def count(t):
        uses[id(t)] = uses.get(id(t), 0) + 1
        if uses[id(t)] == 1 and isinstance(t, Apply):
            for a in t.args:
                count(a)

    count(tree)
    prelude, done = [], {}

    def term(t) -> Term:
        if id(t) in done:
            return done[id(t)]
        if isinstance(t, Leaf):
            a = t.access
            out = Term(a.text, a.level) if isinstance(a, Lit) else Term(leaf_text(t))
        else:
            args = [term(a) for a in t.args]
            spell = Spell(t.node, [a.access.dtype if isinstance(a, Leaf) else a.node.dtype
                                   for a in t.args], r, prelude)
            out = t.spell(spell, *args)
            long = len(out.text) > INLINE_CHARS
            # used twice and not one of its operands passed through: a call as well (`gg_tanh(x)`)
            shared = uses[id(t)] > 1 and all(out.text != a.text for a in args)
            if t is not tree and (shared or out.level != ATOM and (t.name or long)):
                name = r.fresh(t.name or "t")
                prelude.append(f"const {ctype(t.node.dtype)} {name} = {out.text};")
                out = Term(name)
        done[id(t)] = out
        return out

    root = term(tree)
    return prelude, root
