"""What the coaching tabs (Observations, Mental models) show: functions of the knowledge base.

Like ``ui.handlers`` they return display values and never import gradio. A store
without coaching memory yet (no call notes, no taxonomy) shows an empty state.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from core.errors import CoachError, InputError
from core.names import same_rep
from core.records import Evidence, Intervention, Observation
from ui import render

NO_OBSERVATIONS = "No observations yet — ingest call notes (Knowledge tab or `coach ingest knowledge/`)."
NO_MODELS = "No mental models yet — they are built from `knowledge/bank.json` when knowledge is ingested."


# -- Observations -----------------------------------------------------------------------
@dataclass(frozen=True)
class ObservationsView:
    message: str  # empty when there are rows
    table: pd.DataFrame
    observations: list[Observation] = field(default_factory=list)  # in table order
    chart: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["week", "theme", "facts"]))
    chart_title: str = ""
    colors: dict[str, str] = field(default_factory=dict)  # theme label -> colour, stable across filters
    trend: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TREND_COLUMNS))


OBSERVATION_COLUMNS = ["Rep", "Theme", "Type", "Observation", "Calls", "Seen"]
TREND_COLUMNS = ["Rep", "Theme", "Week", "Calls", "Gap calls", "Gap rate"]


def theme_labels(kb) -> dict[str, str]:
    """Theme id -> label from the taxonomy; empty before one is ingested."""
    try:
        themes = kb.themes() or []
    except CoachError:
        return {}
    return {theme.id: theme.label for theme in themes}


def rep_names(kb) -> list[str]:
    """Reps with call notes in the store, for the filters."""
    try:
        return sorted({note.rep for note in kb.docstore.notes() if note.rep})
    except (CoachError, OSError, sqlite3.Error):  # an unreadable store has no reps to offer
        return []


def observations_view(kb, rep: str | None = None, theme: str | None = None, polarity: str | None = None,
                      date_from: str | None = None, date_to: str | None = None,
                      include_one_offs: bool = False) -> ObservationsView:
    """The filtered observation table and the per-week theme chart."""
    empty = pd.DataFrame(columns=OBSERVATION_COLUMNS)
    try:
        start, end = _day(date_from, "From"), _day(date_to, "To")
        everything = kb.observations(rep=rep or None, include_one_offs=True)
    except CoachError as error:
        return ObservationsView(str(error), empty)
    if not everything:
        return ObservationsView(NO_OBSERVATIONS, empty)
    labels = theme_labels(kb)
    labels |= {o.theme: _pretty(o.theme) for o in everything if o.theme not in labels}
    colors = theme_colors({o.theme: labels[o.theme] for o in everything})
    wanted = [o for o in everything
              if (include_one_offs or o.promoted) and _matches(o, theme, polarity, start, end)]
    charted = [o for o in everything if _matches(o, theme, polarity, start, end)]
    chart = theme_timeline(charted, labels, start, end, keep=evidence_by(kb, rep) if rep else None)
    title = f"Facts per week by theme — {rep or 'all reps'}"
    colors = {label: colour for label, colour in colors.items() if label in set(chart["theme"])}
    if not wanted:
        return ObservationsView("No observations match these filters.", empty, [], chart, title, colors)
    wanted.sort(key=lambda o: (o.last_seen, o.calls), reverse=True)
    rows = [[o.rep or "Team: " + ", ".join(o.reps), labels.get(o.theme, _pretty(o.theme)), o.polarity,
             o.statement, o.calls, _seen(o)] for o in wanted]
    return ObservationsView("", pd.DataFrame(rows, columns=OBSERVATION_COLUMNS), wanted, chart, title, colors,
                            trend_table(wanted, labels))


def trend_table(observations: list[Observation], labels: dict[str, str]) -> pd.DataFrame:
    """Per rep and theme, each week's calls that judged the theme and the share with the gap,
    so a coach sees what changed after an intervention."""
    rows, seen = [], set()
    for o in sorted(observations, key=lambda o: (o.rep or "", o.theme)):
        if o.rep is None or (o.rep, o.theme) in seen:
            continue
        seen.add((o.rep, o.theme))
        for w in o.trend:
            rows.append([o.rep, labels.get(o.theme, _pretty(o.theme)), w.week, w.calls, w.gap_calls,
                         f"{w.gap_rate:.0%}"])
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def evidence_for(kb, observations: list[Observation], row: int | None) -> str:
    """Evidence quotes (with their note paths) of the observation in table row ``row``."""
    if row is None or not 0 <= row < len(observations):
        return '<p class="coach-hint">Select a row to see its evidence quotes and the notes they come from.</p>'
    observation = observations[row]
    return render.evidence_html(observation, theme_labels(kb).get(observation.theme, _pretty(observation.theme)))


_PALETTE = ("#4f46e5", "#f59e0b", "#10b981", "#ef4444", "#0ea5e9", "#a855f7", "#84cc16", "#ec4899",
            "#78350f", "#f97316", "#64748b", "#0f766e", "#facc15", "#1e3a8a", "#be123c", "#a3a3a3")


def theme_colors(labels: dict[str, str]) -> dict[str, str]:
    """A colour per theme label, in theme id order, so narrowing the filters never repaints a theme."""
    return {label: _PALETTE[i % len(_PALETTE)] for i, (_, label) in enumerate(sorted(labels.items()))}


def theme_timeline(observations: list[Observation], labels: dict[str, str],
                   start: date | None = None, end: date | None = None,
                   keep: Callable[[Evidence], bool] | None = None) -> pd.DataFrame:
    """One row per (week, theme): how many facts (dated evidence quotes) fall in that week.

    ``keep`` picks the evidence to count (e.g. one rep's, out of team observations).
    """
    seen: set[tuple[str, str, str, str]] = set()
    rows = []
    for o in observations:
        for e in o.evidence:
            day = _iso(e.date)
            key = (o.theme, e.source, e.date, e.quote)
            if day is None or key in seen or (start and day < start) or (end and day > end):
                continue
            if keep is not None and not keep(e):
                continue
            seen.add(key)
            week = day - timedelta(days=day.weekday())
            rows.append({"week": week.isoformat(), "theme": labels.get(o.theme, _pretty(o.theme))})
    if not rows:
        return pd.DataFrame(columns=["week", "theme", "facts"])
    frame = pd.DataFrame(rows).groupby(["week", "theme"]).size().reset_index(name="facts")
    return frame.sort_values(["week", "theme"]).reset_index(drop=True)


def evidence_by(kb, rep: str) -> Callable[[Evidence], bool]:
    """A test for "this evidence quote comes from one of ``rep``'s call notes"."""
    notes: dict[tuple[str, str], list] = {}
    for note in kb.docstore.notes():
        notes.setdefault((note.source, note.date), []).append(note)

    def keep(evidence: Evidence) -> bool:
        candidates = notes.get((evidence.source, evidence.date), [])
        if len(candidates) > 1:  # a CSV export holds several calls on one day
            quote = _squash(evidence.quote)
            candidates = [n for n in candidates if quote in _squash(n.body)] or candidates
        return any(same_rep(n.rep, rep) for n in candidates)

    return keep


def _squash(text: str) -> str:
    return " ".join(text.replace("*", "").replace("_", "").split()).lower()


INTERVENTION_COLUMNS = ["Date", "Rep", "Theme", "Coaching action", "Before", "After", "Result"]


def interventions_table(kb, rep: str | None = None) -> tuple[str, pd.DataFrame]:
    empty = pd.DataFrame(columns=INTERVENTION_COLUMNS)
    try:
        items: list[Intervention] = kb.interventions(rep=rep or None)
    except CoachError as error:
        return str(error), empty
    if not items:
        return "No coaching interventions found yet — they come from coaching-session notes.", empty
    labels = theme_labels(kb)
    rows = [[i.date, i.rep, labels.get(i.theme, _pretty(i.theme)), i.action,
             _counts(i.before), _counts(i.after), _verdict(i.helped)]
            for i in sorted(items, key=lambda i: i.date, reverse=True)]
    return "", pd.DataFrame(rows, columns=INTERVENTION_COLUMNS)


def _matches(o: Observation, theme: str | None, polarity: str | None, start: date | None, end: date | None) -> bool:
    if theme and o.theme != theme:
        return False
    if polarity and o.polarity != polarity:
        return False
    first, last = _iso(o.first_seen), _iso(o.last_seen)
    if start and last and last < start:
        return False
    return not (end and first and first > end)


def _seen(o: Observation) -> str:
    return o.first_seen if o.first_seen == o.last_seen else f"{o.first_seen} → {o.last_seen}"


def _counts(count) -> str:
    return f"gap in {count.gap_calls} of {count.calls} calls"


def _verdict(helped: bool | None) -> str:
    return {True: "helped", False: "did not help"}.get(helped, "too early to tell")


def _day(value: Any, label: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):  # a timestamp from a date picker
        return datetime.fromtimestamp(value).date()
    day = _iso(str(value)[:10])
    if day is None:
        raise InputError(f"{label} date {value!r} is not a date; write it as 2026-09-01")
    return day


def _iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _pretty(theme_id: str) -> str:
    return theme_id.replace("-", " ").capitalize()


# -- Mental models ----------------------------------------------------------------------
def model_choices(kb) -> list[tuple[str, str]]:
    """(name, id) of each mental model, for a selector."""
    try:
        models = kb.mental_models() or []
    except CoachError:
        return []
    return [(m.name, m.id) for m in models]


def model_view(kb, model_id: str | None) -> tuple[str, str, str]:
    """The model as a markdown document, its numbered sources, and its version history."""
    if not model_id:
        return NO_MODELS, "", ""
    try:
        model = kb.mental_model(model_id)
        history = kb.model_history(model_id) or []
    except CoachError as error:
        return str(error), "", ""
    return render.model_markdown(model), render.model_sources(model), render.history_markdown(history)
