"""Facts -> observations. Only what recurs is promoted (docs/coaching-memory.md):

- a rep pattern: the same rep, theme and polarity in at least ``min_calls`` distinct calls;
- a team pattern: the same theme and polarity recurring (as above) for at least
  ``team_min_reps`` reps, in at least ``team_min_calls`` calls, so one-off comments of
  several reps never add up to a team pattern;
- a working discovery question: the same question surfacing pain in ``min_calls`` calls
  (a question that surfaced pain also counts as a strength of its rep on its theme).

Gaps and strengths are kept apart, and each statement says which it is in the theme's own
words for that polarity ("pitches before discovery is done"), so no label reads as praise
for a mistake. An observation counts distinct calls and lists every evidence quote with its
date. A rep observation carries the rep's weekly gap rate on its theme (``trend``).
Everything else stays a fact (``promoted=False``, shown by ``coach observations --all``).
Coaching-session notes talk about other calls, so they never count as calls here.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta

from core.records import Evidence, Fact, Observation, WeekRate
from memory.config import Bank, Theme
from memory.interventions import assessed_calls
from memory.retain import call_key


def consolidate(facts: list[Fact], themes: tuple[Theme, ...], bank: Bank) -> list[Observation]:
    by_id = {t.id: t for t in themes}
    quality = [f for f in facts if f.kind == "quality" and not f.coaching and f.theme and f.polarity]
    # a question that surfaced pain shows the rep's strength on that question's theme
    found_pain = [replace(f, kind="quality", polarity="strength") for f in facts
                  if f.kind == "discovery" and f.theme and not any(
                      q.source == f.source and q.quote == f.quote and q.theme == f.theme for q in quality)]
    trends = weekly_trends(quality + found_pain)
    observations = _rep_patterns(quality + found_pain, by_id, bank, trends)
    observations += _team_patterns(quality, by_id, bank)
    observations += _working_questions([f for f in facts if f.kind == "discovery"], bank)
    return sorted(observations, key=lambda o: (not o.promoted, -o.calls, o.rep or "", o.theme, o.polarity))


def describe(theme: Theme | None, theme_id: str, polarity: str) -> str:
    """The polarity's own wording, with the kind spelled out: "gap: pitches before ..."."""
    kind = "strength" if polarity == "strength" else "gap"
    wording = theme.statement(polarity) if theme else theme_id.replace("-", " ")
    return f"{wording} ({kind})" if theme and (theme.gap_statement or theme.strength_statement) else wording


def _rep_patterns(facts: list[Fact], themes: dict[str, Theme], bank: Bank, trends) -> list[Observation]:
    groups: dict[tuple, list[Fact]] = defaultdict(list)
    for fact in facts:
        groups[(fact.rep, fact.theme, fact.polarity)].append(fact)
    out = []
    for (rep, theme, polarity), group in groups.items():
        calls = {call_key(f) for f in group}
        promoted = len(calls) >= bank.min_calls
        how = "recurring" if promoted else "once"
        statement = (f"{rep} {describe(themes.get(theme), theme, polarity)}: {how}, "
                     f"{_calls(len(calls))}, {_span(group)}")
        out.append(_observation(("rep", rep, theme, polarity), rep, theme, polarity, statement, group,
                                promoted=promoted, trend=trends.get((rep, theme), ())))
    return out


def _team_patterns(facts: list[Fact], themes: dict[str, Theme], bank: Bank) -> list[Observation]:
    groups: dict[tuple, list[Fact]] = defaultdict(list)
    for fact in facts:
        groups[(fact.theme, fact.polarity)].append(fact)
    out = []
    for (theme, polarity), group in groups.items():
        calls_per_rep: dict[str, set] = defaultdict(set)
        for fact in group:
            calls_per_rep[fact.rep].add(call_key(fact))
        reps = sorted(rep for rep, calls in calls_per_rep.items() if len(calls) >= bank.min_calls)
        group = [f for f in group if f.rep in reps]
        calls = {call_key(f) for f in group}
        if len(reps) < bank.team_min_reps or len(calls) < bank.team_min_calls:
            continue
        statement = (f"Team: each of {len(reps)} reps {describe(themes.get(theme), theme, polarity)} "
                     f"({', '.join(reps)}; {_calls(len(calls))}, {_span(group)})")
        out.append(_observation(("team", theme, polarity), None, theme, polarity, statement, group, reps=reps))
    return out


def _working_questions(facts: list[Fact], bank: Bank) -> list[Observation]:
    groups: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        if fact.question:
            groups[_question_key(fact.question)].append(fact)
    out = []
    for key, group in groups.items():
        calls = {call_key(f) for f in group}
        if len(calls) < bank.min_calls:
            continue
        reps = sorted({f.rep for f in group})
        theme = most_common([f.theme for f in group if f.theme]) or "discovery-questions"
        statement = (f"Asking \"{group[0].question}\" surfaced pain in {_calls(len(calls))} "
                     f"({', '.join(reps)}; {_span(group)})")
        rep = reps[0] if len(reps) == 1 else None
        out.append(_observation(("question", key), rep, theme, "strength", statement, group, reps=reps))
    return out


def weekly_trends(facts: list[Fact]) -> dict[tuple[str, str], tuple[WeekRate, ...]]:
    """(rep, theme) -> per week (Monday), the calls that judged the theme and those with a gap."""
    out = {}
    for (rep, theme), calls in assessed_calls(facts).items():
        weeks: dict[str, list[bool]] = defaultdict(list)
        for day, gap in calls.values():
            weeks[_monday(day)].append(gap)
        out[(rep, theme)] = tuple(WeekRate(w, len(g), sum(g)) for w, g in sorted(weeks.items()))
    return out


def _monday(day: str) -> str:
    try:
        d = date.fromisoformat(day)
    except ValueError:
        return day
    return (d - timedelta(days=d.weekday())).isoformat()


def _observation(key: tuple, rep, theme, polarity, statement, group: list[Fact],
                 reps=(), promoted: bool = True, trend=()) -> Observation:
    ordered = sorted(group, key=lambda f: (f.date, f.source))
    evidence, seen = [], set()
    for fact in ordered:  # every quote, once, with its date
        if (fact.source, fact.date, fact.quote) in seen:
            continue
        seen.add((fact.source, fact.date, fact.quote))
        evidence.append(Evidence(fact.source, fact.date, fact.quote, fact.polarity))
    return Observation(
        id="obs-" + hashlib.sha1("\0".join(str(k) for k in key).encode()).hexdigest()[:10],
        rep=rep, theme=theme, polarity=polarity, statement=statement, calls=len({call_key(f) for f in group}),
        first_seen=ordered[0].date, last_seen=ordered[-1].date,
        evidence=tuple(evidence), reps=tuple(reps), promoted=promoted, trend=tuple(trend),
    )


def _question_key(question: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", question.lower()))


def most_common(values: list[str]) -> str | None:
    return max(sorted(set(values)), key=values.count) if values else None


def _calls(n: int) -> str:
    return f"{n} call" if n == 1 else f"{n} calls"


def _span(group: list[Fact]) -> str:
    dates = sorted(f.date for f in group)
    return dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
