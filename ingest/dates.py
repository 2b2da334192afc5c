"""Parse the date formats call notes use (see docs/call-notes.md) into ISO yyyy-mm-dd."""

from __future__ import annotations

import re
from datetime import date, datetime

ACCEPTED_FORMATS = "2026-09-02, 2026/09/02, 02 Sep 2026 or Sep 2, 2026"

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

_NUMERIC = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")


def parse_date(value: str) -> str:
    """Return ``value`` as ISO yyyy-mm-dd; raise ValueError if it is not a known format.

    Month names are matched without the locale, so ``Sep`` works everywhere.
    """
    text = value.strip()
    parsed = _numeric(text) or _named(text) or _iso_datetime(text)
    if parsed is None:
        raise ValueError(f"not a date: {value!r}; use {ACCEPTED_FORMATS}")
    return parsed.isoformat()


def _numeric(text: str) -> date | None:
    match = _NUMERIC.fullmatch(text)
    if not match:
        return None
    return _make(int(match.group(1)), int(match.group(3)), int(match.group(4)))


def _named(text: str) -> date | None:
    if match := _DAY_MONTH_YEAR.fullmatch(text):
        day, month, year = match.groups()
    elif match := _MONTH_DAY_YEAR.fullmatch(text):
        month, day, year = match.groups()
    else:
        return None
    number = _MONTHS.get(month.lower())
    return _make(int(year), number, int(day)) if number else None


def _iso_datetime(text: str) -> date | None:
    # only full datetimes here: a bare date was handled by _numeric
    if len(text) <= 10 or text[10] not in "T ":
        return None
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
