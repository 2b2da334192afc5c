"""Coaching interventions and whether they measurably helped (docs/coaching-memory.md).

An intervention is a coaching instruction or assignment for a rep (in a coaching session,
or written into a call note), filed under the theme its own words are about, never the
note's dominant theme. The rep's buyer calls that judged that theme (a gap or a strength
fact on it) are split at the intervention's date: up to and including that date is
"before", later is "after". The verdict:

- too early to tell (``helped=None``): fewer than ``min_later_calls`` later calls;
- helped (``True``): the later gap rate is below ``HELPED_BELOW`` (one third) and below
  the earlier rate (no earlier calls counts as an earlier rate of 1);
- did not help (``False``): otherwise.
"""

from __future__ import annotations

from collections import defaultdict

from core.records import CallCount, Fact, Intervention
from memory.retain import call_key

HELPED_BELOW = 1 / 3


def rule_text(min_later_calls: int) -> str:
    return (f"helped when the gap rate over the later calls is below one third and below the earlier rate; "
            f"too early to tell with fewer than {min_later_calls} later calls; otherwise did not help")


def judge_interventions(facts: list[Fact], min_later_calls: int = 2) -> list[Intervention]:
    assessed = assessed_calls(facts)
    out = []
    for (rep, date, theme), feedback in _feedback_groups(facts).items():
        calls = assessed.get((rep, theme), {})
        before = _count(calls, lambda d: d <= date)
        after = _count(calls, lambda d: d > date)
        out.append(Intervention(
            rep=rep, date=date, theme=theme, action=feedback[0].quote,
            before=before, after=after, helped=verdict(before, after, min_later_calls),
            source=feedback[0].source, rule=rule_text(min_later_calls),
        ))
    return sorted(out, key=lambda i: (i.date, i.rep, i.theme))


def _feedback_groups(facts: list[Fact]) -> dict[tuple, list[Fact]]:
    """Feedback facts per (rep, date, theme of the instruction itself)."""
    groups: dict[tuple, list[Fact]] = defaultdict(list)
    for fact in facts:
        if fact.kind == "feedback" and fact.theme:
            groups[(fact.rep, fact.date, fact.theme)].append(fact)
    return groups


def assessed_calls(facts: list[Fact]) -> dict[tuple, dict[tuple, tuple[str, bool]]]:
    """(rep, theme) -> call -> (date, had a gap on the theme)."""
    calls: dict[tuple, dict[tuple, tuple[str, bool]]] = defaultdict(dict)
    for fact in facts:
        if fact.kind != "quality" or fact.coaching or not fact.theme or not fact.polarity:
            continue
        key = call_key(fact)
        _, had_gap = calls[(fact.rep, fact.theme)].get(key, (fact.date, False))
        calls[(fact.rep, fact.theme)][key] = (fact.date, had_gap or fact.polarity == "gap")
    return calls


def _count(calls: dict, when) -> CallCount:
    chosen = [gap for date, gap in calls.values() if when(date)]
    return CallCount(calls=len(chosen), gap_calls=sum(chosen))


def verdict(before: CallCount, after: CallCount, min_later_calls: int = 2) -> bool | None:
    if after.calls < min_later_calls:
        return None
    after_rate = after.gap_calls / after.calls
    before_rate = before.gap_calls / before.calls if before.calls else 1.0
    return after_rate < HELPED_BELOW and after_rate < before_rate
