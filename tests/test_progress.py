"""Ingest progress a person can follow: one quiet line per phase in a log, counts, rate
and time left on a terminal; never on standard output."""

from __future__ import annotations

import io

from coach.progress import ProgressBar, describe


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_one_line_per_phase_and_nothing_per_item():
    log = io.StringIO()
    with ProgressBar("ingest", stream=log) as bar:
        for i in range(40):
            bar.update(i, 40, "reading")
        for done in range(0, 3400, 100):
            bar.update(done, 3400, "embedding")
        bar.update(0, 1, "indexing")
        bar.update(0, 1, "coaching memory")
    assert log.getvalue().splitlines() == [
        "ingest: reading 40 files", "ingest: embedding 3,400 texts", "ingest: indexing", "ingest: coaching memory"]


def test_nothing_to_embed_prints_no_embedding_line():
    log = io.StringIO()
    bar = ProgressBar("ingest", stream=log)
    bar.update(0, 0, "embedding")
    assert log.getvalue() == ""


def test_a_terminal_line_has_counts_rate_and_time_left():
    assert describe("embedding", 1200, 3400, 10.0) == "embedding 1,200/3,400 texts, 120/s, 18 s left"
    assert describe("embedding", 100, 20000, 10.0) == "embedding 100/20,000 texts, 10/s, 33 min 10 s left"
    assert describe("reading", 0, 33, 0.0) == "reading 0/33 files"
    assert describe("mental models", 0, 1, 3.0) == "mental models…"
    screen = Terminal()
    with ProgressBar("ingest", stream=screen, min_seconds=0) as bar:
        bar.update(5, 10, "reading")
    assert "\r\033[Kingest: reading 5/10 files" in screen.getvalue()
    assert screen.getvalue().endswith("\r\033[K")  # the line is cleared at the end
