"""Where a warm question's time goes: p50/p95 of ``KnowledgeBase.ask`` over the field-dev
questions (each question's vector computed afresh), and each part's share of the total:
the question's encoding, Chroma, BM25, the passage and sentence vectors, the ranker, the
composer and the floor observations.

Usage: python -m bench.warm_ask [--store DIR] [--questions N]. Writes
bench/results/warm-ask-<date>.md. Parts are timed by wrapping the methods that do them on
the live objects; what is left is "other" (routing, refusal, grounding checks).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from bench.harness import (
    ROOT,
    cold_seconds,
    machine,
    open_store,
    percentile,
    table,
    write_result,
)

PARTS = ("question encoding", "Chroma query", "BM25", "passage and sentence vectors", "ranker", "composer",
         "floor observations")


def timed(spent: dict[str, float], part: str, function):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[part] += time.perf_counter() - started
    return wrapper


def instrument(kb, spent: dict[str, float]) -> None:
    import rag.answerer
    import rag.retriever

    kb.answerer  # noqa: B018 - build the parts first
    kb.embedder.encode_one = timed(spent, "question encoding", kb.embedder.encode_one)
    kb.vectors.query = timed(spent, "Chroma query", kb.vectors.query)
    kb.keyword.search = timed(spent, "BM25", kb.keyword.search)
    retriever = kb.answerer.retriever
    retriever._vectors_and_units = timed(spent, "passage and sentence vectors", retriever._vectors_and_units)
    rag.retriever.rank = timed(spent, "ranker", rag.retriever.rank)
    rag.answerer.compose = timed(spent, "composer", rag.answerer.compose)
    observations = kb._observations_for
    kb._observations_for = timed(spent, "floor observations", observations)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a store holding knowledge/ (default: .coach-bench)")
    parser.add_argument("--questions", type=int, default=120)
    args = parser.parse_args()
    questions = [json.loads(line)["q"] for line in (ROOT / "evals/golden/field-dev.jsonl").read_text().splitlines()
                 if line.strip()][: args.questions]
    kb = open_store(args.store)
    spent: dict[str, float] = defaultdict(float)
    instrument(kb, spent)
    for question in questions[:5]:
        kb.ask(question)  # warm: models, indexes and memos loaded
    spent.clear()
    totals = cold_seconds(kb.ask, questions)
    whole = sum(totals)
    rows = [(part, f"{1000 * spent[part] / len(totals):.1f} ms", f"{100 * spent[part] / whole:.0f}%") for part in PARTS]
    other = whole - sum(spent[p] for p in PARTS)
    rows.append(("other (routing, refusal, grounding)", f"{1000 * other / len(totals):.1f} ms", f"{100 * other / whole:.0f}%"))
    p50, p95 = percentile(totals, 50) * 1000, percentile(totals, 95) * 1000
    lines = [f"# Warm ask, {date.today().isoformat()}", "",
             (f"Machine: {machine()}. Store: knowledge/ ({kb.docstore.counts()['chunks']} chunks), model "
             f"{kb.embedder.model_id}. {len(totals)} field-dev questions, each encoded afresh."), "",
             f"p50 {p50:.0f} ms, p95 {p95:.0f} ms (target p95 <= 75 ms).", "",
             *table(("part", "mean per question", "share"), rows), ""]
    write_result("warm-ask", lines)
    kb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
