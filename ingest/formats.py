"""One table maps each kind of file to its parser; call notes become retrievable chunks.

Every parser is pure: it takes the text that was read and hashed, and the document's key,
never a path, so the text parsed is the text whose hash decides what to re-embed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from core.errors import InputError
from core.records import CallNote, Chunk, SourceKind
from ingest import call_note, csv_export, markdown
from ingest.kinds import detect_kind


@dataclass(frozen=True)
class ParsedSource:
    kind: SourceKind
    chunks: list[Chunk]
    notes: list[CallNote] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # per-row problems, e.g. CSV


def _playbook(text: str, source: str) -> ParsedSource:
    return ParsedSource("playbook", markdown.parse(text, source))


def _note(text: str, source: str) -> ParsedSource:
    notes = call_note.parse(text, source)
    return ParsedSource("call", note_chunks(notes), notes)


def _csv_export(text: str, source: str) -> ParsedSource:
    notes, row_problems = csv_export.parse(text, source)
    return ParsedSource("call", note_chunks(notes), notes, [f"row {row}: {reason}" for row, reason in row_problems])


# (kind, file format) -> parser; the format is "csv" for CSV exports, "text" otherwise
PARSERS: dict[tuple[SourceKind, str], Callable[[str, str], ParsedSource]] = {
    ("playbook", "text"): _playbook,
    ("call", "text"): _note,
    ("call", "csv"): _csv_export,
}


def parse_source(source: str, text: str, kind: SourceKind | None = None) -> ParsedSource:
    """Parse one document's text; ``kind`` None means: tell it from the text. Raises
    InputError when the whole file is unusable."""
    suffix = PurePosixPath(source).suffix.lower()
    kind = kind or detect_kind(suffix, text)
    file_format = "csv" if suffix == ".csv" else "text"
    parser = PARSERS.get((kind, file_format))
    if parser is None:
        raise InputError(f"a {suffix} file cannot be a {kind}; playbooks are markdown (.md)")
    return parser(text, source)


def note_chunks(notes: list[CallNote]) -> list[Chunk]:
    chunks: list[Chunk] = []
    for note in notes:
        chunks.extend(markdown.chunk_markdown(
            note.body, source=note.source, kind="call", root=note_title(note),
            rep=note.rep, date=note.date, start_ordinal=len(chunks),
        ))
    return chunks


def note_title(note: CallNote) -> str:
    parts = [note.date, note.rep]
    if note.account:
        parts.append(note.account)
    if note.call_type:
        parts.append(note.call_type)
    row = f" (row {note.row})" if note.row else ""
    return "Call note: " + ", ".join(parts) + row
