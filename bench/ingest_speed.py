"""Ingest speed: knowledge/ into a fresh store with empty caches and with a warm vector
cache, and a one-line playbook edit re-ingested; each beside a plain llama-index pipeline
(SimpleDirectoryReader, default SentenceSplitter, VectorStoreIndex in memory, the same
bundled model through HuggingFaceEmbedding) doing the same work in the same run.

Usage: python -m bench.ingest_speed [--runs 3]. Each coach figure is a whole
``coach ingest --json`` process (model load included), as a user runs it. The ONNX
graph of the model is exported once per machine before timing (about half a minute,
reported apart). Writes bench/results/ingest-speed-<date>.md.
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
import time
from datetime import date
from pathlib import Path

from bench.harness import RESULTS, ROOT, machine, table

PLAYBOOK = "playbooks/discovery-coach.md"
EDIT_FROM, EDIT_TO = "Who else in the organization feels the effects", "Who else in the company feels the effects"


def coach_ingest(folder: Path, store: Path, cache: Path) -> tuple[float, dict]:
    env = {**os.environ, "COACH_VECTOR_CACHE": str(cache)}
    env.pop("COACH_LLM", None)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "coach.cli", "--data-dir", str(store), "ingest", str(folder), "--json"],
                          env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, json.loads(done.stdout)


def llamaindex_build(folder: Path) -> float:
    """The baseline's index over the same files, in a fresh process (model load included)."""
    code = (
        "import sys\nfrom llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex\n"
        "from llama_index.embeddings.huggingface import HuggingFaceEmbedding\n"
        "from rag.models import bundled_model_dir, MPNET\n"
        "Settings.llm = None\n"
        "Settings.embed_model = HuggingFaceEmbedding(model_name=str(bundled_model_dir(MPNET)), device='cpu')\n"
        "docs = SimpleDirectoryReader(sys.argv[1], recursive=True, required_exts=['.md', '.txt', '.csv']).load_data()\n"
        "VectorStoreIndex.from_documents(docs)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(folder)], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="coach-ingest-bench-"))
    try:
        knowledge = work / "knowledge"
        shutil.copytree(ROOT / "knowledge", knowledge)
        warmup = time.perf_counter()
        coach_ingest(knowledge / "playbooks", work / "warmup-store", work / "warmup-cache")  # exports the ONNX graph if missing
        warmup = time.perf_counter() - warmup
        empty, warm, edit, baseline = [], [], [], []
        embedded = {}
        for run in range(args.runs):
            cache = work / f"cache-{run}"
            seconds, report = coach_ingest(knowledge, work / f"fresh-{run}", cache)
            empty.append(seconds)
            embedded["empty caches"] = report["embedded"]
            seconds, report = coach_ingest(knowledge, work / f"second-{run}", cache)
            warm.append(seconds)
            embedded["warm vector cache"] = report["embedded"]
            text = (knowledge / PLAYBOOK).read_text(encoding="utf-8")
            changed = text.replace(EDIT_FROM, EDIT_TO) if EDIT_FROM in text else text.replace(EDIT_TO, EDIT_FROM)
            assert changed != text, "the edited line is not in the playbook any more; pick another"
            (knowledge / PLAYBOOK).write_text(changed, encoding="utf-8")
            seconds, report = coach_ingest(knowledge, work / f"fresh-{run}", cache)
            edit.append(seconds)
            embedded["one-line edit"] = report["embedded"]
            baseline.append(llamaindex_build(knowledge))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = median(baseline)
    rows = [
        ("fresh store, empty caches", f"{median(empty):.1f} s", embedded["empty caches"], f"{base:.1f} s", f"{median(empty) / base:.2f}x", "<= 60 s"),
        ("second fresh store, warm vector cache", f"{median(warm):.1f} s", embedded["warm vector cache"], f"{base:.1f} s", f"{median(warm) / base:.2f}x", "<= 10 s"),
        ("one-line playbook edit, re-ingested", f"{median(edit):.1f} s", embedded["one-line edit"], "-", "-", "<= 5 s"),
    ]
    lines = [f"# Ingest speed, {date.today().isoformat()}", "",
             f"Machine: {machine()}. Medians of {args.runs} runs of `coach ingest knowledge/ --json` in a new "
             "process each (model load included), all-mpnet-base-v2 through ONNX Runtime. The baseline is the plain "
             "llama-index pipeline over the same files with the same model (PyTorch), in a new process each run.",
             f"First ingest on this machine before timing (ONNX export if missing, playbooks only): {warmup:.1f} s.", "",
             *table(("what", "coach", "texts embedded", "llama-index baseline", "ratio", "target"), rows), ""]
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"ingest-speed-{date.today().isoformat()}.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
