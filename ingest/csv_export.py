"""Parse a CSV export of calls (docs/call-notes.md, section 3): one CallNote per row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from core.errors import InputError
from core.records import CallNote
from ingest.dates import ACCEPTED_FORMATS, parse_date
from ingest.transcript import parse_turns

# field -> accepted header names, in the order they are shown to the user
_ALIASES: dict[str, tuple[str, ...]] = {
    "rep": ("rep", "rep name", "owner", "sales rep"),
    "date": ("date", "call date"),
    "account": ("account", "company", "account name"),
    "call_type": ("call type", "call_type", "type"),
    "notes": ("notes", "summary", "call notes"),
    "coach": ("coach",),
    "stage": ("stage",),
    "outcome": ("outcome",),
}
_REQUIRED = ("rep", "date", "notes")
_OPTIONAL = ("account", "call_type", "coach", "stage", "outcome")

Problem = tuple[int, str]


def parse(text: str, source: str) -> tuple[list[CallNote], list[Problem]]:
    """The usable rows as CallNotes, and (data row, reason) for each row that is not.

    Raises InputError only when the file as a whole cannot be read (no header row, a
    required column missing, broken CSV).
    """
    rows = _records(text, source)
    header = next(rows, None)
    if header is None:
        raise InputError(f"{source}: no header row; add one naming the rep, date and notes columns")
    columns = _columns(header, source)
    notes: list[CallNote] = []
    problems: list[Problem] = []
    for number, cells in enumerate(rows, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        try:
            notes.append(_note(cells, columns, source, number))
        except ValueError as exc:
            problems.append((number, str(exc)))
    return notes, problems


def _records(text: str, source: str) -> Iterator[list[str]]:
    """CSV records, skipping blank lines before the header; quoted cells may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    seen_header = False
    try:
        for cells in reader:
            if not seen_header and not any(cell.strip() for cell in cells):
                continue
            seen_header = True
            yield cells
    except csv.Error as exc:
        raise InputError(
            f"{source}: broken CSV near line {reader.line_num} ({exc}); fix the quoting there"
        ) from None


def _columns(header: list[str], source: str) -> dict[str, int]:
    """Field -> column index; the first matching column wins."""
    by_name = {name: field for field, names in _ALIASES.items() for name in names}
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        field = by_name.get(_header_key(name))
        if field is not None:
            columns.setdefault(field, index)
    missing = [field for field in _REQUIRED if field not in columns]
    if missing:
        accepted = "; ".join(f"{field}: {', '.join(_ALIASES[field])}" for field in missing)
        raise InputError(
            f"{source}: no {' or '.join(missing)} column; add a header named one of ({accepted})"
        )
    return columns


def _header_key(name: str) -> str:
    # "Call-Type", "call_type" and " Call  Type " all become "call type"
    return " ".join(re.sub(r"[_-]", " ", name).lower().split())


def _note(cells: list[str], columns: dict[str, int], source: str, number: int) -> CallNote:
    """One row as a CallNote; ValueError with a one-line reason if the row is unusable."""
    values = {field: _cell(cells, index) for field, index in columns.items()}
    missing = [field for field in ("rep", "date") if not values[field].strip()]
    if missing:
        raise ValueError(f"no {' or '.join(missing)}; fill in the {' and '.join(missing)} cell")
    rep = values["rep"].strip()
    body = values["notes"]
    return CallNote(
        source=source,
        rep=rep,
        date=_row_date(values["date"]),
        **{field: values.get(field, "").strip() or None for field in _OPTIONAL},
        body=body,
        turns=parse_turns(body, rep),
        row=number,
    )


def _cell(cells: list[str], index: int) -> str:
    return cells[index] if index < len(cells) else ""


def _row_date(value: str) -> str:
    try:
        return parse_date(value)
    except ValueError:
        raise ValueError(
            f"date '{value.strip()}' is not a date coach reads; write it as {ACCEPTED_FORMATS}"
        ) from None
