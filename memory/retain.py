"""Retain facts from one call note: discovery findings, coaching feedback, quality patterns.

Works on the note's answer units (sentences, bullets) and their vectors, which ingest
already computed, so retaining embeds nothing new. Text that addresses the system
("ignore previous instructions", "SYSTEM: ...") is data about the note, never an
instruction: it is not retained as a fact at all.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from coach.records import CallNote, Fact
from ingest.call_note import is_coaching
from ingest.units import Unit
from memory.call_metrics import implied_patterns, measure
from memory.classify import ThemeClassifier

PLAIN_MIN_SIMILARITY = 0.45  # with explicit strength/gap wording
SURE_MIN_SIMILARITY = 0.55  # close enough to a prototype to trust its polarity
_QUOTED_QUESTION = re.compile(r"[\"“]([^\"”]{6,240}\?)[\"”]")
_ASKED = re.compile(r"\b(asked|asking|asks|question)\b", re.IGNORECASE)
_AT_SYSTEM = re.compile(
    r"(ignore (?:all |any )?(?:previous|prior|above) instructions|^\W*system\s*:|\bas an ai\b|"
    r"disregard (?:the|all|previous)|you are now|new instructions|override (?:the|your))",
    re.IGNORECASE,
)
_FEEDBACK_CONTEXT = re.compile(r"\b(coaching|feedback|for next time|next call, try|practice assignment)\b", re.IGNORECASE)
_IMPERATIVE = frozenset(
    "ask put show try stop start hold wait get make bring book use let spend keep don't do play log "
    "send set open close confirm find name map quantify write practice practise lead pause restate "
    "aim end take give check replace".split()
)


@dataclass(frozen=True)
class NoteUnit:
    unit: Unit
    vector: np.ndarray


def retain(note: CallNote, units: list[NoteUnit], classifier: ThemeClassifier) -> list[Fact]:
    coaching = is_coaching(note.call_type)
    readable = [u for u in units if u.unit.kind != "turn" and not _AT_SYSTEM.search(u.unit.quote)]
    matches = [classifier.classify(u.unit.display, u.vector) for u in readable]
    focus = _dominant_theme(matches)
    facts: list[Fact] = []
    in_feedback = coaching
    for item, match in zip(readable, matches):
        text = item.unit.quote
        if not coaching and _FEEDBACK_CONTEXT.search(text):
            in_feedback = True
        question = _QUOTED_QUESTION.search(text)
        if question and _ASKED.search(text):
            facts.append(_fact(note, "discovery", match.theme, None, text, question=question.group(1)))
        elif in_feedback and _is_instruction(item.unit.display):
            # an instruction is about what its note is about, unless it names its own theme
            theme = match.theme if match.cue else (focus or match.theme)
            facts.append(_fact(note, "feedback", theme, None, text))
        elif not coaching and _is_quality(match, text, note.rep):
            facts.append(_fact(note, "quality", match.theme, match.polarity, text))
    facts.extend(_metric_facts(note))
    return facts


def _dominant_theme(matches) -> str | None:
    """The theme most of the note's sentences are about (cue matches count double)."""
    votes: dict[str, float] = {}
    for match in matches:
        if match.theme:
            votes[match.theme] = votes.get(match.theme, 0.0) + (2.0 if match.cue else 1.0)
    return max(votes, key=votes.get) if votes else None


def _is_quality(match, text: str, rep: str) -> bool:
    """A call-quality pattern needs a cue phrase; without one, a sentence about the rep
    (named, or he/she) that is close to a prototype, or fairly close with plain
    strength/gap wording. Observations are built from these, so precision comes first."""
    if not match.theme or not match.polarity:
        return False
    if match.cue is not None:
        return True
    if not _about_rep(text, rep):
        return False
    if match.similarity >= SURE_MIN_SIMILARITY:
        return True
    return match.similarity >= PLAIN_MIN_SIMILARITY and match.plain is not None


def _about_rep(text: str, rep: str) -> bool:
    first = rep.split()[0]
    return bool(re.search(rf"\b({re.escape(first)}|she|he|her|his|they)\b", text, re.IGNORECASE))


def _is_instruction(text: str) -> bool:
    words = re.sub(r"^[\W_]+", "", text).split()
    if not words:
        return False
    first = words[0].lower().strip(",:")
    if first == "before" and len(words) > 1 and words[1].lower() == "you":
        return True
    return first in _IMPERATIVE


def _metric_facts(note: CallNote) -> list[Fact]:
    metrics = measure(note) if not is_coaching(note.call_type) else None
    if metrics is None:
        return []
    return [_fact(note, "quality", theme, polarity, turn_text(note, turn))
            for theme, polarity, turn in implied_patterns(metrics)]


def turn_text(note: CallNote, turn) -> str:
    """The turn's words as they stand in the note (first line, which is verbatim)."""
    for line in note.body.splitlines():
        if turn.text[:40] in line:
            return line.strip()
    return turn.text


def _fact(note: CallNote, kind: str, theme: str | None, polarity: str | None, quote: str,
          question: str | None = None) -> Fact:
    key = f"{note.source}\0{note.row}\0{kind}\0{quote}"
    return Fact(
        id="fact-" + hashlib.sha1(key.encode()).hexdigest()[:12], source=note.source, rep=note.rep,
        date=note.date, kind=kind, theme=theme, polarity=polarity, quote=quote,
        account=note.account, question=question, coaching=is_coaching(note.call_type),
    )


def call_key(fact: Fact) -> tuple[str, str, str]:
    """Identifies one call: a file, or a row of a CSV export (rows of one date and rep)."""
    return fact.source, fact.rep, fact.date
