"""What a file is, read from what it holds, never from the folder it sits in.

- a CSV file is a call-notes export;
- a header (YAML front matter or ``Key: value`` lines) that names a rep, or a date with
  other call fields (account, call type, coach, stage, outcome), makes a call note;
- timestamped transcript lines make a call note;
- markdown with headings and no call header is a playbook.

Anything else is ambiguous and gets a reason that names both ways out: add the call
header, or pass ``coach ingest --kind playbook|call``.
"""

from __future__ import annotations

import re

from core.errors import InputError
from core.records import SourceKind
from ingest.frontmatter import normalise_key, split_header
from ingest.transcript import is_transcript_line

KINDS: tuple[SourceKind, ...] = ("playbook", "call")
CALL_FIELDS = frozenset({"account", "call_type", "type", "coach", "stage", "outcome"})
PLAYBOOK_SUFFIXES = frozenset({".md", ".markdown"})
_HEADING = re.compile(r"^#{1,6}\s+\S", re.MULTILINE)
TRANSCRIPT_PROBE_LINES = 60


def detect_kind(suffix: str, text: str) -> SourceKind:
    """The kind of a file with this suffix and text; InputError when it cannot be told."""
    if suffix.lower() == ".csv":
        return "call"
    try:
        header = split_header(text, "")
    except InputError:
        header = None  # broken front matter: the parser of either kind reports it
    fields = {normalise_key(k) for k, v in (header.fields.items() if header else ()) if v and v.strip()}
    body = header.body if header else text
    if "rep" in fields or ("date" in fields and fields & CALL_FIELDS):
        return "call"
    if any(is_transcript_line(line) for line in body.splitlines()[:TRANSCRIPT_PROBE_LINES]):
        return "call"
    if suffix.lower() in PLAYBOOK_SUFFIXES and _HEADING.search(body):
        return "playbook"
    if "date" in fields:
        return "call"  # a dated note without a rep: the call parser says what is missing
    playbook = ("or ingest it with --kind playbook if it is a playbook" if suffix.lower() in PLAYBOOK_SUFFIXES
                else "or save a playbook as markdown (.md)")
    raise InputError(
        "cannot tell whether this is a call note or a playbook; for a call note add the lines "
        f"'rep: Full Name' and 'date: 2026-09-02' at the top, {playbook}"
    )
