"""Call-quality metrics from a timestamped transcript, and the facts they imply.

Thresholds come from the Discovery Coach playbook: the buyer should talk 60% of the time
or more (rep share above 40% is a gap), and pitching before minute 15 is a sign the
discovery was rushed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.records import CallNote, Turn

MAX_REP_SHARE = 0.40
EARLIEST_PITCH_MINUTE = 15
OPENING_SECONDS = 120  # the upfront contract may preview a demo; that is not a pitch
_PITCH = re.compile(
    r"\b(let me show|show you|share my screen|sharing my screen|pull up|our platform|our product|"
    r"the deck|a demo|quick demo|here's how we|we can solve|what we do is)\b",
    re.IGNORECASE,
)
_NEXT_STEP = re.compile(
    r"\b(calendar|invite|book(?:ed)? (?:a|the|30|an)|next (?:week|call|meeting|step)|"
    r"monday|tuesday|wednesday|thursday|friday|tomorrow|\d{1,2}(?::\d{2})? ?(?:am|pm))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CallMetrics:
    rep_talk_share: float  # share of words spoken by the rep
    rep_questions: int
    longest_monologue_words: int
    first_pitch_minute: float | None
    next_step_agreed: bool
    longest_monologue: Turn | None
    first_pitch: Turn | None
    next_step: Turn | None


def measure(note: CallNote) -> CallMetrics | None:
    turns = note.turns
    if len(turns) < 4:
        return None
    words = {id(t): len(t.text.split()) for t in turns}
    rep_turns = [t for t in turns if t.role == "rep"]
    total = sum(words.values()) or 1
    monologue = max(rep_turns, key=lambda t: words[id(t)], default=None)
    pitch = next((t for t in rep_turns if t.seconds >= OPENING_SECONDS and _PITCH.search(t.text)), None)
    closing = turns[-max(3, len(turns) // 4):]
    next_step = next((t for t in closing if _NEXT_STEP.search(t.text)), None)
    return CallMetrics(
        rep_talk_share=sum(words[id(t)] for t in rep_turns) / total,
        rep_questions=sum(t.text.count("?") for t in rep_turns),
        longest_monologue_words=words[id(monologue)] if monologue else 0,
        first_pitch_minute=round(pitch.seconds / 60, 1) if pitch else None,
        next_step_agreed=next_step is not None,
        longest_monologue=monologue, first_pitch=pitch, next_step=next_step,
    )


def implied_patterns(metrics: CallMetrics) -> list[tuple[str, str, Turn]]:
    """(theme, polarity, quoted turn) that the metrics show on their own."""
    patterns = []
    if metrics.longest_monologue is not None:
        polarity = "gap" if metrics.rep_talk_share > MAX_REP_SHARE else "strength"
        patterns.append(("talk-listen-ratio", polarity, metrics.longest_monologue))
    if metrics.first_pitch is not None:
        early = metrics.first_pitch_minute < EARLIEST_PITCH_MINUTE
        patterns.append(("pitching-too-early", "gap" if early else "strength", metrics.first_pitch))
    return patterns
