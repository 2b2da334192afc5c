"""Rep names, matched one way everywhere: case and spacing do not matter, and a first
name alone names the rep when exactly one rep has it ("Dana" is Dana Okafor)."""

from __future__ import annotations

from collections.abc import Iterable


def rep_key(name: str | None) -> str:
    """The form a rep's name is stored and filtered by: lower case, single spaces."""
    return " ".join((name or "").split()).lower()


def same_rep(full: str | None, given: str | None) -> bool:
    """True when ``given`` (a full or first name) names the rep called ``full``."""
    full_key, given_key = rep_key(full), rep_key(given)
    if not full_key or not given_key:
        return False
    return full_key == given_key or full_key.split()[0] == given_key


def reps_named(given: str, known: Iterable[str]) -> list[str]:
    """The known reps ``given`` names: the one with that full name, else every rep with
    that first name (sorted)."""
    names = sorted(set(known))
    exact = [n for n in names if rep_key(n) == rep_key(given)]
    return exact[:1] or [n for n in names if same_rep(n, given)]


def resolve_rep(given: str, known: Iterable[str]) -> str | None:
    """The one known rep that ``given`` names, or None when none or several do."""
    named = reps_named(given, known)
    return named[0] if len(named) == 1 else None
