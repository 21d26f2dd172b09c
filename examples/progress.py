"""A dependency-free progress bar for the examples: redrawn in place on a terminal (at most ten
times a second), and written as a few plain lines (every 10%) when output goes to a file or CI log.
"""
from __future__ import annotations

import sys
import time


class Progress:
    """`with Progress(total, "training") as bar: bar.update(1, note="loss 0.12")`."""

    def __init__(self, total: int, label: str, width: int = 30, stream=None):
        self.total, self.label, self.width = max(total, 1), label, width
        self.stream = stream or sys.stderr
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done, self.start, self.last_draw, self.last_decile = 0, time.perf_counter(), 0.0, -1

    def update(self, n: int = 1, note: str = "") -> None:
        self.done = min(self.done + n, self.total)
        now = time.perf_counter()
        finished = self.done == self.total
        if self.live and (finished or now - self.last_draw >= 0.1):
            self.stream.write("\r" + self._line(now, note))
            self.last_draw = now
        decile = 10 * self.done // self.total
        if not self.live and decile > self.last_decile:
            self.stream.write(self._line(now, note) + "\n")
            self.last_decile = decile
        self.stream.flush()

    def _line(self, now: float, note: str) -> str:
        filled = int(self.width * self.done / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        return f"  {self.label} [{bar}] {self.done}/{self.total} {now - self.start:5.1f}s {note}  "

    def __enter__(self) -> "Progress":
        self.update(0)
        return self

    def __exit__(self, *exc) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
