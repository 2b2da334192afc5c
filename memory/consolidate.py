"""Facts -> observations. Only what recurs is promoted:

- a rep pattern: the same rep, theme and polarity in at least ``min_calls`` distinct calls;
- a team pattern: the same theme and polarity recurring (as above) for at least
  ``team_min_reps`` reps, in at least ``team_min_calls`` calls, so one-off comments of
  several reps never add up to a team pattern;
- a working discovery question: the same question surfacing pain in ``min_calls`` calls
  (a question that surfaced pain also counts as a strength of its rep on its theme).

Everything else stays a fact (``promoted=False``, shown by ``coach observations --all``).
Coaching-session notes talk about other calls, so they never count as calls here.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import replace

from coach.records import Evidence, Fact, Observation
from memory.config import Bank, Theme
from memory.retain import call_key

MAX_EVIDENCE = 4


def consolidate(facts: list[Fact], themes: tuple[Theme, ...], bank: Bank) -> list[Observation]:
    labels = {t.id: t.label for t in themes}
    quality = [f for f in facts if f.kind == "quality" and not f.coaching and f.theme and f.polarity]
    # a question that surfaced pain shows the rep's strength on that question's theme
    found_pain = [replace(f, polarity="strength") for f in facts if f.kind == "discovery" and f.theme]
    observations = _rep_patterns(quality + found_pain, labels, bank)
    observations += _team_patterns(quality, labels, bank)
    observations += _working_questions([f for f in facts if f.kind == "discovery"], bank)
    return sorted(observations, key=lambda o: (not o.promoted, -o.calls, o.rep or "", o.theme, o.polarity))


def _rep_patterns(facts: list[Fact], labels: dict[str, str], bank: Bank) -> list[Observation]:
    groups: dict[tuple, list[Fact]] = defaultdict(list)
    for fact in facts:
        groups[(fact.rep, fact.theme, fact.polarity)].append(fact)
    out = []
    for (rep, theme, polarity), group in groups.items():
        calls = {call_key(f) for f in group}
        promoted = len(calls) >= bank.min_calls
        word = "a recurring strength" if polarity == "strength" else "a recurring gap"
        if not promoted:
            word = "a strength" if polarity == "strength" else "a gap"
        statement = f"{rep}: {labels.get(theme, theme)}: {word} ({_calls(len(calls))}, {_span(group)})"
        out.append(_observation(("rep", rep, theme, polarity), rep, theme, polarity, statement, group,
                                promoted=promoted))
    return out


def _team_patterns(facts: list[Fact], labels: dict[str, str], bank: Bank) -> list[Observation]:
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
        kind = "strength" if polarity == "strength" else "gap"
        statement = (f"Team: {labels.get(theme, theme)}: a shared {kind} across {len(reps)} reps "
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


def _observation(key: tuple, rep, theme, polarity, statement, group: list[Fact],
                 reps=(), promoted: bool = True) -> Observation:
    ordered = sorted(group, key=lambda f: (f.date, f.source))
    evidence, seen = [], set()
    for fact in ordered:
        if call_key(fact) in seen:
            continue
        seen.add(call_key(fact))
        evidence.append(Evidence(fact.source, fact.date, fact.quote))
    return Observation(
        id="obs-" + hashlib.sha1("\0".join(str(k) for k in key).encode()).hexdigest()[:10],
        rep=rep, theme=theme, polarity=polarity, statement=statement, calls=len(seen),
        first_seen=ordered[0].date, last_seen=ordered[-1].date,
        evidence=tuple(evidence[:MAX_EVIDENCE]), reps=tuple(reps), promoted=promoted,
    )


def _question_key(question: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", question.lower()))


def most_common(values: list[str]) -> str | None:
    return max(set(values), key=values.count) if values else None


def _calls(n: int) -> str:
    return f"{n} call" if n == 1 else f"{n} calls"


def _span(group: list[Fact]) -> str:
    dates = sorted(f.date for f in group)
    return dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
