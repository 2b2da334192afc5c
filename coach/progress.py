"""A small progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    def __init__(self, label: str, stream=None, min_seconds: float = 0.5) -> None:
        self.label, self.stream = label, stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.min_seconds = min_seconds
        self._started = time.monotonic()
        self._drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *_exc) -> None:
        if self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def update(self, done: int, total: int, item: str = "") -> None:
        if not self.enabled or time.monotonic() - self._started < self.min_seconds:
            return
        width = 28
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r\033[K{self.label} [{bar}] {done}/{total} {item[-40:]}")
        self.stream.flush()
        self._drawn = True
