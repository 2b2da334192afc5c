"""Text addressed to the system rather than describing a call ("ignore previous instructions",
"SYSTEM: …"). Documents are data: such lines are never retained from an ingested note
(memory/retain.py), never quoted in an answer (rag/composer.py), never sent to an LLM
(rag/generator.py), and a note sent by an agent that contains one is refused (coach mcp)."""

from __future__ import annotations

import re
from pathlib import Path

ADDRESSES_SYSTEM = re.compile(
    r"(ignore (?:all |any )?(?:previous|prior|above) instructions|^\W*system\s*:|\bas an ai\b|"
    r"disregard (?:the|all|previous)|you are now|new instructions|override (?:the|your))",
    re.IGNORECASE,
)


def shown(path: Path | str) -> str:
    """A path (or a reason naming one) for one line of output: control characters
    escaped, so that a file name holding a newline cannot print a line of its own."""
    text = str(path)
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


def line_addressing_system(text: str) -> tuple[int, str] | None:
    """(1-based line number, line) of the first line that addresses the system, or None."""
    for number, line in enumerate(text.splitlines(), 1):
        if ADDRESSES_SYSTEM.search(line):
            return number, line.strip()
    return None


def without_system_lines(text: str) -> str:
    """The text with every line that addresses the system removed."""
    return "\n".join(line for line in text.splitlines() if not ADDRESSES_SYSTEM.search(line))
