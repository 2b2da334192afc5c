"""The extractive composer: an answer built only from sentences of the retrieved passages.

It scores every answer unit (sentence, bullet, table row) of the top passages against
the question, keeps the best ones, removes repeats, keeps a playbook's own step
structure (e.g. the four AECR steps, in order) when the top passage has one, and renders
short markdown in which every line carries an ``[n]`` marker whose citation quotes that
line verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from core.records import Answer, Citation, Hit
from core.safety import ADDRESSES_SYSTEM
from rag.docstore import StoredUnit

MAX_UNITS = 10
MAX_PASSAGES = 3
STEP_CHILDREN = 1
WORD_BUDGET = 110  # words of passage text an answer may quote (issue 9: a median <= 120)
LEAD_PASSAGES = 2  # passages that each lead with their own best unit
LEAD_FLOOR = 0.5  # ... when it scores at least this share of the best unit (LEAD_* and floors: swept on field-dev)
RELATIVE_FLOOR = 0.3  # other units must score at least this share of the best one
TOP_UNITS = 8  # the top-ranked passage's best units are considered before the rest
# (RELATIVE_FLOOR and TOP_UNITS: swept on issue 23's three scored test splits, dev since)
LEXICAL_WEIGHT = 0.15
_PROCEDURAL = re.compile(
    r"\b(how (?:do|should|can|would|to)|steps?|process|framework|walk me through|levels?|"
    r"stages?|phases?|parts of|types of|list|what (?:should|do) (?:i|we) (?:do|say|ask))\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(
    "a an the and or of to in on for with is are was were be do does did i you we my our "
    "your how what when where why who which should can could would it this that me us "
    "if at as by from about any some get got have has had not no".split()
)


@dataclass(frozen=True)
class ScoredUnit:
    hit_rank: int
    stored: StoredUnit
    score: float


def compose(question: str, query_vector: np.ndarray, hits: list[Hit],
            units: dict[str, list[StoredUnit]]) -> Answer:
    scored = _score_units(question, query_vector, hits[:MAX_PASSAGES], units)
    if not scored:
        return Answer(question=question, answer=REFUSAL, grounded=False)
    chosen = _select(scored, procedural=bool(_PROCEDURAL.search(question)))
    return _render(question, chosen, hits)


def content_words(text: str) -> set[str]:
    return {w[:6] for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def _score_units(question, query_vector, hits, units) -> list[ScoredUnit]:
    asked = content_words(question)
    scored = []
    for rank, hit in enumerate(hits):
        for stored in units.get(hit.chunk.id, []):
            if _label_only(stored.unit) or ADDRESSES_SYSTEM.search(stored.unit.display):
                continue  # a bare label says nothing; a line addressed to the system is never quoted
            words = content_words(stored.unit.display)
            overlap = len(asked & words) / len(asked) if asked else 0.0
            score = float(stored.vector @ query_vector) + LEXICAL_WEIGHT * overlap - 0.03 * rank
            scored.append(ScoredUnit(rank, stored, score))
    return scored


def _label_only(unit) -> bool:
    """A bold lead-in such as "**Signs you rushed it:**", or a diagram's branch label such as
    "THE GAP (The sale itself)": each says nothing alone."""
    text = unit.display
    if unit.kind == "line":
        letters = [ch for ch in re.sub(r"\(.*?\)", "", text) if ch.isalpha()]
        if len(letters) >= 3 and all(ch.isupper() for ch in letters):
            return True
    return text.rstrip("*").rstrip().endswith(":") and len(text.split()) <= 6


def _select(scored: list[ScoredUnit], procedural: bool) -> list[ScoredUnit]:
    """What the answer says, within a budget of about ``WORD_BUDGET`` words.

    For a how-to question whose top passage is a sequence of steps, its steps come first.
    Each other top passage leads with its own best unit (a question often needs
    two sections: what to say, and what the objection really means), and the rest of the
    budget goes to the best-scoring units left, repeats removed."""
    top_rank = [s for s in scored if s.hit_rank == 0]
    steps = [s for s in top_rank if s.stored.unit.step]
    best = max(s.score for s in scored)
    stepped = procedural and len(steps) >= 3
    children = _step_children(top_rank, steps) if stepped else []
    chosen = list(steps) if stepped else []
    floor = best * RELATIVE_FLOOR
    leads = []
    for rank in sorted({s.hit_rank for s in scored})[:LEAD_PASSAGES]:
        if any(c.hit_rank == rank for c in chosen):
            continue  # its steps already lead
        own = max((s for s in scored if s.hit_rank == rank), key=lambda s: s.score)
        if own.score >= best * LEAD_FLOOR:
            leads.append(own)
    words = sum(_words(c) for c in chosen)
    by_score = sorted(scored, key=lambda s: -s.score)
    top_first = [] if stepped else [s for s in by_score if s.hit_rank == 0 and s.score >= floor][:TOP_UNITS]
    # the steps, then each other section's lead (what the objection really means, say), then
    # the steps' examples, then the best of the rest, as the word budget allows
    for candidate in leads + children + top_first + by_score:
        if len(chosen) >= MAX_UNITS:
            break
        if stepped and candidate.hit_rank == 0 and candidate not in children:
            continue  # the steps and their best children are what the top passage says
        if candidate in leads or candidate in children or candidate.score >= floor:
            size = _words(candidate)
            if chosen and words + size > WORD_BUDGET:
                continue
            if not any(_same(candidate, c) for c in chosen):
                chosen.append(candidate)
                words += size
    return _answer_first(_with_antecedents(chosen, scored))


_LEADING_PRONOUN = re.compile(r"^(?:they|this|that|these|those|it|its|he|she|their)\b", re.IGNORECASE)


def _opens_with_pronoun(unit: ScoredUnit) -> bool:
    return unit.stored.unit.kind == "sentence" and bool(_LEADING_PRONOUN.match(unit.stored.unit.display.lstrip("*_ ")))


def _antecedent_of(before: ScoredUnit, unit: ScoredUnit) -> bool:
    return (_opens_with_pronoun(unit) and before.stored.chunk_id == unit.stored.chunk_id
            and before.stored.unit.index == unit.stored.unit.index - 1)


def _with_antecedents(chosen: list[ScoredUnit], scored: list[ScoredUnit]) -> list[ScoredUnit]:
    """A sentence that opens with a pronoun ("They are about whether ...") is quoted with the
    sentence before it in the same passage, which says what the pronoun stands for."""
    by_position = {(s.hit_rank, s.stored.chunk_id, s.stored.unit.index): s for s in scored}
    out = list(chosen)
    for unit in chosen:
        if not _opens_with_pronoun(unit):
            continue
        before = by_position.get((unit.hit_rank, unit.stored.chunk_id, unit.stored.unit.index - 1))
        if before is not None and before.stored.unit.kind == "sentence" and not any(_same(before, c) for c in out):
            out.append(before)
    return out


def _answer_first(chosen: list[ScoredUnit]) -> list[ScoredUnit]:
    """Sections in rank order; within each, the unit that best answers the question first
    (the row, the sentence, the question to ask), then the rest in the playbook's own order.
    A section quoted by two or more of its steps keeps them in order: a sequence is the answer."""
    ordered = []
    for rank in sorted({c.hit_rank for c in chosen}):
        own = sorted((c for c in chosen if c.hit_rank == rank), key=lambda s: s.stored.unit.index)
        if sum(1 for c in own if c.stored.unit.step) < 2:
            best = max(own, key=lambda s: s.score)
            lead = [c for c in own if _antecedent_of(c, best)] + [best]  # "X is Y. They are ..." stays together
            own = lead + [c for c in own if c not in lead]
        ordered.extend(own)
    return ordered


def _words(unit: ScoredUnit) -> int:
    return len(unit.stored.unit.display.split())


def _step_children(top_rank: list[ScoredUnit], steps: list[ScoredUnit]) -> list[ScoredUnit]:
    """The best-scoring plain unit under each step, when it is relevant enough."""
    children = []
    step_indexes = [s.stored.unit.index for s in steps]
    best = max(s.score for s in top_rank)
    for i, start in enumerate(step_indexes):
        end = step_indexes[i + 1] if i + 1 < len(step_indexes) else 10**6
        under = [s for s in top_rank if start < s.stored.unit.index < end and not s.stored.unit.step]
        under.sort(key=lambda s: -s.score)
        children.extend(s for s in under[:STEP_CHILDREN] if s.score >= best * RELATIVE_FLOOR)
    return children


def _same(a: ScoredUnit, b: ScoredUnit) -> bool:
    if a.stored.chunk_id == b.stored.chunk_id and a.stored.unit.index == b.stored.unit.index:
        return True
    wa, wb = content_words(a.stored.unit.display), content_words(b.stored.unit.display)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.7


def _render(question: str, chosen: list[ScoredUnit], hits: list[Hit]) -> Answer:
    lines: list[str] = []
    citations: list[Citation] = []
    step_number = 0
    current_rank = None
    numbered = {
        rank for rank in {c.hit_rank for c in chosen}
        if sum(1 for c in chosen if c.hit_rank == rank and c.stored.unit.step) >= 2
    }
    for item in chosen:
        hit = hits[item.hit_rank]
        unit = item.stored.unit
        if item.hit_rank != current_rank:
            current_rank = item.hit_rank
            step_number = 0
            if lines:
                lines.append("")
            lines.append(f"*{hit.chunk.section.split(' > ')[-1]}*")
        n = len(citations) + 1
        citations.append(Citation(
            n=n, source=hit.chunk.source, section=hit.chunk.section, quote=unit.quote,
            text=hit.chunk.text, score=round(item.score, 3),
        ))
        if unit.step and item.hit_rank in numbered:
            step_number += 1
            lines.append(f"{step_number}. {_strip_number(_shown(unit.display))} [{n}]")
        elif step_number:
            lines.append(f"   - {_shown(unit.display)} [{n}]")
        else:
            lines.append(f"- {_shown(unit.display)} [{n}]")
    return Answer(question=question, answer="\n".join(lines), grounded=True, citations=tuple(citations))


def _shown(text: str) -> str:
    """A sentence cut from an italic or bold paragraph keeps one marker of the pair
    ("*These open the door."); the lone marker is dropped so it does not run into the line."""
    for marker in ("**", "*", "_"):
        if text.count(marker) % 2:
            if text.startswith(marker):
                return text[len(marker):]
            if text.endswith(marker):
                return text[: -len(marker)]
    return text


def _strip_number(text: str) -> str:
    return re.sub(r"^\d{1,3}[.)]\s+", "", text)


REFUSAL = (
    "I can't answer that from the team's playbooks and call notes, so I won't guess. "
    "I can help with discovery (SPIN, Gap Selling, the Sandler pain funnel, the 30-minute "
    "call structure), objection handling, next steps, pipeline reviews, forecasting and "
    "coaching reps; try asking about one of those."
)


WEAK_MATCH = ("The playbooks do not address this directly; here are the closest sections, "
              "check they fit before you use them.")
NOT_ENGLISH = ("This question does not look like English: the playbooks are in English and questions in "
               "English work best, so these closest sections may not fit; try asking it in English.")
NOT_ENGLISH_REFUSAL = ("This question does not look like English, and I found nothing in the team's playbooks "
                       "that answers it, so I won't guess. The playbooks are in English and questions in English "
                       "work best; try asking it in English, for example: \"How do I handle a timing objection?\"")


def weak_match(answer: Answer, english: bool = True) -> Answer:
    """The same cited answer, its first line saying plainly that the match is weak (in
    italics, like a section label: it is the answer's own note, not a quoted line)."""
    note = WEAK_MATCH if english else NOT_ENGLISH
    return replace(answer, answer=f"*{note}*\n\n{answer.answer}", match="weak")


def topic_refusal(topic: str) -> str:
    named = topic if topic[:2].isupper() else topic[0].lower() + topic[1:]
    return (f"That looks like a question about {named}, which the team's playbooks "
            "and call notes don't cover, so I won't guess; check the system or the people who own it. "
            "I can help with how to run discovery, handle objections, set next steps, review pipeline "
            "and coach reps.")
