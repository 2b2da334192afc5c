"""What the coaching tabs (Observations, Mental models) show: functions of the knowledge base.

Like ``ui.handlers`` they return display values and never import gradio. A store
without coaching memory yet (no call notes, no taxonomy) shows an empty state.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from core.errors import CoachError, InputError
from core.records import Intervention, Observation
from ui import handlers, markdown, render, scorecard
from ui.chart import RateChart, RatePoint, RateSeries, SessionMark

NO_OBSERVATIONS = "No observations yet — ingest call notes (Knowledge tab or `coach ingest knowledge/`)."
NO_MODELS = "No mental models yet — they are built from `knowledge/bank.json` when knowledge is ingested."


# -- Observations -----------------------------------------------------------------------
@dataclass(frozen=True)
class ObservationsView:
    message: str  # empty when there are rows
    table: pd.DataFrame
    observations: list[Observation] = field(default_factory=list)  # in table order
    chart: RateChart = field(default_factory=RateChart)
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
        return list(kb.reps())
    except (CoachError, OSError, sqlite3.Error):  # an empty or unreadable store has no reps to offer
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
        return ObservationsView(str(error), empty, chart=RateChart(empty=str(error)))
    if not everything:
        return ObservationsView(NO_OBSERVATIONS, empty, chart=RateChart(empty=NO_OBSERVATIONS))
    labels = theme_labels(kb)
    labels |= {o.theme: _pretty(o.theme) for o in everything if o.theme not in labels}
    colors = theme_colors(labels)
    wanted = [o for o in everything
              if (include_one_offs or o.promoted) and _matches(o, theme, polarity, start, end)]
    chart = rate_chart(kb, wanted, labels, colors, rep, polarity, start, end)
    if not wanted:
        return ObservationsView("No observations match these filters.", empty, [], chart)
    wanted.sort(key=lambda o: (o.last_seen, o.calls), reverse=True)
    rows = [[o.rep or "Team: " + ", ".join(o.reps), labels.get(o.theme, _pretty(o.theme)), o.polarity,
             o.statement, o.calls, _seen(o)] for o in wanted]
    return ObservationsView("", pd.DataFrame(rows, columns=OBSERVATION_COLUMNS), wanted, chart,
                            trend_table(wanted, labels, start, end))


def rate_chart(kb, observations: list[Observation], labels: dict[str, str], colors: dict[str, str],
               rep: str | None, polarity: str | None, start: date | None, end: date | None) -> RateChart:
    """Each listed theme's rate by week (weeks that overlap From..To), one line per theme.

    The rate is the share of the calls that judged the theme which showed the gap (the
    strength, when the filter is Strengths); with all reps, their calls are added up per
    week. Coaching sessions on the charted themes, in the period, are marked on it.
    """
    measure = "strength" if polarity == "strength" else "gap"
    who = rep or "all reps"
    title = (f"Share of calls showing the strength, by week — {who}" if measure == "strength"
             else f"Gap rate by week — {who}")
    weeks: dict[str, dict[str, list[int]]] = {}  # theme -> week -> [calls, gap calls]
    counted: set[tuple[str, str]] = set()
    for o in observations:
        if o.rep is None or (o.rep, o.theme) in counted:
            continue
        counted.add((o.rep, o.theme))
        for w in o.trend:
            if _in_period(w.week, start, end):
                tally = weeks.setdefault(o.theme, {}).setdefault(w.week, [0, 0])
                tally[0] += w.calls
                tally[1] += w.gap_calls
    series = []
    for theme_id in sorted(weeks, key=lambda t: labels.get(t, t)):
        points = []
        for week, (calls, gaps) in sorted(weeks[theme_id].items()):
            rate = gaps / calls if calls else 0.0
            points.append(RatePoint(week, 1 - rate if measure == "strength" else rate, calls, gaps))
        label = labels.get(theme_id, _pretty(theme_id))
        series.append(RateSeries(label, colors.get(theme_id, _PALETTE[0]), tuple(points)))
    sessions = session_marks(kb, rep, set(weeks), labels, start, end) if series else ()
    empty = "No calls judged these themes in this period." if observations else "No observations match these filters."
    return RateChart(title, measure, tuple(series), sessions, empty)


def session_marks(kb, rep: str | None, themes: set[str], labels: dict[str, str],
                  start: date | None, end: date | None) -> tuple[SessionMark, ...]:
    """One mark per coaching-session date on the charted themes, its sessions in the tooltip."""
    try:
        items = kb.interventions(rep=rep or None)
    except CoachError:
        return ()
    by_day: dict[str, list[str]] = {}
    for i in items:
        day = _iso(i.date)
        if i.theme not in themes or day is None or (start and day < start) or (end and day > end):
            continue
        by_day.setdefault(i.date, []).append(
            f"{i.rep}, {labels.get(i.theme, _pretty(i.theme))} ({_verdict(i.helped)}): {' '.join(i.action.split())}")
    return tuple(SessionMark(day, f"Coaching session {day}\n" + "\n".join(lines))
                 for day, lines in sorted(by_day.items()))


def _in_period(week: str, start: date | None, end: date | None) -> bool:
    monday = _iso(week)
    if monday is None:
        return False
    return not ((start and monday + timedelta(days=6) < start) or (end and monday > end))


def trend_table(observations: list[Observation], labels: dict[str, str],
                start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Per rep and theme, each week's calls that judged the theme and the share with the gap,
    so a coach sees what changed after an intervention."""
    rows, seen = [], set()
    for o in sorted(observations, key=lambda o: (o.rep or "", o.theme)):
        if o.rep is None or (o.rep, o.theme) in seen:
            continue
        seen.add((o.rep, o.theme))
        for w in o.trend:
            if not _in_period(w.week, start, end):
                continue
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
    """A colour per theme id, in theme id order, so narrowing the filters never repaints a theme."""
    return {theme_id: _PALETTE[i % len(_PALETTE)] for i, theme_id in enumerate(sorted(labels))}


INTERVENTION_COLUMNS = ["Date", "Rep", "Theme", "Coaching action", "Before", "After", "Result"]


def interventions_table(kb, rep: str | None = None, theme: str | None = None, date_from: str | None = None,
                        date_to: str | None = None) -> tuple[str, pd.DataFrame]:
    """Coaching sessions for the filters (rep, theme, From..To); a bad date is reported by the
    observations view, so here it only leaves that bound open."""
    note, _, table = interventions_listed(kb, rep, theme, date_from, date_to)
    return note, table


def interventions_listed(kb, rep: str | None = None, theme: str | None = None, date_from: str | None = None,
                         date_to: str | None = None) -> tuple[str, list[Intervention], pd.DataFrame]:
    """As ``interventions_table``, with the interventions in table order (for a picked row's detail)."""
    empty = pd.DataFrame(columns=INTERVENTION_COLUMNS)
    try:
        items: list[Intervention] = kb.interventions(rep=rep or None)
    except CoachError as error:
        return str(error), [], empty
    if not items:
        return "No coaching interventions found yet — they come from coaching-session notes.", [], empty
    start, end = _day_or_none(date_from), _day_or_none(date_to)
    items = [i for i in items if (not theme or i.theme == theme) and _on_or_between(i.date, start, end)]
    if not items:
        return "No coaching interventions match these filters.", [], empty
    labels = theme_labels(kb)
    items = sorted(items, key=lambda i: i.date, reverse=True)
    rows = [[i.date, i.rep, labels.get(i.theme, _pretty(i.theme)), i.action,
             _counts(i.before), _counts(i.after), _verdict(i.helped)]
            for i in items]
    return "Pick a row to see the calls before and after the session.", items, \
        pd.DataFrame(rows, columns=INTERVENTION_COLUMNS)


def intervention_detail(kb, items: list[Intervention], row: int | None) -> str:
    """The calls before and after the session in table row ``row``."""
    chosen = items[row] if row is not None and 0 <= row < len(items) else None
    return scorecard.intervention_detail_html(kb, chosen, theme_labels(kb))


def scorecard_for(kb, rep: str | None) -> str:
    """The scorecard panel: ``rep``'s, or one row per rep."""
    return scorecard.scorecard_html(kb, rep or None, theme_labels(kb))


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


def _day_or_none(value: Any) -> date | None:
    try:
        return _day(value, "")
    except InputError:
        return None


def _on_or_between(day: str, start: date | None, end: date | None) -> bool:
    when = _iso(day)
    return when is None or not ((start and when < start) or (end and when > end))


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
    """The model as a document (``[n]`` linked to its source cards), its numbered source
    cards, and its version history as a change list (all HTML)."""
    if not model_id:
        return _hint(NO_MODELS), "", ""
    try:
        model = kb.mental_model(model_id)
        history = kb.model_history(model_id) or []
    except CoachError as error:
        return _hint(str(error)), "", ""
    labels = handlers.source_labels(kb, sorted({c.source for c in model.citations}))
    return render.model_html(model), render.model_sources_html(model, labels), render.history_html(history)


def _hint(message: str) -> str:
    return f'<p class="coach-hint">{markdown.inline(message)}</p>'
