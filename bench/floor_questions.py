"""Does a coach's question about the floor cost more than a rep's playbook question?

Usage: python -m bench.floor_questions [--floor harbor] [--repeats 3]
Ingests the playbooks and one dev floor's call notes into .coach-bench-<floor> (a no-op when
unchanged), then times warm ``KnowledgeBase.ask`` on the floor's coach questions
(``evals/floors/<floor>/questions.jsonl``) and on field-dev playbook questions, each
question's vector computed afresh, in alternating rounds. Reports p50 and p95 per kind and
their ratio, and writes bench/results/floor-questions-<date>.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from bench.harness import (
    ROOT,
    cold_seconds,
    machine,
    percentile,
    table,
    write_result,
)
from coach.knowledge_base import KnowledgeBase
from core.settings import Settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--floor", default="harbor")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    floor = ROOT / "evals/floors" / args.floor
    coach_questions = [json.loads(line)["q"] for line in (floor / "questions.jsonl").read_text().splitlines()
                       if line.strip()]
    playbook_questions = [json.loads(line)["q"] for line in (ROOT / "evals/golden/field-dev.jsonl").read_text()
                          .splitlines() if line.strip()][: len(coach_questions)]
    kb = KnowledgeBase(Settings.from_env(ROOT / f".coach-bench-{args.floor}", env={}))
    kb.ingest([ROOT / "knowledge/playbooks", floor / "calls"], config_dir=ROOT / "knowledge")
    for question in coach_questions[:3] + playbook_questions[:3]:
        kb.ask(question)  # warm: models, indexes and memos loaded
    floor_times, playbook_times = [], []
    for _ in range(args.repeats):
        floor_times += cold_seconds(kb.ask, coach_questions)
        playbook_times += cold_seconds(kb.ask, playbook_questions)
    routed = sum(kb.ask(q).floor is not None for q in coach_questions)
    rows = []
    for name, values in (("coach questions about the floor", floor_times), ("playbook questions (field-dev)", playbook_times)):
        rows.append((name, len(values), f"{1000 * percentile(values, 50):.0f} ms", f"{1000 * percentile(values, 95):.0f} ms"))
    ratio = percentile(floor_times, 95) / percentile(playbook_times, 95)
    lines = [f"# Floor questions against playbook questions, warm, {date.today().isoformat()}", "",
             (f"Machine: {machine()}. Store: the playbooks and the {args.floor} floor's notes "
             f"({kb.docstore.counts()['chunks']} chunks), model {kb.embedder.model_id}. {args.repeats} rounds; "
             f"{routed} of {len(coach_questions)} coach questions were answered from the memory."), "",
             *table(("questions", "asks", "p50", "p95"), rows), "",
             f"p95 ratio, floor / playbook: {ratio:.2f} (target: no more than 1.00).", ""]
    write_result("floor-questions", lines)
    kb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
