"""The per-rep scorecard of the Observations tab, and the calls around a coaching session.

A scorecard reads at a glance: a rep's recurring gaps and strengths, the patterns that
turned (``gap, then strength after coaching on DATE``), and the last coaching session
with its verdict. With no rep chosen it is one compact row per rep. Pure functions of
the knowledge base's facade (``observations``, ``interventions``, ``reps``) returning
escaped HTML; gradio is never imported here.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import CoachError
from core.records import Intervention, Observation
from ui import documents
from ui.render import open_button, text

NO_REPS = "No reps yet — ingest call notes to see a scorecard per rep."


@dataclass(frozen=True)
class Pattern:
    theme: str  # the theme's label
    calls: int
    first_seen: str
    last_seen: str
    reading: str  # "gap", "strength", or for a turned pattern its story in words


@dataclass(frozen=True)
class Scorecard:
    rep: str
    gaps: tuple[Pattern, ...] = ()
    strengths: tuple[Pattern, ...] = ()
    turned: tuple[Pattern, ...] = ()
    last_coaching: str | None = None  # ISO date
    coaching: tuple[Intervention, ...] = ()  # the sessions on that date, one per theme
    notes: int = 0  # call notes in the store


def turned_reading(o: Observation) -> str:
    """``gap, then strength after coaching on 2026-09-21`` (or ``... from DATE`` without coaching)."""
    if o.change is None:
        return o.polarity
    when = f"after coaching on {o.change.turned_on}" if o.change.coached else f"from {o.change.turned_on}"
    return f"{o.change.was}, then {o.polarity} {when}"


def scorecards(kb, rep: str | None = None, labels: dict[str, str] | None = None) -> list[Scorecard]:
    """One scorecard per rep (or only ``rep``'s), from the promoted observations and interventions."""
    labels = labels or {}
    reps = [rep] if rep else list(kb.reps())
    observations = kb.observations(rep=rep or None)
    interventions = kb.interventions(rep=rep or None)
    counts = _note_counts(kb)
    cards = []
    for name in reps:
        mine = sorted((o for o in observations if o.rep == name), key=lambda o: (-o.calls, o.theme))
        patterns = {"gap": [], "strength": [], "turned": []}
        for o in mine:
            label = labels.get(o.theme) or o.theme.replace("-", " ").capitalize()
            pattern = Pattern(label, o.calls, o.first_seen, o.last_seen, turned_reading(o))
            patterns["turned" if o.change else o.polarity].append(pattern)
        sessions = [i for i in interventions if i.rep == name]
        last = max((i.date for i in sessions), default=None)
        cards.append(Scorecard(name, tuple(patterns["gap"]), tuple(patterns["strength"]), tuple(patterns["turned"]),
                               last, tuple(i for i in sessions if i.date == last), counts.get(name, 0)))
    return cards


def scorecard_html(kb, rep: str | None, labels: dict[str, str]) -> str:
    """The scorecard panel: the chosen rep's card, or a compact table of every rep."""
    try:
        cards = scorecards(kb, rep, labels)
    except CoachError as error:
        return f'<div class="coach-scorecard"><p class="coach-hint">{text(error)}</p></div>'
    if not cards:
        return f'<div class="coach-scorecard"><p class="coach-hint">{text(NO_REPS)}</p></div>'
    if rep:
        return _card(cards[0], labels)
    return _table(cards, labels)


def _table(cards: list[Scorecard], labels: dict[str, str]) -> str:
    rows = "".join(
        f'<tr data-rep="{text(c.rep)}" tabindex="0" title="Show {text(c.rep)}\'s scorecard">'
        f'<th scope="row">{text(c.rep)}<div class="coach-meta">'
        f'{c.notes} note{"s" if c.notes != 1 else ""}</div></th>'
        f'<td data-label="Recurring gaps">{_names(c.gaps) or _none("none recurring")}</td>'
        f'<td data-label="Recurring strengths">{_names(c.strengths) or _none("none recurring")}</td>'
        f'<td data-label="Changed">{_names(c.turned, story=True) or _none("—")}</td>'
        f'<td data-label="Last coaching">{text(c.last_coaching) if c.last_coaching else _none("no coaching yet")}</td>'
        f'<td data-label="Verdict">{_verdicts(c, labels) or _none("—")}</td></tr>'
        for c in cards)
    return ('<div class="coach-scorecard" id="coach-scorecard-all"><div class="coach-scorecard-title">Scorecard '
            '— every rep <span class="coach-meta">(pick a row, or a rep above, for theirs in full)</span></div>'
            '<div class="coach-scorecard-scroll"><table class="coach-scorecard-table"><thead><tr><th>Rep</th>'
            "<th>Recurring gaps</th><th>Recurring strengths</th><th>Changed</th><th>Last coaching</th>"
            f"<th>Verdict</th></tr></thead><tbody>{rows}</tbody></table></div></div>")


def _card(card: Scorecard, labels: dict[str, str]) -> str:
    def section(title: str, css: str, patterns: tuple[Pattern, ...], empty: str) -> str:
        items = "".join(
            f'<li><span class="coach-scorecard-theme">{text(p.theme)}</span>'
            f'{" — " + text(p.reading) if css == "turned" else ""}'
            f'<span class="coach-meta"> · {p.calls} call{"s" if p.calls != 1 else ""}, '
            f"{text(p.first_seen)} → {text(p.last_seen)}</span></li>"
            for p in patterns) or f'<li class="coach-hint">{text(empty)}</li>'
        return (f'<div class="coach-scorecard-part coach-scorecard-{css}"><h4>{text(title)}</h4>'
                f"<ul>{items}</ul></div>")

    if card.coaching:
        items = "".join(
            f"<li>{text(labels.get(i.theme) or i.theme)}: {_verdict_badge(_verdict(i.helped))} "
            f'<span class="coach-meta">gap in {i.before.gap_calls} of {i.before.calls} calls before, '
            f"{i.after.gap_calls} of {i.after.calls} after</span></li>" for i in card.coaching)
        coaching = (f'<div class="coach-scorecard-part coach-scorecard-coaching"><h4>Last coaching: '
                    f"{text(card.last_coaching)}</h4><ul>{items}</ul></div>")
    else:
        coaching = ('<div class="coach-scorecard-part coach-scorecard-coaching"><h4>Last coaching</h4>'
                    '<ul><li class="coach-hint">No coaching session in the notes yet.</li></ul></div>')
    return (f'<div class="coach-scorecard coach-scorecard-card" data-rep="{text(card.rep)}">'
            f'<div class="coach-scorecard-title">Scorecard — {text(card.rep)} <span class="coach-meta">'
            f'{card.notes} call note{"s" if card.notes != 1 else ""}; recurring patterns, whatever the '
            'filters below</span></div><div class="coach-scorecard-grid">'
            f'{section("Recurring gaps", "gap", card.gaps, "No gap recurs.")}'
            f'{section("Recurring strengths", "strength", card.strengths, "No strength recurs yet.")}'
            f'{section("Changed", "turned", card.turned, "No pattern has turned yet.")}'
            f"{coaching}</div></div>")


def _names(patterns: tuple[Pattern, ...], story: bool = False) -> str:
    return "".join(
        f'<div class="coach-scorecard-item">{text(p.theme)}'
        f'{": " + text(p.reading) if story else ""} <span class="coach-meta">({p.calls})</span></div>'
        for p in patterns)


def _verdicts(card: Scorecard, labels: dict[str, str]) -> str:
    """The last session's verdict; per theme when it coached more than one."""
    if len(card.coaching) == 1:
        return _verdict_badge(_verdict(card.coaching[0].helped))
    return "".join(f'<div class="coach-scorecard-item">{text(labels.get(i.theme) or i.theme)}: '
                   f"{_verdict_badge(_verdict(i.helped))}</div>" for i in card.coaching)


def _none(value: str) -> str:
    return f'<span class="coach-hint">{text(value)}</span>'


def _verdict(helped: bool | None) -> str:
    return {True: "helped", False: "did not help"}.get(helped, "too early to tell")


def _verdict_badge(verdict: str) -> str:
    css = {"helped": "strength", "did not help": "gap"}.get(verdict, "early")
    return f'<span class="coach-badge coach-{css}">{text(verdict)}</span>'


def _note_counts(kb) -> dict[str, int]:
    counts: dict[str, int] = {}
    for note in documents.stored_notes(kb):
        counts[note.rep] = counts.get(note.rep, 0) + 1
    return counts


# -- the calls around a coaching session ---------------------------------------------------
@dataclass(frozen=True)
class CallReading:
    source: str  # document key
    date: str
    reading: str  # gap / strength on the session's theme
    quote: str
    account: str | None = None


@dataclass(frozen=True)
class AroundSession:
    before: tuple[CallReading, ...] = ()
    after: tuple[CallReading, ...] = ()


def calls_around(kb, intervention: Intervention) -> AroundSession:
    """The rep's calls that judged the session's theme, before and after its date: the dated
    sources of the rep's observations on that theme (one-offs included), the session's own
    note left out. (A facade method ``kb.intervention_calls(intervention)`` would say this
    without rebuilding it from evidence.)"""
    try:
        found = kb.observations(rep=intervention.rep, theme=intervention.theme, include_one_offs=True)
    except CoachError:
        return AroundSession()
    accounts = documents.accounts(kb)
    calls: dict[str, CallReading] = {}
    for o in found:
        if o.rep != intervention.rep:
            continue
        for e in o.evidence:
            if e.source == intervention.source or e.source in calls:
                continue
            calls[e.source] = CallReading(e.source, e.date, e.polarity or o.polarity, e.quote,
                                          accounts.get(e.source))
    ordered = sorted(calls.values(), key=lambda c: (c.date, c.source))
    return AroundSession(tuple(c for c in ordered if c.date < intervention.date),
                         tuple(c for c in ordered if c.date >= intervention.date))


def intervention_detail_html(kb, intervention: Intervention | None, labels: dict[str, str]) -> str:
    """A picked intervention: what was asked, the verdict and its rule, and the calls before and after."""
    if intervention is None:
        return '<p class="coach-hint">Pick a coaching session to see the calls before and after it.</p>'
    around = calls_around(kb, intervention)
    label = labels.get(intervention.theme) or intervention.theme

    def calls(title: str, css: str, items: tuple[CallReading, ...], count) -> str:
        rows = "".join(
            f'<li class="coach-call" data-source="{text(c.source)}" data-date="{text(c.date)}">'
            f'<div class="coach-meta">{text(c.date)}{" · " + text(c.account) if c.account else ""} · '
            f'<span class="coach-badge coach-{text(c.reading)}">{text(c.reading)}</span> '
            f"{open_button(c.source)}</div><blockquote>{text(_plain(c.quote))}</blockquote></li>"
            for c in items) or '<li class="coach-hint">No call on this theme.</li>'
        return (f'<div class="coach-calls coach-calls-{css}"><h4>{text(title)} <span class="coach-meta">'
                f"(gap in {count.gap_calls} of {count.calls} calls)</span></h4><ul>{rows}</ul></div>")

    return (f'<div class="coach-intervention" data-date="{text(intervention.date)}">'
            f'<div class="coach-meta">{text(intervention.date)} · {text(intervention.rep)} · {text(label)} · '
            f'{open_button(intervention.source, "Session note")}</div>'
            f"<h4>{text(' '.join(intervention.action.split()))}</h4>"
            f'<p>{_verdict_badge(_verdict(intervention.helped))} <span class="coach-meta">'
            f"{text(intervention.rule)}</span></p>"
            f'<div class="coach-calls-grid">{calls("Calls before", "before", around.before, intervention.before)}'
            f'{calls("Calls after", "after", around.after, intervention.after)}</div></div>')


def _plain(quote: str) -> str:
    return quote.replace("**", "").replace("__", "")
