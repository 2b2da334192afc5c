"""Call notes sent by a program (``coach mcp``'s retain_note): checked, then written as a real
note file under ``<data-dir>/notes/`` so ingest reads them like any other note.

Checks run before anything is written, so a refused note changes nothing stored: size
limits, a real date, one-line header fields, and no line addressed to the system or an
AI (``core.safety``). The file name is ``<date>-<rep>-<hash>.md``; the same note sent
twice is stored once.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from core.errors import InputError
from core.safety import line_addressing_system

MAX_NOTE_CHARS = 20_000
MAX_FIELD_CHARS = 100
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class NoteDraft:
    rep: str
    date: str  # yyyy-mm-dd
    text: str
    account: str | None = None
    call_type: str | None = None  # discovery, demo, negotiation, coaching, ...


def check_note(draft: NoteDraft) -> NoteDraft:
    """The draft with its fields tidied; InputError (one line, what to fix) if it cannot be used."""
    rep = _field("rep", draft.rep, required=True)
    account = _field("account", draft.account)
    call_type = _field("call_type", draft.call_type)
    return NoteDraft(rep=rep, date=_date(draft.date), text=_text(draft.text), account=account, call_type=call_type)


def retain(kb, draft: NoteDraft):
    """Check, write and ingest one note through the knowledge base; returns the ingest report.
    Nothing is left behind when the checks or the ingest refuse it."""
    note = check_note(draft)  # before the store is even opened
    kb.require_content()
    folder = kb.store.notes_dir
    path = write_note(folder, note)
    fresh = not _already_ingested(kb, path)
    config = kb.store.memory_dir if kb.memory.configured else None
    try:
        report = kb.ingest([path], config_dir=config)
    except BaseException:
        if fresh:
            path.unlink(missing_ok=True)
        raise
    if report.skipped:
        if fresh:
            path.unlink(missing_ok=True)
        raise InputError(f"the note could not be read back ({report.skipped[0].error}); fix it and send it again")
    return report


def _already_ingested(kb, path: Path) -> bool:
    resolved = str(path.resolve())
    return any(str(Path(d.path).resolve()) == resolved for d in kb.docstore.documents().values())


def write_note(folder: Path, draft: NoteDraft) -> Path:
    """Write the (checked) note; returns its path. An identical note already there is reused."""
    content = render(draft)
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:10]
    path = Path(folder) / f"{draft.date}-{_slug(draft.rep)}-{digest}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return path
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    return path


def render(draft: NoteDraft) -> str:
    header = {"rep": draft.rep, "date": draft.date}
    header |= {k: v for k, v in (("account", draft.account), ("call_type", draft.call_type)) if v}
    front = yaml.safe_dump(header, sort_keys=False, allow_unicode=True).strip()
    return f"---\n{front}\n---\n{draft.text.strip()}\n"


def _field(name: str, value, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        return None
    if not isinstance(value, str):
        raise InputError(f"{name} must be text")
    if not value.strip():
        raise InputError(f"{name} is empty; give the rep's full name, e.g. \"Jane Doe\"")
    value = " ".join(value.split())
    if len(value) > MAX_FIELD_CHARS or _CONTROL.search(value):
        raise InputError(f"{name} must be one line of at most {MAX_FIELD_CHARS} characters")
    if line_addressing_system(value):
        raise InputError(f"{name} reads like an instruction to the system, not a call detail; fix it and send the note again")
    return value


def _date(value) -> str:
    try:
        parsed = date.fromisoformat(value) if isinstance(value, str) and len(value.strip()) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InputError(f"date {value!r} is not a calendar date; use yyyy-mm-dd, e.g. 2026-09-02")
    return parsed.isoformat()


def _text(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError("the note text is empty; send what happened on the call")
    if len(value) > MAX_NOTE_CHARS:
        raise InputError(f"the note is {len(value):,} characters; the limit is {MAX_NOTE_CHARS:,}. "
                         "Split it into several notes")
    if _CONTROL.search(value):
        raise InputError("the note contains control characters; send plain text")
    found = line_addressing_system(value)
    if found:
        number, line = found
        shown = line if len(line) <= 60 else line[:59] + "…"
        raise InputError(f"line {number} of the note is addressed to the system or an AI ({shown!r}); "
                         "notes record what happened on a call: remove that line and send the note again")
    return value


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40] or "rep"
