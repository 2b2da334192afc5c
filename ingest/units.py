"""Split a chunk into answer units: sentences, list items, table rows and code lines
(a script wrapped inside a code block is split into sentences).

A unit's ``quote`` is a verbatim substring of the chunk (so of the source file); its
``display`` is how an answer shows it. ``step`` marks the playbook's own structure
(bold-led paragraphs such as "**Acknowledge** — ..." and numbered items), which an
answer keeps in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ingest.blocks import LIST_ITEM, list_items, parse_blocks
from ingest.transcript import is_transcript_line

UnitKind = Literal["sentence", "item", "row", "line", "turn"]

_BOLD_LEAD = re.compile(r"^\*\*[^*]{2,60}\*\*")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+")
_TREE = re.compile(r"^[\s│├└─|`]+")
MIN_WORDS = 3
# A sentence ends at . ! or ? before a space, whatever case follows: notes are often typed or
# dictated in lower case ("... the indicator noise. she opened with ..."). Not after an
# abbreviation or an initial ("vs. six months", "e.g. a", "J. Smith").
_SENTENCE_END = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))(?<!\bvs\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bapprox\.)(?<!\bmrs\.)"
    r"(?<!\b[A-Za-z]\.)(?<!\b(?:mr|ms|dr|cf)\.)\s+(?=[A-Za-z0-9\"“*(\[])")


@dataclass(frozen=True)
class Unit:
    index: int
    kind: UnitKind
    display: str
    quote: str
    step: bool = False
    depth: int = 0  # list nesting, for rendering


def split_units(text: str) -> list[Unit]:
    raw: list[tuple[UnitKind, str, str, bool, int]] = []
    for block in parse_blocks(text):
        if block.kind == "paragraph":
            raw.extend(_paragraph_units(block.text))
        elif block.kind == "list":
            raw.extend(_list_units(block.text))
        elif block.kind == "table":
            raw.extend(_table_units(block.text))
        elif block.kind == "code":
            raw.extend(_code_units(block.text))
    units = []
    for kind, display, quote, step, depth in raw:
        if len(quote.split()) >= MIN_WORDS or step:
            units.append(Unit(len(units), kind, display, quote, step, depth))
    return units


def _paragraph_units(text: str):
    if any(is_transcript_line(line) for line in text.splitlines()):
        yield from _turn_units(text)
        return
    joined = " ".join(line.strip() for line in text.splitlines())
    for line in text.splitlines() if _BOLD_LEAD.match(text) else [text]:
        line = line.strip()
        if _BOLD_LEAD.match(line):
            yield "sentence", line, line, True, 0
            continue
        for sentence in _SENTENCE_END.split(line if line else joined):
            sentence = sentence.strip()
            if sentence:
                yield "sentence", sentence, sentence, False, 0


def _turn_units(text: str):
    """One unit per transcript turn; a continuation line stays with its turn."""
    turns: list[str] = []
    for line in text.splitlines():
        if is_transcript_line(line) or not turns:
            turns.append(line.strip())
        else:
            turns[-1] += " " + line.strip()
    for turn in turns:
        yield "turn", turn, turn, False, 0


def _list_units(text: str):
    for item in list_items(text):
        depth = (len(item) - len(item.lstrip())) // 2
        body = LIST_ITEM.sub("", item, count=1)
        quote = " ".join(part.strip() for part in body.splitlines())
        step = bool(_NUMBERED.match(item)) or bool(_BOLD_LEAD.match(body.strip()))
        yield "item", quote, quote, step, depth


def _table_units(text: str):
    rows = [row.strip() for row in text.splitlines()]
    header = [c.strip() for c in rows[0].strip("|").split("|")] if rows else []
    for row in rows[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if not any(cells):
            continue
        quote = row.strip("|").strip()
        labelled = [f"{h}: {c}" if h and i else c for i, (h, c) in enumerate(zip(header, cells))]
        yield "row", " — ".join(labelled), quote, False, 0


_DIAGRAM = re.compile(r"[│├└]")
_MARKUP = re.compile(r"^\s*(?:#|\||[-*+]\s|\d{1,3}[.)]\s)")  # a heading, row or list item of a template
_TEMPLATE_ITEM = re.compile(r"^[-*+]\s+(?:\[[ xX]\]\s+)?")


def _code_units(text: str):
    """A diagram or a template, line by line; a script wrapped across lines (a quoted
    upfront contract), sentence by sentence, each sentence whole."""
    paragraph: list[str] = []

    def sentences():
        joined = " ".join(paragraph)
        kind = "sentence" if len(paragraph) > 1 else "line"
        paragraph.clear()
        for sentence in _SENTENCE_END.split(joined):
            quote = sentence.strip().strip('"').strip()
            if quote:
                yield kind, quote, quote, False, 0

    for line in text.splitlines()[1:]:
        if line.lstrip().startswith(("```", "~~~")):
            continue
        if _DIAGRAM.search(line) or _MARKUP.match(line) or not line.strip():
            yield from sentences()
            quote = _TEMPLATE_ITEM.sub("", _TREE.sub("", line).strip()).strip('"').strip()
            if quote and not quote.startswith("#"):
                yield "line", quote, quote, False, 0
            continue
        paragraph.append(line.strip())
    yield from sentences()
