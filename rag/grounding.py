"""Does the knowledge base support an answer? Two checks, both cheap.

1. Semantic support: the question's cosine similarity to its best passage plus to its
   best sentence in the top passages. Off-topic questions (recipes, tax law, code) score
   far below sales-coaching questions. Calibrated on evals/golden/dev.jsonl with
   bench/calibrate_refusal.py; the held-out set is reported, never tuned against.
2. Records questions: the knowledge base holds playbooks and call notes, not the team's
   records. A question that asks for a value from those records (a price, a commission,
   a quota figure, a password, a contract or renewal date) is refused even when it sounds
   like sales, because no passage can hold the answer.
"""

from __future__ import annotations

import re

import numpy as np

from coach.records import Hit
from rag.docstore import StoredUnit

SUPPORT_THRESHOLD = 0.50

_ASKS_FOR_VALUE = re.compile(
    r"\b(what(?:'s| is| are|s)?|how (?:much|many)|when (?:does|do|is|will)|who (?:is|owns)|"
    r"which|where (?:is|do))\b",
    re.IGNORECASE,
)
_RECORD = re.compile(
    r"\b(list price|pric(?:e|es|ing) (?:for|of) (?:the|our)|our (?:\w+ )?pric(?:e|es|ing)|"
    r"discount (?:did|do|does|for|on) |commission|password|log-?in (?:for|to)|"
    r"renewal|contract (?:end|start|value|date|term)|(?:'s|s') contract|"
    r"quota (?:number|figure|target) |(?:team|my|our) quota (?:number|figure|target|for|this|is)|"
    r"seat count|how many (?:seats|licen[cs]es)|salary|bonus|phone number|email address)",
    re.IGNORECASE,
)


def support_score(query_vector: np.ndarray, hits: list[Hit], units: dict[str, list[StoredUnit]]) -> float:
    best_chunk = max((h.similarity for h in hits), default=0.0)
    best_unit = max(
        (float(s.vector @ query_vector) for stored in units.values() for s in stored), default=0.0
    )
    return best_chunk + best_unit


def asks_for_records(question: str) -> bool:
    return bool(_ASKS_FOR_VALUE.search(question) and _RECORD.search(question))
