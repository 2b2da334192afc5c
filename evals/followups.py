"""The follow-up set (``golden/followups.jsonl``): does a follow-up find its passages?

Each line: ``previous`` (the question before), ``q`` (the follow-up as typed), ``expected``
sections of the follow-up's answer, ``kind`` (``followup``, or ``new-topic`` for a question
that only looks like one and must be left alone) and ``set`` (dev for tuning the
condenser, heldout for reporting). Written by reading knowledge/playbooks/*.md.

Retrieval of the follow-up is compared three ways: alone (as typed), condensed with its
conversation (what ``coach ask --session`` and the Ask tab do), and the naive baseline of
the previous question and the follow-up joined.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.jsonl import read_objects
from core.records import Exchange
from evals.golden import GOLDEN_DIR, SectionRef
from evals.metrics import first_relevant_rank, hit_at_k, share

FOLLOWUPS_FILE = GOLDEN_DIR / "followups.jsonl"
MODES = ("alone", "condensed", "joined")


@dataclass(frozen=True)
class FollowUp:
    id: str
    previous: str
    q: str
    kind: str  # followup | new-topic
    set: str  # dev | heldout
    expected: tuple[SectionRef, ...]


@dataclass(frozen=True)
class FollowUpResult:
    item: FollowUp
    standalone: str
    ranks: dict[str, int | None]  # per mode, 1-based rank of the first expected section


def load_followups(path: Path = FOLLOWUPS_FILE) -> list[FollowUp]:
    return [FollowUp(str(row["id"]), row["previous"], row["q"], row.get("kind", "followup"), row.get("set", "dev"),
                     tuple(SectionRef(e["source"], e["section"]) for e in row["expected"]))
            for _, row in read_objects(path, "restore it from git")]


def evaluate_followups(kb, items: list[FollowUp], condenser=None, depth: int = 10) -> list[FollowUpResult]:
    """Rank the expected sections for each follow-up, alone, condensed and joined."""
    from evals.runner import retrieve

    condenser = condenser or kb.condenser
    results = []
    for item in items:
        standalone = condenser.condense(item.q, [Exchange(item.previous, item.previous)]).question
        asked = {"alone": item.q, "condensed": standalone, "joined": f"{item.previous} {item.q}"}
        expected = [(e.source, e.section) for e in item.expected]
        ranks = {}
        for mode, question in asked.items():
            hits = retrieve(kb, question, k=depth)
            ranks[mode] = first_relevant_rank([(h.chunk.source, h.chunk.section) for h in hits], expected)
        results.append(FollowUpResult(item, standalone, ranks))
    return results


def hit_rate(results: list[FollowUpResult], mode: str, k: int = 5) -> float | None:
    return share(hit_at_k(r.ranks[mode], k) for r in results)
