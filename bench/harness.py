"""What every benchmark shares: the store, the machine line, table cells and timing.

``open_store`` ingests knowledge/ into a reusable folder (the ingest is incremental, so an
unchanged folder embeds nothing); ``machine`` is the line each report names its machine
with; ``cell`` and ``table`` write the markdown tables; ``stopwatch`` and ``cold_seconds``
time work, ``percentile`` summarises the times. Benchmarks run from the repository root
as ``python -m bench.<name>``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path

from coach.knowledge_base import KnowledgeBase
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_STORE = ROOT / ".coach-bench"


# -- the store ----------------------------------------------------------------------------
def open_store(folder: Path | None = None, llm: str | None = None) -> KnowledgeBase:
    """A knowledge base on ``folder`` (default .coach-bench) holding knowledge/ as it is now.

    The environment's settings apply, except the LLM: the ingest runs without one, and the
    returned knowledge base answers with ``llm`` (a COACH_LLM spec) or none.
    """
    env = {k: v for k, v in os.environ.items() if k != "COACH_LLM"}
    settings = Settings.from_env(folder or DEFAULT_STORE, env=env)
    kb = KnowledgeBase(settings)
    report = kb.ingest([ROOT / "knowledge"])
    if report.skipped:
        kb.close()
        raise SystemExit(f"ingest skipped files: {report.skipped}")
    if llm is None:
        return kb
    kb.close()
    return KnowledgeBase(dataclasses.replace(settings, llm=llm), embedder=kb.embedder)


# -- the machine --------------------------------------------------------------------------
def machine() -> str:
    """Cores, CPU model, RAM, Python, operating system and today's date."""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores, {cpu_model()}, {ram:.1f} GiB RAM, Python {platform.python_version()}, "
            f"{platform.system()}, {date.today().isoformat()}")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# -- tables -------------------------------------------------------------------------------
def cell(value: float | None, digits: int = 3, missing: str = "-") -> str:
    """A figure rounded to ``digits`` decimals, or ``missing`` when there is none."""
    return missing if value is None else f"{value:.{digits}f}"


def _row(cells: Iterable[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def table(header: Sequence[str], rows: Iterable[Iterable[object]]) -> list[str]:
    """A markdown table's lines: the header, its rule, then one line per row."""
    return [_row(header), _row("---" for _ in header), *(_row(r) for r in rows)]


# -- timing -------------------------------------------------------------------------------
@contextlib.contextmanager
def stopwatch(times: list[float]) -> Iterator[None]:
    """Append the wall-clock seconds the block took to ``times`` (nothing if it raised)."""
    started = time.perf_counter()
    yield
    times.append(time.perf_counter() - started)


def forget_questions() -> None:
    """Empty the process's cache of question vectors, so the next question is embedded as new."""
    import rag.embedder

    rag.embedder._VECTORS.clear()


def cold_seconds(action: Callable[[str], object], questions: Iterable[str]) -> list[float]:
    """Seconds ``action`` took on each question, each one's vector computed afresh."""
    times: list[float] = []
    for question in questions:
        forget_questions()
        with stopwatch(times):
            action(question)
    return times


def percentile(values: Sequence[float], p: int) -> float:
    """The nearest-rank ``p``-th percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def write_result(name: str, lines: Sequence[str]) -> Path:
    """Write a benchmark's markdown report to bench/results/<name>-<today>.md, print it,
    and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}-{date.today().isoformat()}.md"
    text = "\n".join(lines)
    out.write_text(text, encoding="utf-8")
    print(text)
    return out
