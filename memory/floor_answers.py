"""Answer a coach's question (``memory.floor_questions``) from the memory: the promoted
observations and the judged interventions, never from playbook text.

- who: the reps with a recurring pattern of the asked reading on the theme (a pattern that
  turned counts for both of its readings, and says so), with call counts and dated quotes;
- rep: the named rep's recurring patterns (of the asked reading / theme), and how any turned;
- helped: the verdict of each matching coaching intervention, with the calls before and
  after, the coaching text and the rule;
- team: the patterns that recur for several reps, gaps and strengths apart, then the themes
  with the most reps;
- a rep, or a theme, the memory holds nothing on gets one plain sentence instead.

``render`` writes the answer as markdown with ``[n]`` markers, each a dated quote from a
call note.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.records import Citation, FloorAnswer, FloorReading, Intervention, Observation
from memory.config import Theme

QUOTES_PER_OBSERVATION = 2


def answer_from_floor(reading: FloorReading, observations: Sequence[Observation],
                      interventions: Sequence[Intervention], themes: Sequence[Theme],
                      known_reps: Sequence[str]) -> FloorAnswer:
    promoted = [o for o in observations if o.promoted]
    label = {t.id: t.label.lower() for t in themes}
    about = label.get(reading.theme or "", "that")
    if reading.intent == "unknown_rep":
        return FloorAnswer(reading, message=f"No rep called {reading.unknown} in the call notes; "
                                            f"known reps: {', '.join(sorted(known_reps))}.")
    if reading.intent == "unknown_theme":
        return FloorAnswer(reading, message="I can't tell which coaching theme that is about; the memory tracks: "
                                            + ", ".join(sorted(label.values())) + ".")
    if reading.intent == "helped":
        return _helped(reading, interventions, label)
    if reading.intent == "team":
        return _team(reading, promoted, about)
    if reading.intent == "who" or (reading.intent == "mixed" and not reading.reps):
        chosen = [o for o in promoted if o.rep and o.theme == reading.theme and _reads(o, reading.polarity)]
        chosen.sort(key=lambda o: (-o.calls, o.rep))
        if not chosen:
            return FloorAnswer(reading, message=f"No rep shows a recurring {_what(reading.polarity)} on {about} "
                                                f"in the call notes (a pattern needs two or more calls).")
        return FloorAnswer(reading, tuple(chosen))
    # rep and mixed: the named reps' patterns
    chosen = [o for o in promoted if o.rep in reading.reps and (not reading.theme or o.theme == reading.theme)
              and _reads(o, reading.polarity)]
    if not chosen and reading.theme:  # nothing on that theme: say so, with what the rep does show
        who = " or ".join(reading.reps)
        return FloorAnswer(reading, message=f"No recurring {_what(reading.polarity)} on {about} for {who} "
                                            f"in the call notes (a pattern needs two or more calls).")
    if not chosen:
        who = " or ".join(reading.reps)
        return FloorAnswer(reading, message=f"No recurring {_what(reading.polarity)} for {who} in the call notes yet.")
    mine = tuple(i for i in interventions if i.rep in reading.reps and any(o.theme == i.theme for o in chosen))
    chosen.sort(key=lambda o: (o.polarity != (reading.polarity or o.polarity), -o.calls))
    return FloorAnswer(reading, tuple(chosen), mine)


def _reads(o: Observation, polarity: str | None) -> bool:
    return polarity is None or polarity in o.readings


def _what(polarity: str | None) -> str:
    return {"gap": "gap", "strength": "strength"}.get(polarity or "", "pattern")


def _helped(reading: FloorReading, interventions: Sequence[Intervention], label: dict) -> FloorAnswer:
    mine = [i for i in interventions if not reading.reps or i.rep in reading.reps]
    on_theme = [i for i in mine if reading.theme and i.theme == reading.theme]
    chosen = on_theme or (mine if reading.reps else [])
    if not chosen:
        who = " or ".join(reading.reps) if reading.reps else "anyone"
        on = f" on {label[reading.theme]}" if reading.theme in label else ""
        recorded = ", ".join(f"{i.rep} on {label.get(i.theme, i.theme)} ({i.date})" for i in interventions) or "none"
        return FloorAnswer(reading, message=f"No coaching of {who}{on} is recorded in the notes; "
                                            f"coaching recorded: {recorded}.")
    return FloorAnswer(reading, interventions=tuple(sorted(chosen, key=lambda i: i.date)))


def _team(reading: FloorReading, promoted: list[Observation], about: str) -> FloorAnswer:
    team = [o for o in promoted if o.rep is None and o.reps and (not reading.theme or o.theme == reading.theme)
            and _reads(o, reading.polarity)]
    if team:
        return FloorAnswer(reading, tuple(sorted(team, key=lambda o: (-len(o.reps), -o.calls))))
    singles = [o for o in promoted if o.rep and (not reading.theme or o.theme == reading.theme)
               and _reads(o, reading.polarity)]
    if reading.theme and singles:
        reps = ", ".join(sorted({o.rep for o in singles}))
        return FloorAnswer(reading, tuple(singles),
                           message=f"Not a team pattern: only {reps} show a recurring {_what(reading.polarity)} on {about}.")
    kind = _what(reading.polarity)
    return FloorAnswer(reading, message=f"No {kind} recurs for more than one rep in the call notes right now.")


def render(answer: FloorAnswer, themes: Sequence[Theme]) -> tuple[str, tuple[Citation, ...]]:
    """Markdown with [n] markers, and the dated call-note quotes they point at."""
    citations: list[Citation] = []

    def cite(source: str, date: str, quote: str, rep: str | None) -> str:
        for c in citations:
            if c.source == source and c.quote == quote:
                return f"[{c.n}]"
        citations.append(Citation(n=len(citations) + 1, source=source, section=f"{rep or 'call note'} · {date}",
                                  quote=quote, text=quote, score=1.0))
        return f"[{len(citations)}]"

    lines: list[str] = []
    if answer.message:
        lines.append(answer.message)
    for o in answer.observations:
        quotes = _spread(o.evidence)
        marks = " ".join(f"{e.date} {cite(e.source, e.date, e.quote, o.rep)}" for e in quotes)
        who = o.rep or "Team (" + ", ".join(o.reps) + ")"
        text = o.statement if o.statement.startswith(who.split(" (")[0]) else f"{who}: {o.statement}"
        lines.append(f"- **{o.reading}** · {text} {marks}".rstrip())
    for i in answer.interventions:
        mark = cite(i.source, i.date, i.action, i.rep)
        lines.append(f"- **{i.verdict}** · {i.rep}, coached on {_label(themes, i.theme)} on {i.date} {mark}: "
                     f"gap in {i.before.gap_calls} of {i.before.calls} calls before, "
                     f"{i.after.gap_calls} of {i.after.calls} after. Rule: {i.rule}.")
    return "\n".join(lines), tuple(citations)


def _spread(evidence) -> list:
    """Up to QUOTES_PER_OBSERVATION quotes: the first and the last (both readings of a turned pattern)."""
    items = list(evidence)
    if len(items) <= QUOTES_PER_OBSERVATION:
        return items
    return [items[0], items[-1]]


def _label(themes: Sequence[Theme], theme_id: str) -> str:
    return next((t.label.lower() for t in themes if t.id == theme_id), theme_id.replace("-", " "))
