"""The static memory plan: every stored intermediate gets a byte offset in one workspace.

Liveness comes from the schedule (lower.py): a value is live from the kernel that writes it to
the last kernel that reads it. Offsets are assigned in execution order from a best-fit free list,
so values whose lives do not overlap share memory; an elementwise kernel writes over an operand
that dies there when it reads that operand element for element (in place). Values of different C
types never share memory (no type punning): each type has its own region of the workspace.
"""
from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

from .clit import ctype

ALIGN = 64  # bytes: every slot starts on a cache line
_POOLS = ("double", "float", "int64_t", "int32_t", "unsigned char")


def _round(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def nbytes(value) -> int:
    return math.prod(value.shape) * np.dtype(value.dtype).itemsize


@dataclass(frozen=True)
class Slot:
    """Where one workspace value lives, and when: written by kernel `first`, last read by `last`."""

    value: object
    ctype: str
    offset: int
    nbytes: int
    first: int
    last: int
    in_place_of: object = None  # the value whose memory this one overwrites at kernel `first`

    @property
    def label(self) -> str:
        v = self.value
        return v.name or f"{v.op}{'' if not hasattr(v, 'ref') else ' ' + v.ref}"


@dataclass(frozen=True)
class Step:
    """One kernel as the plan sees it: the value it writes and the stored values it reads."""

    writes: object
    reads: tuple


class MemoryPlan:
    """The workspace layout of one graph: `workspace_bytes`, one `Slot` per workspace value,
    and the steps (kernels) the liveness was computed from."""

    def __init__(self, slots, steps, workspace_bytes):
        self.slots, self.steps, self.workspace_bytes = tuple(slots), tuple(steps), workspace_bytes
        self.by_value = {s.value: s for s in self.slots}

    @property
    def intermediate_bytes(self) -> int:
        """What the workspace would take if no two values shared memory."""
        return sum(s.nbytes for s in self.slots)

    def __repr__(self):
        return (f"<MemoryPlan {self.workspace_bytes:,} bytes for {len(self.slots)} values "
                f"({self.intermediate_bytes:,} if none shared)>")

    def __str__(self):
        lines = [repr(self), f"{'offset':>10} {'bytes':>10}  steps      value"]
        for s in sorted(self.slots, key=lambda s: (s.offset, s.first)):
            extra = f"  (in place of {self.by_value[s.in_place_of].label})" if s.in_place_of is not None else ""
            lines.append(f"{s.offset:>10,} {s.nbytes:>10,}  {s.first:>3}-{s.last:<5}  "
                         f"{s.label}: {s.ctype}{list(s.value.shape)}{extra}")
        return "\n".join(lines)


class _Pool:
    """Best-fit allocation of ALIGN-rounded blocks inside one region."""

    def __init__(self):
        self.free, self.top = [], 0  # free: sorted (offset, size)

    def take(self, size: int) -> int:
        if size == 0:
            return 0
        fits = [(s, o) for o, s in self.free if s >= size]
        if fits:
            s, o = min(fits)
            self.free.remove((o, s))
            if s > size:
                self.free.append((o + size, s - size))
                self.free.sort()
            return o
        if self.free and self.free[-1][0] + self.free[-1][1] == self.top:  # grow the last hole
            o, _ = self.free.pop()
            self.top = o + size
            return o
        o, self.top = self.top, self.top + size
        return o

    def give(self, offset: int, size: int) -> None:
        if size == 0:
            return
        self.free.append((offset, size))
        self.free.sort()
        merged = []
        for o, s in self.free:
            if merged and merged[-1][0] + merged[-1][1] == o:
                merged[-1] = (merged[-1][0], merged[-1][1] + s)
            else:
                merged.append((o, s))
        self.free = merged


def in_place_candidates(kernel) -> list:
    """Operands an elementwise kernel reads only element for element with what it writes."""
    if not kernel.elementwise or len(kernel.nests) != 1:
        return []
    (nest,) = kernel.nests
    want = nest.dest.aligned(nest.shape)
    if nest.dest.offset:
        return []
    verdict = {}
    for buf in nest.reads():
        ok = buf.offset == 0 and buf.aligned(nest.shape) == want
        verdict[buf.base] = verdict.get(buf.base, True) and ok
    return [v for v, ok in verdict.items() if ok and v is not kernel.writes]


def plan_memory(lowered) -> MemoryPlan:
    """Assign workspace offsets to the stored intermediates of a lowered graph."""
    storage = lowered.storage
    steps = [Step(k.writes, tuple(k.reads())) for k in lowered.kernels]
    first, last = {}, {}
    for i, step in enumerate(steps):
        first.setdefault(step.writes, i)
        for v in step.reads:
            last[v] = i
    work = [v for v in first if storage.get(v) == ("work",)]
    pools = {t: _Pool() for t in _POOLS}
    offset, inplace, dying, given = {}, {}, {}, set()
    for v in work:
        dying.setdefault(last.get(v, first[v]), []).append(v)
    for i, (step, kernel) in enumerate(zip(steps, lowered.kernels)):
        w = step.writes
        if storage.get(w) == ("work",) and first[w] == i:
            size = _round(nbytes(w))
            donor = next((u for u in in_place_candidates(kernel)
                          if storage.get(u) == ("work",) and last.get(u) == i and u not in given
                          and ctype(u.dtype) == ctype(w.dtype) and nbytes(u) == nbytes(w)
                          and u in offset), None)
            if donor is not None:
                offset[w], inplace[w] = offset[donor], donor
                given.add(donor)
            else:
                offset[w] = pools[ctype(w.dtype)].take(size)
        for u in dying.get(i, ()):  # after the kernel has read them; a donor's memory lives on
            if u not in given:
                pools[ctype(u.dtype)].give(offset[u], _round(nbytes(u)))
    base, bases = 0, {}
    for t in _POOLS:
        bases[t] = base
        base += _round(pools[t].top)
    slots = [Slot(v, ctype(v.dtype), bases[ctype(v.dtype)] + offset[v], nbytes(v), first[v],
                  last.get(v, first[v]), inplace.get(v)) for v in work]
    return MemoryPlan(slots, steps, base)
