"""Retain facts from one call note: discovery findings, coaching feedback, quality patterns.

Works on the note's answer units (sentences, bullets) and their vectors, which ingest
already computed, so retaining embeds nothing new. Each sentence is classified on its own
(``memory.classify``): a quality fact carries its theme and polarity (gap or strength);
feedback is an instruction or assignment, filed under the theme its own words are about;
a sentence the classifier cannot place, that names a theme without judging it, or whose
reading no word of its own decides (only the nearest examples), is not retained: every
fact is a judgement a coach wrote, with its verbatim sentence. Transcript turns are the buyer's and rep's words, not judgements: only a coach's
inline remark (``[12:10] Coach: ...``) is read. Text that addresses the system ("ignore
previous instructions", "SYSTEM: ...") is data about the note, never an instruction: it is
not retained at all. See docs/coaching-memory.md.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from core.records import CallNote, Fact
from core.safety import ADDRESSES_SYSTEM as _AT_SYSTEM  # kept here for callers
from ingest.call_note import is_coaching
from ingest.units import Unit
from memory.classify import ThemeClassifier
from memory.polarity import is_instruction

_QUOTED_QUESTION = re.compile(r"[\"“]([^\"”]{6,240}\?)[\"”]")
_ASKED = re.compile(r"\b(asked|asking|asks|question)\b", re.IGNORECASE)
# a coaching note's agreed actions: a section headed like this holds the assignment
_AGREED_HEADING = re.compile(
    r"\b(agreed|agreement|actions?|action items?|homework|assignment|next steps? for|plan|commitments?|"
    r"focus|goals?|to ?do|practice|practise)\b", re.IGNORECASE)
_TURN = re.compile(r"^\W*[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*(?:-\s*)?(?P<who>[^:\]]{1,60}):\s*(?P<text>.+)$", re.S)
_COACH_SPEAKER = re.compile(r"\b(coach|manager|mgr)\b", re.IGNORECASE)
_SPEAKER_LINE = re.compile(r"^\W*(?:buyer|prospect|customer|client)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class NoteUnit:
    unit: Unit
    vector: np.ndarray
    section: str = ""  # the heading path of the chunk the unit comes from


def retain(note: CallNote, units: list[NoteUnit], classifier: ThemeClassifier) -> list[Fact]:
    coaching = is_coaching(note.call_type)
    readable = [(u, text) for u in units if (text := _readable(u, note)) is not None]
    agreed = [u for u, _ in readable if _AGREED_HEADING.search(_heading(u.section))] if coaching else []
    facts: list[Fact] = []
    for item, text in readable:
        match = classifier.classify(text, item.vector)
        quote = item.unit.quote
        question = _QUOTED_QUESTION.search(quote)
        if question and _ASKED.search(quote) and not coaching:
            facts.append(_fact(note, "discovery", match.theme, None, quote, question=question.group(1)))
            if _judges(match):
                facts.append(_fact(note, "quality", match.theme, match.polarity, quote))
        elif match.theme and _is_feedback(item, text, match, coaching, agreed):
            facts.append(_fact(note, "feedback", match.theme, None, quote))
        elif not coaching and _judges(match):
            facts.append(_fact(note, "quality", match.theme, match.polarity, quote))
    return facts


def _judges(match) -> bool:
    """A remark on what the rep did, with its reading in its own words. A sentence whose
    polarity only the nearest examples could guess is not a judgement: on the dev floors
    18% of those were (buyer facts, logistics lines), against 74% of the others."""
    return (match.kind == "quality" and bool(match.theme) and bool(match.polarity)
            and match.basis != "nearest")


def _readable(item: NoteUnit, note: CallNote) -> str | None:
    """The text to classify, or None: system-addressed lines, buyer lines and transcript
    turns other than a coach's are not read."""
    text = item.unit.display
    if _AT_SYSTEM.search(item.unit.quote) or _SPEAKER_LINE.match(text):
        return None
    if item.unit.kind != "turn":
        return text
    turn = _TURN.match(text)
    if turn is None:
        return None
    who = turn.group("who")
    if _COACH_SPEAKER.search(who) or (note.coach and note.coach.split()[0].lower() in who.lower()):
        return turn.group("text").strip()
    return None


def _is_feedback(item: NoteUnit, text: str, match, coaching: bool, agreed: list[NoteUnit]) -> bool:
    """An instruction to the rep. In a coaching session with an agreed-actions section,
    only that section (and explicit assignments elsewhere) counts."""
    if not coaching:
        return match.kind == "feedback"
    if agreed:
        return item in agreed and (match.kind == "feedback" or len(text.split()) >= 6) or (
            match.kind == "feedback" and _explicit(text))
    return match.kind == "feedback" or is_instruction(text)


_EXPLICIT = re.compile(r"(?:^|[^\w\s]\s*)(?:homework|assignment)\s*[:\-–—]|\b(action item|focus for|going forward|from now on|starting monday)",
                       re.IGNORECASE)


def _explicit(text: str) -> bool:
    return bool(_EXPLICIT.search(text))


def _heading(section: str) -> str:
    parts = section.split(" > ")
    return " > ".join(parts[1:]) if len(parts) > 1 else ""


def _fact(note: CallNote, kind: str, theme: str | None, polarity: str | None, quote: str,
          question: str | None = None, measured: bool = False) -> Fact:
    key = f"{note.source}\0{note.row}\0{kind}\0{quote}"
    return Fact(
        id="fact-" + hashlib.sha1(key.encode()).hexdigest()[:12], source=note.source, rep=note.rep,
        date=note.date, kind=kind, theme=theme, polarity=polarity, quote=quote,
        account=note.account, question=question, coaching=is_coaching(note.call_type),
    )


def call_key(fact: Fact) -> tuple[str, str, str]:
    """Identifies one call: a file, or a row of a CSV export (rows of one date and rep)."""
    return fact.source, fact.rep, fact.date
