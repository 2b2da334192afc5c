"""Follow-up questions: hit@5 of the follow-up alone, condensed with its conversation, and joined.

Usage: python bench/followups.py [--data-dir STORE] [--llm]

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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from llm_quality import ensure_store  # noqa: E402
from run import machine  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an ingested store of knowledge/ (default: build one)")
    parser.add_argument("--llm", action="store_true", help="also measure the LLM condenser (llamacpp:smollm2)")
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    from core.settings import Settings
    from coach.knowledge_base import KnowledgeBase
    from evals.followups import MODES, evaluate_followups, hit_rate, load_followups
    from rag.condense import LlmCondenser, RuleCondenser

    items = load_followups()
    kb = KnowledgeBase(Settings.from_env(ensure_store(args.data_dir), env={}))
    condensers = {"rules": RuleCondenser()}
    if args.llm:
        from rag.llms import build_llm

        condensers["llm"] = LlmCondenser(build_llm("llamacpp:smollm2").llm)
    now = datetime.now(timezone.utc)
    lines = [f"# Follow-up retrieval, {now:%Y-%m-%d %H:%M} UTC", "", f"Machine: {machine()}",
             f"Embedding model: {kb.embedder.model_id}. Set: evals/golden/followups.jsonl "
             f"({len(items)} pairs). hit@5 = an expected section of the follow-up is in the top 5 passages.", "",
             "| condenser | group | n | alone (as typed) | condensed | previous + follow-up joined |",
             "| --- | --- | --- | --- | --- | --- |"]
    details = []
    try:
        for name, condenser in condensers.items():
            results = evaluate_followups(kb, items, condenser)
            groups = {
                "dev follow-ups": [r for r in results if r.item.set == "dev" and r.item.kind == "followup"],
                "heldout follow-ups": [r for r in results if r.item.set == "heldout" and r.item.kind == "followup"],
                "all follow-ups": [r for r in results if r.item.kind == "followup"],
                "new topics (must stay as typed)": [r for r in results if r.item.kind != "followup"],
            }
            for group, chosen in groups.items():
                cells = " | ".join(f"{hit_rate(chosen, mode):.2f}" for mode in MODES)
                lines.append(f"| {name} | {group} | {len(chosen)} | {cells} |")
            if name == "llm":
                used = Counter(condenser.condense(i.q, [_exchange(i)]).method for i in items)
                lines.append(f"\nLLM condenser: rewrites used {used.get('llm', 0)}, rules fallback "
                             f"{used.get('rules', 0)}, left as typed {used.get('unchanged', 0)}.")
            details += [f"| {name} | {r.item.id} | {r.item.q} | {r.standalone} | "
                        + " | ".join(str(r.ranks[m] or "-") for m in MODES) + " |" for r in results]
    finally:
        kb.close()
    lines += ["", "Per pair (rank of the first expected section in the top 10, - when missing):", "",
              "| condenser | id | follow-up | standalone question | alone | condensed | joined |",
              "| --- | --- | --- | --- | --- | --- | --- |", *details]
    text = "\n".join(lines) + "\n"
    out = ROOT / "bench" / "results" / f"followups-{now:%Y-%m-%d}.md"
    out.write_text(text)
    print(text)
    print(f"written: {out}", file=sys.stderr)
    return 0


def _exchange(item):
    from core.records import Exchange

    return Exchange(item.previous, item.previous)


if __name__ == "__main__":
    sys.exit(main())
