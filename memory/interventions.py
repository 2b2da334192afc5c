"""Coaching interventions and whether they measurably helped.

An intervention is coaching feedback for a rep on a theme (from a coaching session, or
feedback written into a call note). The rep's calls that assessed that theme (a strength
or a gap fact on it) are split at the intervention date: calls up to and including that
date are "before", later ones "after". ``helped`` is True when the gap rate fell, False
when it did not, None while fewer than ``min_later_calls`` later calls exist.
"""

from __future__ import annotations

from collections import defaultdict

from coach.records import CallCount, Fact, Intervention
from memory.consolidate import most_common
from memory.retain import call_key


def judge_interventions(facts: list[Fact], min_later_calls: int = 2) -> list[Intervention]:
    assessed = _assessed_calls(facts)
    out = []
    for (rep, date, theme), feedback in _feedback_groups(facts).items():
        calls = assessed.get((rep, theme), {})
        before = _count(calls, lambda d: d <= date)
        after = _count(calls, lambda d: d > date)
        out.append(Intervention(
            rep=rep, date=date, theme=theme, action=feedback[0].quote,
            before=before, after=after, helped=_helped(before, after, min_later_calls),
            source=feedback[0].source,
        ))
    return sorted(out, key=lambda i: (i.date, i.rep))


def _feedback_groups(facts: list[Fact]) -> dict[tuple, list[Fact]]:
    """Feedback facts grouped per (rep, date, theme); an untagged instruction takes the
    theme its note is mostly about."""
    note_themes: dict[str, list[str]] = defaultdict(list)
    for fact in facts:
        if fact.theme:
            note_themes[fact.source].append(fact.theme)
    groups: dict[tuple, list[Fact]] = defaultdict(list)
    for fact in facts:
        if fact.kind != "feedback":
            continue
        theme = fact.theme or most_common(note_themes.get(fact.source, []))
        if theme:
            groups[(fact.rep, fact.date, theme)].append(fact)
    return groups


def _assessed_calls(facts: list[Fact]) -> dict[tuple, dict[tuple, tuple[str, bool]]]:
    """(rep, theme) -> call -> (date, had a gap on the theme)."""
    calls: dict[tuple, dict[tuple, tuple[str, bool]]] = defaultdict(dict)
    for fact in facts:
        if fact.kind != "quality" or fact.coaching or not fact.theme:
            continue
        key = call_key(fact)
        _, had_gap = calls[(fact.rep, fact.theme)].get(key, (fact.date, False))
        calls[(fact.rep, fact.theme)][key] = (fact.date, had_gap or fact.polarity == "gap")
    return calls


def _count(calls: dict, when) -> CallCount:
    chosen = [gap for date, gap in calls.values() if when(date)]
    return CallCount(calls=len(chosen), gap_calls=sum(chosen))


def _helped(before: CallCount, after: CallCount, min_later_calls: int) -> bool | None:
    if after.calls < min_later_calls:
        return None
    before_rate = before.gap_calls / before.calls if before.calls else 1.0
    return after.gap_calls / after.calls < before_rate

