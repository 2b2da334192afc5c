"""Print the best-passage similarity of every golden question, to calibrate the refusal threshold.

Usage: python bench/calibrate_refusal.py [DATA_DIR] [dev.jsonl|heldout.jsonl]   (after: coach ingest knowledge/)
Only evals/golden/dev.jsonl is used; heldout.jsonl is never tuned against.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from coach.config import Settings
from coach.knowledge_base import KnowledgeBase
from rag.grounding import asks_for_records

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    kb = KnowledgeBase(Settings.from_env(sys.argv[1] if len(sys.argv) > 1 else None))
    kb.require_content()
    rows = []
    for line in (ROOT / "evals/golden" / (sys.argv[2] if len(sys.argv) > 2 else "dev.jsonl")).read_text().splitlines():
        item = json.loads(line)
        best = 9.0 if asks_for_records(item["q"]) else kb.answerer.search(item["q"]).support
        rows.append((best, item["kind"] == "out-of-scope", item["q"]))
    rows.sort()
    for best, out, q in rows:
        print(f"{best:.3f} {'OUT' if out else 'in '} {q[:80]}")
    # a records question (scored 9.0 above) is refused before any threshold applies
    for threshold in (0.40, 0.45, 0.50, 0.55, 0.60, 0.65):
        false_refusals = sum(1 for b, out, _ in rows if not out and (b < threshold or b == 9.0))
        false_answers = sum(1 for b, out, _ in rows if out and threshold <= b < 9.0)
        inside = sum(1 for _, out, _ in rows if not out)
        print(f"threshold {threshold:.2f}: false refusals {false_refusals}/{inside}, "
              f"false answers {false_answers}/{len(rows) - inside}")


if __name__ == "__main__":
    main()
