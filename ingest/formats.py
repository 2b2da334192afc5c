"""Which parser reads which file, and how call notes become retrievable chunks."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.records import CallNote, Chunk
from ingest import call_note, csv_export, markdown
from ingest.files import SourceFile


@dataclass(frozen=True)
class ParsedSource:
    chunks: list[Chunk]
    notes: list[CallNote] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # per-row problems, e.g. CSV


def parse_source(file: SourceFile, text: str) -> ParsedSource:
    """Parse one file; raises InputError when the whole file is unusable."""
    suffix = file.path.suffix.lower()
    if file.kind == "playbook":
        return ParsedSource(chunks=markdown.parse(file.path, file.source, text=text))
    if suffix == ".csv":
        notes, row_problems = csv_export.parse(file.path, file.source)
        problems = [f"row {row}: {reason}" for row, reason in row_problems]
    else:
        notes, problems = call_note.parse(file.path, file.source), []
    return ParsedSource(chunks=note_chunks(notes), notes=notes, problems=problems)


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
