"""A small pattern language for rewrite tables: each entry is (algebra, pattern, replacement).

A pattern is a nested tuple `(head, *operands)`. The head names the op: `"reshape"`, several
ops `"sum|mean|max"`, an op category `"@binary"` (from the op table), and may bind the matched
node with `=name` (`"@binary=f"`). An operand is a sub-pattern, a capture name (`"x"`; a name used
twice must bind the same value) or a `Leaf` predicate such as `ZERO`. A rule fires when its
pattern matches, its guard `when(m)` holds and its replacement returns a value (None declines).
Rules are indexed by the op of their head, so trying them costs O(1) per node.
"""
from __future__ import annotations

from ..graph import OPS


class Leaf:
    """An operand pattern that tests one value with a predicate (e.g. "a constant of zeros").

    `ops`, when given, are the only ops the predicate can accept: rules check them first."""

    __slots__ = ("label", "test", "ops")

    def __init__(self, label: str, test, ops=None):
        self.label, self.test, self.ops = label, test, None if ops is None else frozenset(ops)

    def __repr__(self):
        return self.label


def _constant_equal_to(number):
    def test(value):
        return (value.op == "constant" and value.dtype != "bool"
                and bool((value.attrs["value"] == number).all()))  # the method: no numpy dispatch
    return test


ZERO = Leaf("0", _constant_equal_to(0), {"constant"})  # a float constant whose every element is 0
ONE = Leaf("1", _constant_equal_to(1), {"constant"})  # a float constant whose every element is 1


def _parse_head(head: str):
    """"op1|@category=bind" -> (frozenset of op names, bind name or None)."""
    ops, _, bind = head.partition("=")
    names = set()
    for part in ops.split("|"):
        if part.startswith("@"):
            found = {n for n, d in OPS.items() if d.category == part[1:]}
            if not found:
                raise ValueError(f"pattern head {head!r}: no op has category {part[1:]!r}")
            names |= found
        elif part in OPS:
            names.add(part)
        else:
            raise ValueError(f"pattern head {head!r}: unknown op {part!r}")
    return frozenset(names), bind or None


def _compile(pattern):
    """Pre-parse the heads of a pattern so matching does no string work."""
    if isinstance(pattern, (str, Leaf)):
        return pattern
    ops, bind = _parse_head(pattern[0])
    return (ops, bind) + tuple(_compile(p) for p in pattern[1:])


def _match(pattern, value, found: dict) -> bool:
    """Whether `value` matches the compiled `pattern`, recording captures in `found`."""
    if type(pattern) is str:
        bound = found.get(pattern)
        if bound is None:
            found[pattern] = value
            return True
        return bound is value
    if type(pattern) is not tuple:  # a Leaf
        return pattern.test(value)
    inputs = value.inputs
    if value.op not in pattern[0] or len(inputs) != len(pattern) - 2:
        return False
    if pattern[1]:
        found[pattern[1]] = value
    for p, v in zip(pattern[2:], inputs):
        if not _match(p, v, found):
            return False
    return True


class Match:
    """The captures of one match (`m.x` or `m["x"]`), the matched node's facts, and `make`.

    Captures live in the instance dict, so reading `m.x` is a plain attribute lookup."""

    __slots__ = ("__dict__", "node", "builder")

    def __init__(self, node, builder):
        self.node, self.builder = node, builder

    def __getitem__(self, key):
        return self.__dict__[key]

    op = property(lambda self: self.node.op)
    inputs = property(lambda self: self.node.inputs)
    attrs = property(lambda self: self.node.attrs)
    shape = property(lambda self: self.node.shape)
    dtype = property(lambda self: self.node.dtype)

    def make(self, op, *inputs, **attrs):
        """A new node (itself simplified by the same rules) in the graph being built."""
        return self.builder.make(op, inputs, attrs)


class Rule:
    """One identity: `algebra` (its one-line statement), a pattern, a replacement and a guard.

    Tables index rules by their head's ops, so `apply` never checks the head op; it checks the
    operand count and the operands' ops (`probe`) before allocating anything."""

    __slots__ = ("algebra", "pattern", "ops", "replace", "when", "bind", "subs", "arity", "probe")

    def __init__(self, algebra: str, pattern: tuple, replace, when=None):
        self.algebra, self.pattern, self.replace, self.when = algebra, pattern, replace, when
        self.ops = _compile(pattern)
        self.bind, self.subs = self.ops[1], self.ops[2:]
        self.arity = len(self.subs)
        self.probe = tuple((i, p[0] if type(p) is tuple else p.ops) for i, p in enumerate(self.subs)
                           if type(p) is tuple or (type(p) is Leaf and p.ops is not None))

    def apply(self, node, builder):
        """The replacement value for `node` (whose op the head accepts), or None."""
        inputs = node.inputs
        if len(inputs) != self.arity:
            return None
        for i, ops in self.probe:
            if inputs[i].op not in ops:
                return None
        found = Match(node, builder)
        captures = found.__dict__
        if self.bind:
            captures[self.bind] = node
        for p, v in zip(self.subs, inputs):
            if not _match(p, v, captures):
                return None
        if self.when is not None and not self.when(found):
            return None
        return self.replace(found)

    def __repr__(self):
        return f"<Rule {self.algebra}>"


class RuleTable:
    """Rules indexed by the ops their pattern's head accepts, kept in table order."""

    def __init__(self, *groups):
        self.rules = tuple(r for group in groups for r in group)
        by_op: dict[str, list] = {}
        for r in self.rules:
            for op in sorted(r.ops[0]):
                by_op.setdefault(op, []).append(r)
        self.index = {op: tuple(rules) for op, rules in by_op.items()}  # op -> rules, in order

    def get(self, op: str) -> tuple:
        return self.index.get(op, ())

    def __len__(self):
        return len(self.rules)


def keeps(name: str):
    """Guard: the captured value already has the node's shape and dtype (safe to return it)."""
    def guard(m):
        v = m[name]
        return v.shape == m.shape and v.dtype == m.dtype
    return guard


def both(*guards):
    """Guard: every one of `guards` holds."""
    return lambda m: all(g(m) for g in guards)
