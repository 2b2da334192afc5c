"""Progress of long work on stderr, phase by phase (reading, embedding, indexing, coaching
memory, mental models). On a terminal: one line redrawn in place with the count, the rate
and the time left. Otherwise (a pipe, a log, CI): one quiet line when a phase starts with
work to do, none per item. Standard output is never touched, so ``--json`` stays clean."""

from __future__ import annotations

import sys
import time

# what each phase counts, for the quiet lines
UNITS = {"reading": "files", "embedding": "texts"}


class ProgressBar:
    def __init__(self, label: str, stream=None, min_seconds: float = 0.5) -> None:
        self.label, self.stream = label, stream or sys.stderr
        self.terminal = self.stream.isatty()
        self.min_seconds = min_seconds
        self._started = time.monotonic()
        self._phase: str | None = None
        self._phase_started = self._started
        self._drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *_exc) -> None:
        if self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def update(self, done: int, total: int, phase: str = "") -> None:
        now = time.monotonic()
        if phase != self._phase:
            self._phase, self._phase_started = phase, now
            if not self.terminal and total > 1 and phase in UNITS and done < total:
                self.stream.write(f"{self.label}: {phase} {total:,} {UNITS[phase]}\n")
                self.stream.flush()
            elif not self.terminal and phase not in UNITS and phase:
                self.stream.write(f"{self.label}: {phase}\n")
                self.stream.flush()
        if not self.terminal or now - self._started < self.min_seconds:
            return
        self.stream.write(f"\r\033[K{self.label}: {describe(phase, done, total, now - self._phase_started)}")
        self.stream.flush()
        self._drawn = True


def describe(phase: str, done: int, total: int, seconds: float) -> str:
    """``embedding 1,200/3,400 texts, 85/s, 26 s left`` (rate and time left once known)."""
    if phase not in UNITS:
        return f"{phase}…"
    text = f"{phase} {done:,}/{total:,} {UNITS[phase]}"
    if done > 0 and seconds >= 1 and done < total:
        rate = done / seconds
        left = (total - done) / rate
        text += f", {rate:,.0f}/s, {_duration(left)} left"
    return text


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds} s" if seconds < 90 else f"{seconds // 60} min {seconds % 60:02d} s"
