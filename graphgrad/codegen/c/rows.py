"""Short rows: an elementwise nest whose inner dimension is shorter than a couple of vector steps
(W5's rows of 10 logits) vectorizes row by row, with a scalar remainder in every row; that is
slow for the polynomial helpers (exp, tanh, log), whose scalar calls cost as much as a vector
step. So their calls on a contiguous operand are taken out into one flat loop over a block of
rows, into a local array that the nest then reads:

    double e[640];
    for (long t = 0; t < 640; ++t) {
        e[t] = gg_exp(log_softmax[t]);
    }
    for (long i = 0; i < 64; ++i) { for (long j = 0; j < 10; ++j) { ... e[i*10 + j] ... } }
"""
from __future__ import annotations

from .access import Buf, contiguous_strides, index_text
from .clit import ctype
from .expr import Apply, Leaf, Spell, Term
from .helpers import POLYNOMIALS

SHORT = 16    # an inner dimension below this many elements is short
BLOCK = 1024  # elements of each local array (8 KB of doubles on the stack)


class Local:
    """A block of values in a local array, read by the nest in place of the call it holds."""

    __slots__ = ("dtype", "name")

    def __init__(self, dtype, name):
        self.dtype, self.name = dtype, name


def polynomial_calls(tree, dims, bufs, lists) -> list:
    """The calls worth hoisting in a nest over `dims` (after coalescing): polynomial helpers of
    one operand read contiguously, when the nest is rows × a short inner dimension."""
    if len(dims) != 2 or dims[1] >= SHORT or dims[0] < 2:
        return []
    contiguous = {id(b) for b, s in zip(bufs, lists) if tuple(s) == contiguous_strides(dims)}
    out, seen = [], set()

    def walk(t):
        if isinstance(t, Leaf) or id(t) in seen:
            return
        seen.add(id(t))
        if t.helper in POLYNOMIALS and len(t.args) == 1 and isinstance(t.args[0], Leaf) \
                and isinstance(t.args[0].access, Buf) and id(t.args[0].access) in contiguous:
            out.append(t)
            return
        for a in t.args:
            walk(a)

    walk(tree)
    return out


def substitute(tree, swap):
    """`tree` with the nodes in `swap` ({id: replacement}) replaced, sharing kept."""
    done = {}

    def copy(t):
        if id(t) in swap:
            return swap[id(t)]
        if isinstance(t, Leaf):
            return t
        if id(t) not in done:
            done[id(t)] = Apply(t.node, [copy(a) for a in t.args], t.spell, t.name, t.helper)
        return done[id(t)]

    return copy(tree)


def render_rows(r, tree, dims, names, calls, flat_text, body_lines) -> list:
    """The nest as blocks of rows: per block, one flat loop per hoisted call into its local
    array, then the nest's own loops over the block's rows. `flat_text(buf, position)` is the
    text of a buffer's element at a flat position; `body_lines(tree, texts)` renders the body of
    `tree`, with `texts` ({id(access): text}) for the locals that replace the calls."""
    rows, inner = dims
    per = max(1, BLOCK // inner)
    blocked = rows > per
    first, count = (r.fresh("i0"), r.fresh("n")) if blocked else (None, None)
    t = r.fresh("t")
    held = [Local(c.node.dtype, r.fresh("e")) for c in calls]
    row = f"({names[0]} - {first})" if blocked else names[0]
    texts = {id(x): f"{x.name}[{index_text(0, (inner, 1), [row, names[1]])}]" for x in held}
    body = body_lines(substitute(tree, {id(c): Leaf(x) for c, x in zip(calls, held)}), texts)
    extent = f"{count} * {inner}" if blocked else str(rows * inner)
    position = f"{first}*{inner} + {t}" if blocked else t
    lines = [f"{ctype(x.dtype)} {x.name}[{per * inner if blocked else rows * inner}];" for x in held]
    for call, x in zip(calls, held):
        lines += [f"for (long {t} = 0; {t} < {extent}; ++{t}) {{",
                  f"    {x.name}[{t}] = {_call_text(r, call, flat_text, position)};", "}"]
    lo, hi = (first, f"{first} + {count}") if blocked else ("0", str(rows))
    lines += [f"for (long {names[0]} = {lo}; {names[0]} < {hi}; ++{names[0]}) {{",
              f"    for (long {names[1]} = 0; {names[1]} < {inner}; ++{names[1]}) {{",
              *("        " + b for b in body), "    }", "}"]
    if not blocked:
        return ["{", *("    " + x for x in lines), "}"]
    return [f"for (long {first} = 0; {first} < {rows}; {first} += {per}) {{",
            f"    const long {count} = {rows} - {first} < {per} ? {rows} - {first} : {per};",
            *("    " + x for x in lines), "}"]


def _call_text(r, call, flat_text, position) -> str:
    """The C text of one hoisted call at a flat position of its operand (a helper call of one
    array read is one expression: its spelling adds no locals)."""
    leaf = call.args[0]
    return call.spell(Spell(call.node, [leaf.access.dtype], r, []), Term(flat_text(leaf.access, position))).text
