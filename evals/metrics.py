"""Pure metric functions: no store, no model, no LLM. Each takes plain values and returns one.

Retrieval is judged on (source, section) keys, never chunk ids, so re-chunking a playbook
does not change what counts as a hit. Sources are compared by their relative-path suffix
("knowledge/playbooks/coach.md" matches "/tmp/x/knowledge/playbooks/coach.md"), so a store
ingested from another working directory still matches the golden files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

SectionKey = tuple[str, str]  # (source, section)

_MARKER = re.compile(r"\[(\d{1,3})\]")
_EMPHASIS = re.compile(r"[*_]")


# -- retrieval --------------------------------------------------------------------------
def normalize_source(source: str) -> str:
    path = source.replace("\\", "/").strip()
    while path.startswith("./"):
        path = path[2:]
    return path.rstrip("/")


def same_source(stored: str, expected: str) -> bool:
    """True when one path is the other, or ends with it on a path-component boundary."""
    a, b = normalize_source(stored), normalize_source(expected)
    if not a or not b:
        return False
    shorter, longer = sorted((a, b), key=len)
    return longer == shorter or longer.endswith("/" + shorter)


def same_section(stored: SectionKey, expected: SectionKey) -> bool:
    return " ".join(stored[1].split()) == " ".join(expected[1].split()) and same_source(stored[0], expected[0])


def first_relevant_rank(ranked: Sequence[SectionKey], expected: Sequence[SectionKey]) -> int | None:
    """1-based rank of the first retrieved section that is an expected one, or None."""
    for rank, key in enumerate(ranked, start=1):
        if any(same_section(key, want) for want in expected):
            return rank
    return None


def hit_at_k(rank: int | None, k: int) -> bool:
    return rank is not None and rank <= k


def reciprocal_rank(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / rank


def ndcg_at_k(ranked: Sequence[SectionKey], expected: Sequence[SectionKey], k: int) -> float:
    """Binary-relevance nDCG; each expected section earns credit once (its first retrieval)."""
    if not expected:
        return 0.0
    credited: set[int] = set()
    dcg = 0.0
    for position, key in enumerate(ranked[:k], start=1):
        for index, want in enumerate(expected):
            if index not in credited and same_section(key, want):
                credited.add(index)
                dcg += 1.0 / math.log2(position + 1)
                break
    ideal = sum(1.0 / math.log2(p + 1) for p in range(1, min(len(expected), k) + 1))
    return dcg / ideal


# -- answers ----------------------------------------------------------------------------
def covered_groups(text: str, groups: Sequence[Sequence[str]]) -> list[bool]:
    """Per group: does any alternative occur in the text (case-insensitive substring)?"""
    lowered = text.lower()
    return [any(alt.lower() in lowered for alt in group) for group in groups]


def normalize_quote(text: str) -> str:
    """Whitespace collapsed and markdown emphasis (``*``, ``_``) removed, for verbatim checks."""
    return " ".join(_EMPHASIS.sub("", text).split())


@dataclass(frozen=True)
class CitedQuote:
    """What a citation check needs of a citation: its number, source and quote."""

    n: int
    source: str
    quote: str


def citation_problems(answer: str, citations: Sequence[CitedQuote],
                      source_text: Callable[[str], str | None]) -> list[str]:
    """Every [n] marker must name a citation; every quote must be verbatim in its source file.

    ``source_text(source)`` returns the file's text, or None when it cannot be read.
    """
    problems = []
    numbers = {c.n for c in citations}
    for n in sorted({int(m) for m in _MARKER.findall(answer)} - numbers):
        problems.append(f"marker [{n}] has no citation")
    for c in citations:
        text = source_text(c.source)
        if text is None:
            problems.append(f"[{c.n}] source {c.source} cannot be read")
        elif not c.quote.strip():
            problems.append(f"[{c.n}] quote is empty")
        elif normalize_quote(c.quote) not in normalize_quote(_unescaped(c.source, text)):
            problems.append(f"[{c.n}] quote is not verbatim in {c.source}: {c.quote[:60]!r}")
    return problems


def _unescaped(source: str, text: str) -> str:
    """A CSV export's cells as written: a quote inside a cell is doubled in the file."""
    return text.replace('""', '"') if source.lower().endswith(".csv") else text


# -- aggregates -------------------------------------------------------------------------
def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def share(flags: Iterable[bool]) -> float | None:
    """Fraction of True values; None for an empty input (nothing to measure)."""
    return mean(1.0 if flag else 0.0 for flag in flags)


def group_coverage(per_item: Iterable[Sequence[bool]]) -> float | None:
    """Covered groups over all groups (micro average)."""
    flags = [flag for item in per_item for flag in item]
    return share(flags)
