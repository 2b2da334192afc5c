"""A whole source document, opened from a source card: read through the store, rendered safely.

The browser sends a document key (``knowledge/calls/x.md``), never a path; a key the
store does not hold is refused. A playbook is put back together from its stored passages
under their section headings; a call note shows its header fields and its body as
ingested. Everything goes through ``ui.markdown`` (escaped, no links, no images, no HTML).
"""

from __future__ import annotations

import sqlite3

from core.errors import CoachError
from ui import handlers, markdown
from ui.render import text

MAX_REQUEST = 1000  # characters: a document key is far shorter


def stored_notes(kb) -> list:
    """The store's call notes; none when the store cannot be read (a view shows it empty)."""
    try:
        return kb.docstore.notes()
    except (CoachError, OSError, sqlite3.Error):
        return []


def accounts(kb) -> dict[str, str]:
    """Document key -> the account its (first) call note names."""
    found: dict[str, str] = {}
    for note in stored_notes(kb):
        if note.account and note.source not in found:
            found[note.source] = note.account
    return found


def requested(value: str | None) -> str:
    """The document key in a request from the page (``key`` then a newline and a counter)."""
    return (value or "")[:MAX_REQUEST].split("\n", 1)[0].strip()


def document_html(kb, request: str | None) -> str:
    """The document viewer for a request from the page; empty when there is none."""
    source = requested(request)
    if not source:
        return ""
    opened = text((request or "").rpartition("\n")[2][:40])  # a new request always redraws the viewer
    try:
        document = kb.docstore.documents().get(source)
    except (CoachError, OSError, sqlite3.Error) as error:
        return _viewer(opened, "Document", "Not available", f'<p class="coach-hint">{text(error)}</p>')
    if document is None:
        return _viewer(opened, "Document", "Not in the store",
                       '<p class="coach-hint">This document is not in the store (it may have been removed).</p>')
    label = handlers.source_label(kb, source)
    if document.kind == "playbook":
        return _viewer(opened, "Playbook", label, _playbook(kb, source), source)
    return _viewer(opened, "Call note", label, _call_notes(kb, source), source)


def _playbook(kb, source: str) -> str:
    lines: list[str] = []
    shown: list[str] = []
    for chunk in sorted(kb.docstore.chunks_of(source), key=lambda c: c.ordinal):
        path = [part.strip() for part in chunk.section.split(">") if part.strip()]
        same = 0
        while same < min(len(path), len(shown)) and path[same] == shown[same]:
            same += 1
        for depth in range(same, len(path)):
            lines += [f"{'#' * min(6, depth + 1)} {path[depth]}", ""]
        shown = path
        lines += [chunk.text.strip("\n"), ""]
    return markdown.to_html("\n".join(lines), heading_shift=1)


_FIELDS = (("rep", "Rep"), ("date", "Date"), ("account", "Account"), ("call_type", "Call type"),
           ("coach", "Coach"), ("stage", "Stage"), ("outcome", "Outcome"))


def _call_notes(kb, source: str) -> str:
    notes = sorted((n for n in kb.docstore.notes() if n.source == source), key=lambda n: (n.row or 0, n.date))
    if not notes:  # a note ingested before notes were kept: its passages
        return markdown.to_html("\n\n".join(c.text for c in kb.docstore.chunks_of(source)), heading_shift=1)
    parts = []
    for note in notes:
        fields = "".join(f"<dt>{label}</dt><dd>{text(getattr(note, name))}</dd>"
                         for name, label in _FIELDS if getattr(note, name))
        row = f'<div class="coach-meta">Row {note.row}</div>' if note.row else ""
        parts.append(f'<section class="coach-doc-note">{row}<dl class="coach-doc-fields">{fields}</dl>'
                     f"{markdown.to_html(note.body.strip(), heading_shift=1)}</section>")
    return "".join(parts)


def _viewer(opened: str, kind: str, title: str, body: str, source: str = "") -> str:
    return (f'<div class="coach-doc-modal" role="dialog" aria-modal="true" aria-label="{text(title)}" '
            f'data-opened="{opened}" data-source="{text(source)}"><div class="coach-doc-box">'
            f'<div class="coach-doc-head"><div><span class="coach-kind">{text(kind)}</span>'
            f'<h2 class="coach-doc-title">{text(title)}</h2></div>'
            '<button type="button" class="coach-doc-close" aria-label="Close the document">Close</button></div>'
            f'<div class="coach-doc-body coach-md">{body}</div></div></div>')
