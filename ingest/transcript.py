"""Timestamped transcript lines inside a call-note body (docs/call-notes.md, section 2)."""

from __future__ import annotations

import re
from typing import Literal

from core.records import Turn

Role = Literal["rep", "buyer", "coach", "other"]


def _time(prefix: str) -> str:
    """``mm:ss`` or ``h:mm:ss``; each spelling of the line needs its own group names."""
    return (
        rf"(?:(?P<{prefix}h>\d{{1,2}}):(?=\d{{2}}:))?"
        rf"(?P<{prefix}m>\d{{1,3}}):(?P<{prefix}s>[0-5]\d)"
    )


_LINE = re.compile(
    rf"^\s*(?:\[{_time('k')}\]|\({_time('p')}\)|{_time('b')}\s+[-–—])"
    r"\s+(?P<speaker>[^:()\[\]]*?[^\s:()\[\]])"
    r"(?:\s*\((?P<role>[^()]*)\))?"
    r"\s*:(?P<text>.*)$"
)
_TIME_PREFIXES = ("k", "p", "b")  # [..], (..), bare followed by " - "

_ROLE_WORDS: dict[str, Role] = {
    "rep": "rep", "ae": "rep", "sdr": "rep", "am": "rep",
    "buyer": "buyer", "prospect": "buyer", "customer": "buyer", "client": "buyer",
    "coach": "coach", "manager": "coach",
}
_BUYER_NAMES = frozenset({"buyer", "prospect", "customer"})


def parse_turns(body: str, rep: str | None) -> tuple[Turn, ...]:
    """The transcript turns in ``body``, in order.

    Non-blank lines without a timestamp continue the previous turn; a blank line ends
    it, so prose after a transcript is not glued onto its last turn. Lines before the
    first timestamped line are ignored.
    """
    turns: list[Turn] = []
    open_turn = False
    for line in body.splitlines():
        match = _LINE.match(line)
        if match:
            turns.append(_turn(match, rep))
            open_turn = True
        elif not line.strip():
            open_turn = False
        elif open_turn:
            turns[-1] = _continued(turns[-1], line.strip())
    return tuple(turns)


def _turn(match: re.Match[str], rep: str | None) -> Turn:
    speaker = " ".join(match.group("speaker").split())
    return Turn(
        seconds=_seconds(match),
        speaker=speaker,
        role=_role(speaker, match.group("role"), rep),
        text=match.group("text").strip(),
    )


def _seconds(match: re.Match[str]) -> int:
    for prefix in _TIME_PREFIXES:
        minutes = match.group(prefix + "m")
        if minutes is not None:
            hours = match.group(prefix + "h") or "0"
            return int(hours) * 3600 + int(minutes) * 60 + int(match.group(prefix + "s"))
    raise AssertionError("a transcript line always has a time")


def _role(speaker: str, role_word: str | None, rep: str | None) -> Role:
    if role_word is not None:
        role = _ROLE_WORDS.get(role_word.strip().lower())
        if role is not None:
            return role
    name = speaker.lower()
    if rep and _names_rep(name, rep):
        return "rep"
    if name in _BUYER_NAMES:
        return "buyer"
    return "other"


def _names_rep(name: str, rep: str) -> bool:
    full = " ".join(rep.lower().split())
    return bool(full) and name in (full, full.split()[0])


def _continued(turn: Turn, line: str) -> Turn:
    text = f"{turn.text} {line}" if turn.text else line
    return Turn(seconds=turn.seconds, speaker=turn.speaker, role=turn.role, text=text)


def is_transcript_line(line: str) -> bool:
    """True for a timestamped transcript line such as ``[04:12] Dana (rep): ...``."""
    return bool(_LINE.match(line.strip()))
