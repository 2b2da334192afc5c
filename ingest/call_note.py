"""Parse a Markdown or plain-text call note (docs/call-notes.md, section 1) into a CallNote."""

from __future__ import annotations

from core.errors import InputError
from core.records import CallNote
from ingest.dates import ACCEPTED_FORMATS, parse_date
from ingest.frontmatter import split_header
from ingest.transcript import parse_turns

_OPTIONAL_KEYS = ("account", "call_type", "coach", "stage", "outcome")
_REQUIRED_EXAMPLES = {"rep": "Full Name", "date": "2026-09-02"}
_COACHING_TYPES = frozenset({"coaching", "coaching session", "1:1", "1 on 1", "one on one"})


def parse(text: str, source: str) -> list[CallNote]:
    """The one call in a .md/.markdown/.txt note's text; raises InputError if it cannot be used."""
    header = split_header(text, source)
    fields = note_fields(header.fields)
    missing = [key for key in _REQUIRED_EXAMPLES if key not in fields]
    if missing:
        raise InputError(_missing_message(source, missing, header.style))
    rep = fields["rep"]
    return [
        CallNote(
            source=source,
            rep=rep,
            date=_iso_date(fields["date"], source),
            **{key: fields.get(key) for key in _OPTIONAL_KEYS},
            body=header.body,
            turns=parse_turns(header.body, rep),
        )
    ]


def is_coaching(call_type: str | None) -> bool:
    """True when the call type marks a coaching session rather than a buyer call."""
    if not call_type:
        return False
    return " ".join(call_type.lower().replace("-", " ").split()) in _COACHING_TYPES


def note_fields(raw: dict[str, str]) -> dict[str, str]:
    """Header fields under their canonical keys, without empty values."""
    fields = {key: value.strip() for key, value in raw.items() if value and value.strip()}
    if "type" in fields:
        fields.setdefault("call_type", fields["type"])
    return fields


def _iso_date(value: str, source: str) -> str:
    try:
        return parse_date(value)
    except ValueError:
        raise InputError(
            f"{source}: date '{value}' is not a date coach reads; write it as {ACCEPTED_FORMATS}"
        ) from None


def _missing_message(source: str, missing: list[str], style: str) -> str:
    lines = [f"'{key}: {_REQUIRED_EXAMPLES[key]}'" for key in missing]
    what = " or ".join(missing)
    to_add = f"a line {lines[0]}" if len(lines) == 1 else f"the lines {' and '.join(lines)}"
    return (f"{source}: no {what} in the header; add {to_add} {_where(style)}, "
            "or ingest it with --kind playbook if it is a playbook")


def _where(style: str) -> str:
    if style == "yaml":
        return "to the front matter"
    if style == "lines":
        return "to the header lines at the top"
    return "at the top of the file, followed by a blank line"
