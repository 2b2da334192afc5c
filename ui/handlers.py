"""What each control of the app does: plain functions of the knowledge base and the inputs.

They return display values (markdown, escaped HTML, pandas frames) and never import
gradio, so tests call them directly. Library errors (``CoachError``) become their
message text. Ingest and source removal take one lock per data dir; asking never waits
for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from coach.errors import CoachError, InputError
from coach.feedback import FeedbackLog
from coach.records import Evidence, Intervention, Observation
from ingest.files import display_path
from ui import render, uploads
from ui.uploads import Upload

EXAMPLE_QUESTIONS = (
    "How do I handle a timing objection?",
    "What goes in the first two minutes of a discovery call?",
    "Which implication questions expand the pain?",
    "How often should I run pipeline reviews with my reps?",
)
NO_OBSERVATIONS = "No observations yet — ingest call notes (Knowledge tab or `coach ingest knowledge/`)."
NO_MODELS = "No mental models yet — they are built from `knowledge/bank.json` when knowledge is ingested."
MAX_TURNS = 50  # answers kept in a browser's history
Progress = Callable[[int, int, str], None]

_LOCKS_GUARD = threading.Lock()
_INGEST_LOCKS: dict[Path, threading.Lock] = {}


def ingest_lock(kb) -> threading.Lock:
    """One lock per data dir around ingest and removal; questions never take it."""
    with _LOCKS_GUARD:
        return _INGEST_LOCKS.setdefault(Path(kb.data_dir).resolve(), threading.Lock())


def memory_call(kb, name: str, *args, **kwargs):
    """Call a coaching-memory method, or return None while the library lacks it."""
    method = getattr(kb, name, None)
    return None if method is None else method(*args, **kwargs)


# -- Ask --------------------------------------------------------------------------------
def new_history() -> dict[str, Any]:
    """A browser's conversation: chat messages and, per answer message index, its answer."""
    return {"messages": [], "answers": {}}


def ask(kb, question: str, k: int = 5, rep: str | None = None) -> dict[str, Any]:
    """The answer as a ``coach ask --json`` object; a user-facing error becomes its message."""
    try:
        return kb.ask(question, k=k, rep=rep or None).to_dict()
    except CoachError as error:
        return {"question": question, "answer": str(error), "grounded": False,
                "citations": [], "observations": [], "error": True}


def chat_turn(kb, question: str, history: dict[str, Any] | None, rep: str | None = None,
              k: int = 5) -> tuple[dict[str, Any], str]:
    """Ask, append the exchange to the history, and return it with the sources panel."""
    history = _valid_history(history)
    if not (question or "").strip():
        return history, render.sources_html(latest_answer(history))
    answer = ask(kb, question, k=k, rep=rep)
    messages = history["messages"] + [
        {"role": "user", "content": render.safe_markdown(" ".join(question.split()))},
        {"role": "assistant", "content": render.answer_markdown(answer)},
    ]
    answers = dict(history["answers"]) | {str(len(messages) - 1): answer}
    return _trim({"messages": messages, "answers": answers}), render.sources_html(answer)


def restore(history: dict[str, Any] | None) -> tuple[list[dict[str, str]], str]:
    """Chat messages and sources panel for a history read back from the browser."""
    history = _valid_history(history)
    return history["messages"], render.sources_html(latest_answer(history))


def latest_answer(history: dict[str, Any] | None) -> dict[str, Any] | None:
    answers = _valid_history(history)["answers"]
    return answers[max(answers, key=int)] if answers else None


def sources_for_message(history: dict[str, Any] | None, index: int) -> str:
    """The sources panel for the answer at chat message ``index`` (e.g. a clicked message)."""
    answer = _valid_history(history)["answers"].get(str(index))
    return render.sources_html(answer if answer is not None else latest_answer(history))


def record_feedback(kb, history: dict[str, Any] | None, index: int, liked: bool, comment: str = "") -> str:
    """Store a thumbs up/down on the answer at chat message ``index``; returns a confirmation."""
    answer = _valid_history(history)["answers"].get(str(index))
    if answer is None:
        return "Pick an answer to rate: use the thumbs under a reply."
    try:
        FeedbackLog(kb.data_dir).record(
            question=answer["question"], answer=answer["answer"], grounded=bool(answer.get("grounded")),
            rating="up" if liked else "down", citations=answer.get("citations") or [], comment=comment or "",
        )
    except CoachError as error:
        return str(error)
    return "Thanks — feedback saved." if liked else "Thanks — saved; this question goes on the list to improve."


def _valid_history(history: Any) -> dict[str, Any]:
    if not isinstance(history, dict) or not isinstance(history.get("messages"), list) \
            or not isinstance(history.get("answers"), dict):
        return new_history()
    return history


def _trim(history: dict[str, Any]) -> dict[str, Any]:
    cut = max(0, len(history["messages"]) - 2 * MAX_TURNS)
    if not cut:
        return history
    answers = {str(int(i) - cut): a for i, a in history["answers"].items() if int(i) >= cut}
    return {"messages": history["messages"][cut:], "answers": answers}


# -- Observations -----------------------------------------------------------------------
@dataclass(frozen=True)
class ObservationsView:
    message: str  # empty when there are rows
    table: pd.DataFrame
    observations: list[Observation] = field(default_factory=list)  # in table order
    chart: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["week", "theme", "facts"]))
    chart_title: str = ""
    colors: dict[str, str] = field(default_factory=dict)  # theme label -> colour, stable across filters


OBSERVATION_COLUMNS = ["Rep", "Theme", "Type", "Observation", "Calls", "Seen"]


def theme_labels(kb) -> dict[str, str]:
    themes = memory_call(kb, "themes") or []
    return {theme.id: theme.label for theme in themes}


def rep_names(kb) -> list[str]:
    """Reps with call notes in the store, for the filters."""
    try:
        return sorted({note.rep for note in kb.docstore.notes() if note.rep})
    except Exception:  # an empty or missing store has no reps to offer
        return []


def observations_view(kb, rep: str | None = None, theme: str | None = None, polarity: str | None = None,
                      date_from: str | None = None, date_to: str | None = None,
                      include_one_offs: bool = False) -> ObservationsView:
    """The filtered observation table and the per-week theme chart."""
    empty = pd.DataFrame(columns=OBSERVATION_COLUMNS)
    try:
        start, end = _day(date_from, "From"), _day(date_to, "To")
        everything = memory_call(kb, "observations", rep=rep or None, include_one_offs=True)
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
    return ObservationsView("", pd.DataFrame(rows, columns=OBSERVATION_COLUMNS), wanted, chart, title, colors)


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
        return any(_same_rep(n.rep, rep) for n in candidates)

    return keep


def _same_rep(name: str | None, wanted: str) -> bool:
    name, wanted = (name or "").strip().lower(), wanted.strip().lower()
    return bool(name) and (name == wanted or name.split()[0] == wanted)


def _squash(text: str) -> str:
    return " ".join(text.replace("*", "").replace("_", "").split()).lower()


INTERVENTION_COLUMNS = ["Date", "Rep", "Theme", "Coaching action", "Before", "After", "Result"]


def interventions_table(kb, rep: str | None = None) -> tuple[str, pd.DataFrame]:
    empty = pd.DataFrame(columns=INTERVENTION_COLUMNS)
    try:
        items: list[Intervention] | None = memory_call(kb, "interventions", rep=rep or None)
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
    return {True: "helped", False: "not helped"}.get(helped, "not yet (needs 2 later calls)")


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
        models = memory_call(kb, "mental_models") or []
    except CoachError:
        return []
    return [(m.name, m.id) for m in models]


def model_view(kb, model_id: str | None) -> tuple[str, str, str]:
    """The model as a markdown document, its numbered sources, and its version history."""
    if not model_id:
        return NO_MODELS, "", ""
    try:
        model = memory_call(kb, "mental_model", model_id)
        history = memory_call(kb, "model_history", model_id) or []
    except CoachError as error:
        return str(error), "", ""
    if model is None:
        return NO_MODELS, "", ""
    return render.model_markdown(model), render.model_sources(model), render.history_markdown(history)


# -- Knowledge --------------------------------------------------------------------------
REPORT_COLUMNS = ["File", "Stored as", "Status", "Detail"]
STORE_COLUMNS = ["Kind", "Source", "Passages", "Ingested", "Upload"]


def ingest_uploads(kb, files: list[Upload], playbook: bool = False,
                   progress: Progress | None = None) -> tuple[str, pd.DataFrame]:
    """Place uploads in the data dir, ingest them, and report per file."""
    if not files:
        return "Choose one or more files first.", pd.DataFrame(columns=REPORT_COLUMNS)
    placed = [uploads.place(f, kb.data_dir, playbook) for f in files]
    stored = [p.stored for p in placed if p.stored is not None]
    report = None
    if stored:
        try:
            with ingest_lock(kb):
                report = kb.ingest(sorted(set(stored)), progress=progress)
        except CoachError as error:
            for p in placed:
                if p.stored is not None and not p.duplicate:
                    uploads.remove(p.stored, kb.data_dir)
            return str(error), _rejections(placed)
    rows = _report_rows(kb, placed, report)
    return _summary(rows, report), pd.DataFrame(rows, columns=REPORT_COLUMNS)


def _report_rows(kb, placed: list[uploads.Placed], report) -> list[list[str]]:
    status = dict(report.files) if report else {}
    reasons: dict[str, list[str]] = {}
    for skipped in report.skipped if report else ():
        reasons.setdefault(skipped.path, []).append(skipped.error)
    rows = []
    for p in placed:
        if p.stored is None:
            rows.append([p.upload.name, "", "rejected", p.problem])
            continue
        source = display_path(p.stored.resolve())
        state = status.get(source, "unchanged")
        detail = "; ".join(reasons.get(source, []))
        if p.duplicate:
            detail = detail or "the same file was uploaded before"
        if state == "skipped":
            uploads.remove(p.stored, kb.data_dir)  # keep only usable files in uploads/
            detail += "; fix it and upload again"
        rows.append([p.upload.name, source if state != "skipped" else "", state, detail])
    return rows


def _rejections(placed: list[uploads.Placed]) -> pd.DataFrame:
    rows = [[p.upload.name, "", "rejected" if p.stored is None else "not ingested", p.problem]
            for p in placed]
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def _summary(rows: list[list[str]], report) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[2]] = counts.get(row[2], 0) + 1
    order = ("added", "updated", "unchanged", "skipped", "rejected")
    parts = [f"{counts[s]} {s}" for s in order if counts.get(s)]
    text = "**Ingest finished:** " + ", ".join(parts) + "."
    if report is not None:
        text += f" The store now holds {report.chunks} passages."
        if report.observations or report.models_refreshed:
            text += f" {report.observations} observations; mental models refreshed: " \
                    f"{', '.join(report.models_refreshed) or 'none'}."
    if counts.get("skipped") or counts.get("rejected"):
        text += " See the table for what to fix."
    return text


def store_listing(kb) -> tuple[str, pd.DataFrame]:
    """What the store holds, by kind and source."""
    try:
        documents = kb.docstore.documents()
        counts = kb.docstore.counts()
    except Exception as error:  # noqa: BLE001 - a missing store is an empty listing
        return f"The store cannot be read: {error}", pd.DataFrame(columns=STORE_COLUMNS)
    rows = [["Playbook" if d.kind == "playbook" else "Call notes", d.source, len(kb.docstore.chunks_of(d.source)),
             d.ingested_at.replace("T", " ")[:16], "yes" if uploads.is_upload(kb.data_dir, Path(d.path)) else ""]
            for d in sorted(documents.values(), key=lambda d: (d.kind != "playbook", d.source))]
    summary = (f"**{len(documents)} files** — {counts.get('playbook_documents', 0)} playbooks, "
               f"{counts.get('call_documents', 0)} call-note files; {counts.get('chunks', 0)} passages.")
    return summary, pd.DataFrame(rows, columns=STORE_COLUMNS)


def remove_source(kb, source: str | None) -> str:
    """Take one source out of the store (an uploaded file is also deleted)."""
    if not source:
        return "Choose a source to remove."
    document = kb.docstore.documents().get(source)
    if document is None:
        return f"{source} is not in the store (it may have been removed already)."
    path = Path(document.path)
    library_remove = getattr(kb, "remove_source", None)
    uploaded = uploads.is_upload(kb.data_dir, path)
    if library_remove is None and not uploaded:
        return (f"{source} was ingested from {path.parent}, not uploaded here. To remove it, delete or move "
                f"the file and run: coach ingest {display_path(path.parent)}")
    try:
        with ingest_lock(kb):
            if uploaded:
                uploads.remove(path, kb.data_dir)
            if library_remove is not None:
                library_remove(source)
            else:
                kb.ingest([path.parent])
    except CoachError as error:
        return str(error)
    return f"Removed {source}."


# -- Evals ------------------------------------------------------------------------------
NO_EVAL_REPORT = ("No evaluation report yet. Run `coach eval` (or `coach eval --fast`) and the latest "
                  "report appears here.")


def latest_eval_report(kb) -> str:
    """The newest report written by ``coach eval``, as markdown (evals run from the CLI)."""
    try:
        from evals.report import load_latest, render_markdown
    except ImportError:
        return NO_EVAL_REPORT
    report = load_latest(Path(kb.data_dir))
    return NO_EVAL_REPORT if report is None else render_markdown(report)


def export_feedback(kb) -> tuple[str, str | None]:
    """Write thumbs-down questions as eval lines in the data dir; returns (message, file)."""
    target = Path(kb.data_dir) / "feedback-eval-questions.jsonl"
    try:
        count = FeedbackLog(kb.data_dir).export_eval_questions(target)
    except CoachError as error:
        return str(error), None
    if not count:
        return "No thumbs-down answers yet; nothing to export.", None
    return (f"Wrote {count} question{'s' if count != 1 else ''} to {target}. Fill in `expected` and "
            "`must_mention`, then add them to evals/golden/dev.jsonl."), str(target)
