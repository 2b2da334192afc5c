"""Benchmarks (not tests): speed of ingest, ask and the coaching-memory steps.

Usage: python -m bench.run [--quick] [--only knowledge|memory]    (from the repository root)
Writes bench/results/<date>.md and prints it. Figures are medians over repeated runs, on
whatever machine runs this; the report names the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from bench import synthetic_floor
from bench.harness import RESULTS, ROOT, cold_seconds, machine, percentile, stopwatch, table
from coach.knowledge_base import KnowledgeBase
from core.settings import Settings

Row = tuple[str, str, str]  # what, median, note

COACH = [sys.executable, "-m", "coach.cli"]


def coach(args: list[str], data_dir: Path, vector_cache: Path | None = None) -> None:
    """Run the coach CLI in a new process, from the repository root; ``vector_cache``: the
    machine-wide vector cache to use (an empty folder measures a first ingest)."""
    env = {**os.environ, **({"COACH_VECTOR_CACHE": str(vector_cache)} if vector_cache else {})}
    subprocess.run([*COACH, "--data-dir", str(data_dir), *args], cwd=ROOT, check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def questions() -> list[str]:
    items = []
    for name in ("dev.jsonl", "heldout.jsonl", "field-dev.jsonl"):
        for line in (ROOT / "evals/golden" / name).read_text().splitlines():
            if line.strip():
                items.append(json.loads(line)["q"])
    return items


def bench_knowledge(repeats: int) -> list[Row]:
    ingest: list[float] = []
    cold_ask: list[float] = []
    batch: list[float] = []
    qs = questions()
    with tempfile.TemporaryDirectory() as tmp:
        batch_file = Path(tmp) / "batch.jsonl"
        batch_file.write_text("\n".join(json.dumps({"id": i, "q": q}) for i, q in enumerate(qs[:40])))
        for i in range(repeats):
            data = Path(tmp) / f"store{i}"
            with stopwatch(ingest):
                coach(["ingest", "knowledge/"], data)
            with stopwatch(cold_ask):
                coach(["ask", "How do I handle a timing objection?"], data)
            with stopwatch(batch):
                coach(["ask", "--batch", str(batch_file), "--json"], data)
        warm = warm_latencies(Path(tmp) / "store0", qs)
    p50, p95 = percentile(warm, 50), percentile(warm, 95)
    return [
        ("ingest knowledge/ (fresh store, incl. model load)", f"{statistics.median(ingest):.2f} s", ""),
        ("cold `coach ask` (new process)", f"{statistics.median(cold_ask):.2f} s", ""),
        ("`ask --batch` 40 questions (incl. model load)", f"{statistics.median(batch):.2f} s", "target < 15 s"),
        (f"warm ask, retrieval + answer, p50 / p95 over {len(qs)} questions",
         f"{p50 * 1000:.0f} / {p95 * 1000:.0f} ms", "target p95 ≤ 50 ms"),
    ]


def warm_latencies(data_dir: Path, qs: list[str]) -> list[float]:
    """Seconds per ask in one process with models and indexes loaded, each question embedded anew."""
    kb = KnowledgeBase(Settings.from_env(data_dir, env={}))
    kb.ask(qs[0])  # load models and indexes once
    times = cold_seconds(kb.ask, qs * 3)
    kb.close()
    return times


def bench_memory(notes: int, repeats: int) -> list[Row]:
    plain: list[float] = []
    full: list[float] = []
    again: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        floor = Path(tmp) / "floor"
        synthetic_floor.write(floor, reps=50, notes=notes)
        shutil.copytree(ROOT / "knowledge/playbooks", floor / "playbooks")
        with_memory = Path(tmp) / "with-memory"
        shutil.copytree(floor, with_memory)
        for name in ("bank.json", "taxonomy.json"):
            shutil.copy(ROOT / "knowledge" / name, with_memory / name)
        for i in range(repeats):  # each first ingest starts with an empty vector cache of its own
            with stopwatch(plain):
                coach(["ingest", str(floor)], Path(tmp) / f"plain{i}", Path(tmp) / f"cache-plain{i}")
            with stopwatch(full):
                coach(["ingest", str(with_memory)], Path(tmp) / f"full{i}", Path(tmp) / f"cache-full{i}")
            with stopwatch(again):
                coach(["ingest", str(with_memory)], Path(tmp) / f"full{i}", Path(tmp) / f"cache-full{i}")
    p, f = statistics.median(plain), statistics.median(full)
    return [
        (f"ingest {notes} notes, 50 reps, a year, empty vector cache: without memory steps", f"{p:.1f} s", ""),
        ("same with retain + consolidate + mental models", f"{f:.1f} s", f"ratio {f / p:.2f} (target ≤ 1.50)"),
        (f"re-ingest the same {notes} notes unchanged", f"{statistics.median(again):.1f} s", ""),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 repeat and 200 notes, for a smoke run")
    parser.add_argument("--only", choices=("knowledge", "memory"), help="run one half of the benchmarks")
    parser.add_argument("--repeats", type=int, help="runs per figure (default: 3, or 1 with --quick)")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    rows: list[Row] = []
    if args.only != "memory":
        rows += bench_knowledge(repeats)
    if args.only != "knowledge":
        rows += bench_memory(notes=200 if args.quick else 1000, repeats=args.repeats or (1 if args.quick else 2))
    stamp = datetime.now(timezone.utc)
    report = (f"# coach benchmarks, {stamp:%Y-%m-%d %H:%M} UTC\n\nMachine: {machine()}\n"
              f"Repeats: {repeats}\n\n" + "\n".join(table(("what", "median", "note"), rows)) + "\n")
    RESULTS.mkdir(exist_ok=True)
    name = f"{stamp:%Y-%m-%d}{'-quick' if args.quick else ''}{'-' + args.only if args.only else ''}.md"
    (RESULTS / name).write_text(report)
    print(report)


if __name__ == "__main__":
    main()
