"""Read a JSON-lines file of objects, with errors that name the file and line."""

from __future__ import annotations

import json
from pathlib import Path

from core.errors import InputError


def read_lines(path: Path, unreadable_hint: str = "check the path") -> list[str]:
    """The file's lines; InputError (one line, with ``unreadable_hint``) when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise InputError(f"cannot read {path} ({reason}); {unreadable_hint}") from None


def read_objects(path: Path, unreadable_hint: str = "check the path") -> list[tuple[int, dict]]:
    """(line number, object) for every non-blank line; InputError names a bad line."""
    lines = read_lines(path, unreadable_hint)
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            row = None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{number}: not a JSON object; fix that line")
        rows.append((number, row))
    return rows
