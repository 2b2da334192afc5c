"""One entry for a pattern that turned: a rep's recurring gap on a theme that became a
recurring strength (or the other way round) is one story, not two observations that
contradict each other.

A rep's calls that judged a theme form a timeline. When the rep has both a promoted gap
and a promoted strength observation on the theme, and some date splits that timeline so
that the calls before it are mostly one reading and the calls after it mostly the other
(``MOSTLY``, each side with at least ``min_calls`` calls), the two observations become
one: its polarity is the reading after the turn, ``change`` holds the reading before, the
counts on both sides and the date of the turn. When coaching on the theme came between
the two readings, the turn is dated at that coaching (the story a coach wants: "gap until
coaching on 21 Sep, strength since"). Readings that alternate stay two observations.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from core.records import CallCount, Change, Fact, Intervention, Observation
from memory.config import Theme
from memory.interventions import assessed_calls

MOSTLY = 2 / 3  # share of a side's calls that must carry that side's reading


@dataclass(frozen=True)
class _Turn:
    at: str  # last date of the earlier reading's side (calls on it count as before)
    before: CallCount
    after: CallCount
    coached: bool


def mark_changes(observations: list[Observation], facts: list[Fact], interventions: list[Intervention],
                 themes: tuple[Theme, ...], min_calls: int = 2) -> list[Observation]:
    by_theme = {t.id: t for t in themes}
    assessed = assessed_calls(facts)
    rep_patterns = {(o.rep, o.theme, o.polarity): o for o in observations if o.rep and o.promoted and not o.reps}
    merged: dict[str, Observation] = {}
    for (rep, theme, polarity), gap in rep_patterns.items():
        strength = rep_patterns.get((rep, theme, "strength"))
        if polarity != "gap" or strength is None:
            continue
        calls = sorted(assessed.get((rep, theme), {}).values())  # (date, had a gap)
        coaching = sorted(i.date for i in interventions if i.rep == rep and i.theme == theme)
        for was, now in (("gap", "strength"), ("strength", "gap")):
            turn = _find_turn(calls, was, coaching, min_calls)
            if turn is not None:
                merged[gap.id] = merged[strength.id] = _merge(gap, strength, was, now, turn, by_theme.get(theme))
                break
    out, seen = [], set()
    for o in observations:
        m = merged.get(o.id, o)
        if m.id not in seen:
            seen.add(m.id)
            out.append(m)
    return out


def _find_turn(calls: list[tuple[str, bool]], was: str, coaching: list[str], min_calls: int) -> _Turn | None:
    """The date that best splits the calls into ``was`` before and the other reading after."""
    dates = sorted({d for d, _ in calls})
    candidates = [(d, True) for d in coaching] + [(d, False) for d in dates[:-1]]
    best: tuple[float, _Turn] | None = None
    for at, coached in candidates:
        before = [gap for d, gap in calls if d <= at]
        after = [gap for d, gap in calls if d > at]
        if len(before) < min_calls or len(after) < min_calls:
            continue
        share_was = _share(before, was)
        share_now = _share(after, "strength" if was == "gap" else "gap")
        if share_was < MOSTLY or share_now < MOSTLY:
            continue
        score = share_was + share_now + (1.0 if coached else 0.0)  # a coaching date explains the turn
        if best is None or score > best[0]:
            best = (score, _Turn(at, CallCount(len(before), sum(before)), CallCount(len(after), sum(after)), coached))
    return best[1] if best else None


def _share(gaps: list[bool], reading: str) -> float:
    hits = sum(gaps) if reading == "gap" else len(gaps) - sum(gaps)
    return hits / len(gaps)


def _merge(gap: Observation, strength: Observation, was: str, now: str, turn: _Turn,
           theme: Theme | None) -> Observation:
    earlier, later = (gap, strength) if was == "gap" else (strength, gap)
    evidence = tuple(sorted(earlier.evidence + later.evidence, key=lambda e: (e.date, e.source)))
    old = [e for e in evidence if e.date <= turn.at] or list(earlier.evidence)
    new = [e for e in evidence if e.date > turn.at] or list(later.evidence)
    when = f"after coaching on {turn.at}" if turn.coached else f"from {new[0].date}"
    statement = (f"{gap.rep} {_wording(theme, was)} in {turn.before.calls} calls ({old[0].date} to {old[-1].date}); "
                 f"{when}, {_wording(theme, now)} in {turn.after.calls} calls ({new[0].date} to {new[-1].date}) "
                 f"({was}, then {now})")
    key = "\0".join(("change", gap.rep or "", gap.theme))
    return replace(
        later, id="obs-" + hashlib.sha1(key.encode()).hexdigest()[:10], statement=statement,
        calls=turn.before.calls + turn.after.calls, first_seen=evidence[0].date, last_seen=evidence[-1].date,
        evidence=evidence, trend=gap.trend or strength.trend,
        change=Change(was=was, before=turn.before, after=turn.after, first_was=old[0].date, last_was=old[-1].date,
                      turned_on=turn.at if turn.coached else new[0].date, coached=turn.coached),
    )


def _wording(theme: Theme | None, polarity: str) -> str:
    if theme is None:
        return f"{polarity} on this theme"
    return theme.statement(polarity)
