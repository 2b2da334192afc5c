"""Benchmarks (not tests): speed of ingest, ask and the coaching-memory steps.

Usage: python bench/run.py [--quick]
Writes bench/results/<date>.md and prints it. Figures are medians over repeated runs, on
whatever machine runs this; the report names the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

COACH = [sys.executable, "-m", "coach.cli"]


def run(args: list[str], data_dir: Path, cwd: Path = ROOT) -> float:
    started = time.perf_counter()
    subprocess.run([*COACH, "--data-dir", str(data_dir), *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - started


def questions() -> list[str]:
    items = []
    for name in ("dev.jsonl", "heldout.jsonl", "field-dev.jsonl"):
        for line in (ROOT / "evals/golden" / name).read_text().splitlines():
            if line.strip():
                items.append(json.loads(line)["q"])
    return items


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def bench_knowledge(rows: list[str], repeats: int) -> None:
    ingest, cold_ask, batch = [], [], []
    qs = questions()
    with tempfile.TemporaryDirectory() as tmp:
        batch_file = Path(tmp) / "batch.jsonl"
        batch_file.write_text("\n".join(json.dumps({"id": i, "q": q}) for i, q in enumerate(qs[:40])))
        for i in range(repeats):
            data = Path(tmp) / f"store{i}"
            ingest.append(run(["ingest", "knowledge/"], data))
            cold_ask.append(run(["ask", "How do I handle a timing objection?"], data))
            batch.append(run(["ask", "--batch", str(batch_file), "--json"], data))
        warm = warm_latencies(Path(tmp) / "store0", qs)
    rows.append(f"| ingest knowledge/ (fresh store, incl. model load) | {statistics.median(ingest):.2f} s | |")
    rows.append(f"| cold `coach ask` (new process) | {statistics.median(cold_ask):.2f} s | |")
    rows.append(f"| `ask --batch` 40 questions (incl. model load) | {statistics.median(batch):.2f} s | target < 15 s |")
    p50, p95 = percentile(warm, 50), percentile(warm, 95)
    rows.append(f"| warm ask, retrieval + answer, p50 / p95 over {len(qs)} questions | "
                f"{p50 * 1000:.0f} / {p95 * 1000:.0f} ms | target p95 ≤ 50 ms |")


def warm_latencies(data_dir: Path, qs: list[str]) -> list[float]:
    from core.settings import Settings
    from coach.knowledge_base import KnowledgeBase

    import rag.embedder as embedder_module

    kb = KnowledgeBase(Settings.from_env(data_dir, env={}))
    kb.ask(qs[0])  # load models and indexes once
    times = []
    for _ in range(3):
        for q in qs:
            embedder_module._VECTORS.clear()  # time each question as if new
            started = time.perf_counter()
            kb.ask(q)
            times.append(time.perf_counter() - started)
    kb.close()
    return times


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def bench_memory(rows: list[str], notes: int, repeats: int) -> None:
    import synthetic_floor

    plain, full, again = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        floor = Path(tmp) / "floor"
        synthetic_floor.write(floor, reps=50, notes=notes)
        shutil.copytree(ROOT / "knowledge/playbooks", floor / "playbooks")
        with_memory = Path(tmp) / "with-memory"
        shutil.copytree(floor, with_memory)
        for name in ("bank.json", "taxonomy.json"):
            shutil.copy(ROOT / "knowledge" / name, with_memory / name)
        for i in range(repeats):
            plain.append(run(["ingest", str(floor)], Path(tmp) / f"plain{i}"))
            full.append(run(["ingest", str(with_memory)], Path(tmp) / f"full{i}"))
            again.append(run(["ingest", str(with_memory)], Path(tmp) / f"full{i}"))
    p, f = statistics.median(plain), statistics.median(full)
    rows.append(f"| ingest {notes} notes, 50 reps, a year: without memory steps | {p:.1f} s | |")
    rows.append(f"| same with retain + consolidate + mental models | {f:.1f} s | ratio {f / p:.2f} (target ≤ 1.50) |")
    rows.append(f"| re-ingest the same {notes} notes unchanged | {statistics.median(again):.1f} s | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 repeat and 200 notes, for a smoke run")
    parser.add_argument("--only", choices=("knowledge", "memory"), help="run one half of the benchmarks")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    rows = ["| what | median | note |", "| --- | --- | --- |"]
    if args.only != "memory":
        bench_knowledge(rows, repeats)
    if args.only != "knowledge":
        bench_memory(rows, notes=200 if args.quick else 1000, repeats=1 if args.quick else 2)
    stamp = datetime.now(timezone.utc)
    report = (f"# coach benchmarks, {stamp:%Y-%m-%d %H:%M} UTC\n\nMachine: {machine()}\n"
              f"Repeats: {repeats}\n\n" + "\n".join(rows) + "\n")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    name = f"{stamp:%Y-%m-%d}{'-quick' if args.quick else ''}{'-' + args.only if args.only else ''}.md"
    (out / name).write_text(report)
    print(report)


if __name__ == "__main__":
    main()
