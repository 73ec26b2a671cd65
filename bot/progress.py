"""Progress of long work on stderr: a bar on a terminal, a few plain lines elsewhere.

On a terminal, a tqdm bar with texts done/total, rate and ETA. Elsewhere (a pipe, a CI
log) a bar would be noise: a line at each quarter of the work, and nothing for small jobs.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

#: Jobs smaller than this show no progress at all.
MIN_TOTAL = 200


class BuildProgress:
    """``total(n)`` once, then ``update(k)`` per finished texts (build_index's callbacks)."""

    def __init__(self, unit: str = "text", desc: str = "embedding", file: TextIO | None = None):
        self.unit, self.desc = unit, desc
        self.file = file or sys.stderr
        self.bar = None
        self.n = self.count = 0
        self.t0 = time.monotonic()
        self.next_line = 0.25

    def total(self, n: int) -> None:
        """The job has ``n`` items; show a bar (terminal) when it is large enough."""
        self.count, self.n, self.t0 = n, 0, time.monotonic()
        if n >= MIN_TOTAL and self.file.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=n, unit=self.unit, desc=self.desc, file=self.file)

    def update(self, k: int) -> None:
        """``k`` more items are done."""
        self.n += k
        if self.bar is not None:
            self.bar.update(k)
        elif self.count >= MIN_TOTAL and self.n >= self.next_line * self.count:
            while self.next_line * self.count <= self.n:
                self.next_line += 0.25
            print(self.line(), file=self.file, flush=True)

    def line(self) -> str:
        """One plain line: done/total, rate and ETA."""
        spent = max(time.monotonic() - self.t0, 1e-9)
        rate = self.n / spent
        eta = (self.count - self.n) / rate if rate else 0.0
        return (
            f"{self.desc}: {self.n}/{self.count} {self.unit}s "
            f"({100 * self.n / max(self.count, 1):.0f}%, {rate:.1f} {self.unit}s/s, "
            f"ETA {eta:.0f} s)"
        )

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> BuildProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
