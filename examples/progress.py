"""A dependency-free text progress bar for the examples (one line, redrawn in place)."""
from __future__ import annotations

import sys
import time


class Progress:
    """`with Progress(total, "training") as bar: bar.update(1, note="loss 0.12")`."""

    def __init__(self, total: int, label: str, width: int = 30, stream=None):
        self.total, self.label, self.width = max(total, 1), label, width
        self.stream = stream or sys.stderr
        self.done, self.start = 0, time.perf_counter()

    def update(self, n: int = 1, note: str = "") -> None:
        self.done = min(self.done + n, self.total)
        filled = int(self.width * self.done / self.total)
        elapsed = time.perf_counter() - self.start
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r  {self.label} [{bar}] {self.done}/{self.total} {elapsed:5.1f}s {note}  ")
        self.stream.flush()

    def __enter__(self) -> "Progress":
        self.update(0)
        return self

    def __exit__(self, *exc) -> None:
        self.stream.write("\n")
        self.stream.flush()
