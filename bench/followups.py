"""Follow-up questions: hit@5 of the follow-up alone, condensed with its conversation, and joined.

Usage: python -m bench.followups [--data-dir STORE] [--llm]

Uses evals/followups.py on evals/golden/followups.jsonl. Without --llm the deterministic
condenser runs (the default of coach ask --session and the Ask tab); with --llm, the LLM
condenser on SmolLM2-135M-Instruct in-process (COACH_LLM=llamacpp:smollm2), which falls
back to the rules when its rewrite fails the checks. Writes
bench/results/followups-<date>.md (machine and date inside) and prints it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from bench.harness import RESULTS, cell, machine, open_store, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path,
                        help="a store of knowledge/, brought up to date first (default: .coach-bench)")
    parser.add_argument("--llm", action="store_true", help="also measure the LLM condenser (llamacpp:smollm2)")
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    from evals.followups import MODES, evaluate_followups, hit_rate, load_followups
    from rag.condense import LlmCondenser, RuleCondenser

    items = load_followups()
    kb = open_store(args.data_dir)
    condensers = {"rules": RuleCondenser()}
    if args.llm:
        from rag.llms import build_llm

        condensers["llm"] = LlmCondenser(build_llm("llamacpp:smollm2").llm)
    now = datetime.now(timezone.utc)
    lines = [f"# Follow-up retrieval, {now:%Y-%m-%d %H:%M} UTC", "", f"Machine: {machine()}",
             f"Embedding model: {kb.embedder.model_id}. Set: evals/golden/followups.jsonl "
             f"({len(items)} pairs). hit@5 = an expected section of the follow-up is in the top 5 passages.", ""]
    rows, notes, details = [], [], []
    try:
        for name, condenser in condensers.items():
            results = evaluate_followups(kb, items, condenser)
            groups = {
                "dev follow-ups": [r for r in results if r.item.set == "dev" and r.item.kind == "followup"],
                "heldout follow-ups": [r for r in results if r.item.set == "heldout" and r.item.kind == "followup"],
                "all follow-ups": [r for r in results if r.item.kind == "followup"],
                "new topics (must stay as typed)": [r for r in results if r.item.kind != "followup"],
            }
            rows += [(name, group, len(chosen), *(cell(hit_rate(chosen, mode), 2) for mode in MODES))
                     for group, chosen in groups.items()]
            if name == "llm":
                used = Counter(condenser.condense(i.q, [_exchange(i)]).method for i in items)
                notes.append(f"\nLLM condenser: rewrites used {used.get('llm', 0)}, rules fallback "
                             f"{used.get('rules', 0)}, left as typed {used.get('unchanged', 0)}.")
            details += [(name, r.item.id, r.item.q, r.standalone, *(r.ranks[m] or "-" for m in MODES))
                        for r in results]
    finally:
        kb.close()
    lines += [*table(("condenser", "group", "n", "alone (as typed)", "condensed", "previous + follow-up joined"), rows),
              *notes,
              "", "Per pair (rank of the first expected section in the top 10, - when missing):", "",
              *table(("condenser", "id", "follow-up", "standalone question", "alone", "condensed", "joined"), details)]
    text = "\n".join(lines) + "\n"
    out = RESULTS / f"followups-{now:%Y-%m-%d}.md"
    out.write_text(text)
    print(text)
    print(f"written: {out}", file=sys.stderr)
    return 0


def _exchange(item):
    from core.records import Exchange

    return Exchange(item.previous, item.previous)


if __name__ == "__main__":
    sys.exit(main())
