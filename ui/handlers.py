"""What the Ask, Knowledge and Evals tabs do: plain functions of the knowledge base and inputs.

They return display values (markdown, escaped HTML, pandas frames) and never import
gradio, so tests call them directly; the coaching tabs' functions are in ``ui.coaching``.
Library errors (``CoachError``) become their message text. Ingest and source removal
take one lock per data dir; asking never waits for it.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from core.errors import CoachError
from evals.ratings import FeedbackLog
from core.records import Exchange
from rag.sessions import CONTEXT_EXCHANGES
from ui import render, uploads
from ui.uploads import Upload

EXAMPLE_QUESTIONS = (
    "How do I handle a timing objection?",
    "What goes in the first two minutes of a discovery call?",
    "Which implication questions expand the pain?",
    "How often should I run pipeline reviews with my reps?",
)
MAX_TURNS = 50  # answers kept in a browser's history
Progress = Callable[[int, int, str], None]

_LOCKS_GUARD = threading.Lock()
_INGEST_LOCKS: dict[Path, threading.Lock] = {}


def ingest_lock(kb) -> threading.Lock:
    """One lock per data dir around ingest and removal; questions never take it."""
    with _LOCKS_GUARD:
        return _INGEST_LOCKS.setdefault(Path(kb.data_dir).resolve(), threading.Lock())


# -- Ask --------------------------------------------------------------------------------
def new_history() -> dict[str, Any]:
    """A browser's conversation: chat messages and, per answer message index, its answer."""
    return {"messages": [], "answers": {}}


def ask(kb, question: str, k: int = 5, rep: str | None = None,
        earlier: list[Exchange] | None = None) -> dict[str, Any]:
    """The answer as a ``coach ask --json`` object; a user-facing error becomes its message.
    With ``earlier`` exchanges, a follow-up is answered in their context (``standalone_question``)."""
    try:
        if earlier:
            return kb.ask_in_context(question, earlier, k=k, rep=rep or None).to_dict()
        return kb.ask(question, k=k, rep=rep or None).to_dict()
    except CoachError as error:
        return _failed(question, str(error))
    except OSError:  # the index files changed under us while an ingest ran
        return _failed(question, "The knowledge base is being updated right now; ask again in a moment.")


def _failed(question: str, message: str) -> dict[str, Any]:
    return {"question": question, "answer": message, "grounded": False,
            "citations": [], "observations": [], "error": True}


def chat_turn(kb, question: str, history: dict[str, Any] | None, rep: str | None = None,
              k: int = 5) -> tuple[dict[str, Any], str]:
    """Ask, append the exchange to the history, and return it with the sources panel."""
    history = _valid_history(history)
    if not (question or "").strip():
        return history, latest_sources(history)
    answer = ask(kb, question, k=k, rep=rep, earlier=exchanges(history))
    messages = history["messages"] + [
        {"role": "user", "content": render.safe_markdown(" ".join(question.split()))},
        {"role": "assistant", "content": render.answer_markdown(answer)},
    ]
    answers = dict(history["answers"]) | {str(len(messages) - 1): answer}
    history = _trim({"messages": messages, "answers": answers})
    return history, render.sources_html(answer, len(history["messages"]) - 1)


def exchanges(history: dict[str, Any] | None, last: int = CONTEXT_EXCHANGES) -> list[Exchange]:
    """The conversation's earlier questions (as asked and as answered), oldest first."""
    answers = _valid_history(history)["answers"]
    found = []
    for index in sorted(answers, key=int)[-last:]:
        answer = answers[index]
        if isinstance(answer, dict) and not answer.get("error") and isinstance(answer.get("question"), str):
            found.append(Exchange(answer["question"], answer.get("standalone_question") or answer["question"]))
    return found


def restore(history: dict[str, Any] | None) -> tuple[list[dict[str, str]], str]:
    """Chat messages and sources panel for a history read back from the browser."""
    history = _valid_history(history)
    return history["messages"], latest_sources(history)


def latest_answer(history: dict[str, Any] | None) -> dict[str, Any] | None:
    answers = _valid_history(history)["answers"]
    return answers[max(answers, key=int)] if answers else None


def latest_sources(history: dict[str, Any] | None) -> str:
    """The sources panel of the newest answer (the empty panel before any)."""
    answers = _valid_history(history)["answers"]
    index = max(answers, key=int) if answers else None
    return render.sources_html(answers[index] if index else None, int(index) if index else None)


def sources_for_message(history: dict[str, Any] | None, index: int) -> str:
    """The sources panel for the answer at chat message ``index`` (e.g. a clicked message);
    a question's message shows the sources of the answer after it."""
    answers = _valid_history(history)["answers"]
    for at in (index, index + 1):
        if str(at) in answers:
            return render.sources_html(answers[str(at)], at)
    return latest_sources(history)


def record_feedback(kb, history: dict[str, Any] | None, index: int, liked: bool, comment: str = "") -> str:
    """Store a thumbs up/down on the answer at chat message ``index``; returns a confirmation."""
    answer = _valid_history(history)["answers"].get(str(index))
    if answer is None:
        return "Pick an answer to rate: use the thumbs under a reply."
    try:
        FeedbackLog(kb.store.feedback_path).record(
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
                report = kb.ingest(sorted(set(stored)), progress=progress, kind="playbook" if playbook else "call")
        except CoachError as error:
            for p in placed:
                if p.stored is not None and not p.duplicate:
                    uploads.remove(p.stored, kb.data_dir)
            return str(error), _rejections(placed)
    rows = _report_rows(placed, report, kb.roots())
    rows = [[*row[:1], source_label(kb, row[1]) if row[1] else "", *row[2:]] for row in rows]
    for p, row in zip(placed, rows):
        if row[2] == "skipped" and p.stored is not None:
            uploads.remove(p.stored, kb.data_dir)  # uploads/ keeps only files that were ingested
    return _summary(rows, report), pd.DataFrame(rows, columns=REPORT_COLUMNS)


def _report_rows(placed: list[uploads.Placed], report, roots) -> list[list[str]]:
    status = dict(report.files) if report else {}
    reasons: dict[str, list[str]] = {}
    for skipped in report.skipped if report else ():
        reasons.setdefault(skipped.path, []).append(skipped.error)
    rows = []
    for p in placed:
        if p.stored is None:
            rows.append([p.upload.name, "", "rejected", p.problem])
            continue
        source = roots.key_for(p.stored.resolve()) or str(p.stored)
        state = status.get(source, "unchanged")
        detail = "; ".join(reasons.get(source, []))
        if p.duplicate:
            detail = detail or "the same file was uploaded before"
        if state == "skipped":
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


def store_listing(kb) -> tuple[str, pd.DataFrame, list[tuple[str, str]]]:
    """What the store holds, by kind and source, and (label, key) choices for removal."""
    try:
        documents = kb.docstore.documents()
        counts = kb.docstore.counts()
    except (OSError, sqlite3.Error) as error:
        return f"The store cannot be read ({error}); check the data dir", pd.DataFrame(columns=STORE_COLUMNS), []
    ordered = sorted(documents.values(), key=lambda d: (d.kind != "playbook", d.source))
    labels = source_labels(kb, [d.source for d in ordered])
    rows = [["Playbook" if d.kind == "playbook" else "Call notes", labels[d.source], len(kb.docstore.chunks_of(d.source)),
             d.ingested_at.replace("T", " ")[:16], "yes" if uploads.is_upload(kb.data_dir, Path(d.path)) else ""]
            for d in ordered]
    summary = (f"**{len(documents)} files** — {counts.get('playbook_documents', 0)} playbooks, "
               f"{counts.get('call_documents', 0)} call-note files; {counts.get('chunks', 0)} passages.")
    return summary, pd.DataFrame(rows, columns=STORE_COLUMNS), [(labels[d.source], d.source) for d in ordered]


NOTE_COLUMNS = ["Date", "Rep", "Account", "Type", "File"]


def call_notes(kb, query: str | None = "") -> tuple[str, pd.DataFrame]:
    """The call notes in the store, newest first, with rep and date; ``query`` keeps the notes
    whose rep, account or file name holds every word of it (any case)."""
    try:
        notes = kb.docstore.notes()
    except (CoachError, OSError, sqlite3.Error) as error:
        return f"The store cannot be read ({error}); check the data dir", pd.DataFrame(columns=NOTE_COLUMNS)
    labels = source_labels(kb, sorted({n.source for n in notes}))
    rows = sorted(([n.date, n.rep, n.account or "", n.call_type or "", labels[n.source]] for n in notes),
                  key=lambda row: (row[0], row[1], row[4]), reverse=True)
    words = (query or "").lower().split()
    shown = [row for row in rows
             if all(word in f"{row[1]} {row[2]} {row[4]}".lower() for word in words)]
    if not rows:
        note = "No call notes yet."
    elif words:
        note = (f"**{len(shown)} of {len(rows)} call notes** match “{render.safe_markdown(' '.join(words))}”."
                if shown else f"No call note's rep, account or file name holds “{render.safe_markdown(' '.join(words))}”.")
    else:
        note = f"**{len(rows)} call notes**, newest first."
    return note, pd.DataFrame(shown, columns=NOTE_COLUMNS)


_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{12}-")


def source_label(kb, source: str) -> str:
    """A document key as a person reads it: relative to its knowledge folder, an upload as
    ``uploads/calls/name.md`` (without the prefix that keeps stored names unique), never a
    server path."""
    return source_labels(kb, [source])[source]


def source_labels(kb, sources: list[str]) -> dict[str, str]:
    """Labels for many keys at once; two keys that would read the same get a number."""
    try:
        folders = kb.roots().folders
    except (CoachError, OSError):
        folders = {}
    upload_root = uploads.uploads_dir(kb.data_dir).resolve()
    knowledge = [label for label, folder in folders.items() if not _inside(folder, upload_root)]
    labels: dict[str, str] = {}
    seen: dict[str, int] = {}
    for source in sources:
        root, _, rest = source.partition("/")
        folder = folders.get(root)
        if folder is None or not rest:
            label = PurePosixPath(source).name or source
        elif _inside(folder, upload_root):
            parts = PurePosixPath(root, rest).parts
            label = str(PurePosixPath("uploads", *parts[1:-1], _UPLOAD_PREFIX.sub("", parts[-1])))
        else:
            label = rest if len(knowledge) == 1 else source
        seen[label] = seen.get(label, 0) + 1
        labels[source] = label if seen[label] == 1 else f"{label} ({seen[label]})"
    return labels


def _inside(folder: Path, root: Path) -> bool:
    try:
        resolved = Path(folder).resolve()
    except OSError:
        return False
    return resolved == root or resolved.is_relative_to(root)


@dataclass(frozen=True)
class Removal:
    """What the last removal took out, so it can be put back."""

    source: str
    label: str
    path: str  # where the file was
    kind: str  # "playbook" or "call"
    kept: str | None = None  # an uploaded file's copy in the uploads trash


def removal_question(kb, source: str | None) -> str:
    """The confirmation asked before a removal; empty when there is nothing to remove."""
    if not source:
        return ""
    document = kb.docstore.documents().get(source)
    if document is None:
        return f"{source_label(kb, source)} is not in the store (it may have been removed already)."
    passages = len(kb.docstore.chunks_of(source))
    what = "playbook" if document.kind == "playbook" else "call-note file"
    return (f"Remove the {what} **{render.safe_markdown(source_label(kb, source))}** and its {passages} "
            f"passage{'s' if passages != 1 else ''}? Answers stop quoting it. You can undo this.")


def remove_source(kb, source: str | None) -> tuple[str, Removal | None]:
    """Take one source out of the store; an uploaded file goes to the uploads trash, so the
    removal can be undone (``undo_removal``)."""
    if not source:
        return "Choose a source to remove.", None
    document = kb.docstore.documents().get(source)
    label = source_label(kb, source)
    if document is None:
        return f"{label} is not in the store (it may have been removed already).", None
    path = Path(document.path)
    uploaded = uploads.is_upload(kb.data_dir, path)
    try:
        with ingest_lock(kb):
            kept = uploads.trash(path, kb.data_dir) if uploaded else None
            kb.remove_source(source)
    except CoachError as error:
        return str(error), None
    removal = Removal(source, label, str(path), document.kind, str(kept) if kept else None)
    if not uploaded and path.exists():
        return (f"Removed {label}. The file itself is still in the knowledge folder: delete or move it, "
                f"or the next `coach ingest` of that folder adds it back."), removal
    return f"Removed {label}.", removal


def undo_removal(kb, removal: Removal | None) -> str:
    """Put the last removed source back: its file where it was, ingested again."""
    if removal is None:
        return "Nothing to undo."
    path = Path(removal.path)
    try:
        with ingest_lock(kb):
            if removal.kept is not None:
                uploads.untrash(Path(removal.kept), path, kb.data_dir)
            if not path.exists():
                return f"{removal.label} cannot be put back: its file is gone."
            report = kb.ingest([path], kind=removal.kind)
    except CoachError as error:
        return str(error)
    if report.skipped:
        return f"{removal.label} could not be ingested again: {report.skipped[0].error}"
    return f"{removal.label} is back in the store."


# -- Evals ------------------------------------------------------------------------------
NO_EVAL_REPORT = ("No evaluation report yet. Run `coach eval` (or `coach eval --fast`) and the latest "
                  "report appears here.")


EVAL_COLUMNS = ["Metric", "Value", "Measured over", "Note"]
FEEDBACK_COLUMNS = ["Rated", "Question", "Comment", "Answer"]


def latest_eval_report(kb) -> str:
    """The newest report written by ``coach eval`` or the button, as markdown."""
    from evals.report import load_latest, render_markdown

    report = load_latest(Path(kb.data_dir))
    return NO_EVAL_REPORT if report is None else _without_paths(kb, render_markdown(report))


def run_fast_eval(kb) -> tuple[str, pd.DataFrame, str]:
    """What ``coach eval --fast`` runs (the fixed dev subset, the memory checks), saved as the
    latest report; returns a summary line, the metrics and the report as markdown."""
    from evals import golden
    from evals.runner import evaluate

    started = time.monotonic()
    try:
        report, _, _ = evaluate(kb, ("dev",), golden.load_fast_subset())
    except CoachError as error:
        return str(error), pd.DataFrame(columns=EVAL_COLUMNS), latest_eval_report(kb)
    rows = [[name, _value(metric), metric.n, metric.note]
            for scope in report.sets.values() for name, metric in scope.metrics.items()]
    rows += [[name, _value(metric), metric.n, metric.note] for name, metric in report.suite.items()]
    questions = sum(len(s.questions) for s in report.sets.values())
    summary = (f"**Fast evaluation finished** in {time.monotonic() - started:.1f} s: {questions} dev questions "
               "and the coaching-memory checks, as `coach eval --fast` runs them. Saved as the latest report.")
    return summary, pd.DataFrame(rows, columns=EVAL_COLUMNS), latest_eval_report(kb)


def _value(metric) -> str:
    if metric.value is None:
        return "n/a"
    return f"{metric.value:.3f}" if metric.value <= 1 else f"{metric.value:.0f}"


def _without_paths(kb, text: str) -> str:
    """A report as the browser shows it: the store named, not its place on the server."""
    for path in {str(Path(kb.data_dir)), str(Path(kb.data_dir).resolve())}:
        text = text.replace(path, Path(kb.data_dir).name or "the data dir")
    return text


def thumbs_down(kb) -> tuple[str, pd.DataFrame]:
    """Answers rated thumbs-down, newest first, with the rater's comment, for review."""
    try:
        items = [item for item in FeedbackLog(kb.store.feedback_path).all() if item.rating == "down"]
    except CoachError as error:
        return str(error), pd.DataFrame(columns=FEEDBACK_COLUMNS)
    if not items:
        return "No thumbs-down answers yet.", pd.DataFrame(columns=FEEDBACK_COLUMNS)
    rows = [[render.when(item.at), item.question, item.comment or "—", _short(item.answer)]
            for item in reversed(items)]
    count = f"{len(items)} thumbs-down answer{'s' if len(items) != 1 else ''}"
    return f"**{count}** to review.", pd.DataFrame(rows, columns=FEEDBACK_COLUMNS)


def _short(answer: str, limit: int = 240) -> str:
    flat = " ".join(re.sub(r"[*_`]+", "", answer).split())  # markdown emphasis read as plain text
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def export_feedback(kb) -> tuple[str, str | None]:
    """Write thumbs-down questions as eval lines in the data dir; returns (message, file)."""
    target = kb.store.feedback_export_path
    try:
        count = FeedbackLog(kb.store.feedback_path).export_eval_questions(target)
    except CoachError as error:
        return str(error), None
    if not count:
        return "No thumbs-down answers yet; nothing to export.", None
    return (f"Wrote {count} question{'s' if count != 1 else ''} to {target.name} (download it below). Fill in "
            "`expected` and `must_mention` before adding them to a golden set (`coach eval --add-feedback` "
            "queues them for review in evals/golden/feedback.jsonl)."), str(target)
