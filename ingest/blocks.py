"""Split markdown text into blocks: headings, paragraphs, lists, tables and code fences.

Block text is kept verbatim. Headings inside code fences are code, not headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list", "table", "code"]

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str
    level: int = 0  # heading level, 0 for other blocks


def parse_blocks(text: str) -> list[Block]:
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if FENCE.match(line):
            i = _take_fence(lines, i, blocks)
        elif match := HEADING.match(line):
            blocks.append(Block("heading", match.group(2).strip(), level=len(match.group(1))))
            i += 1
        elif line.lstrip().startswith("|"):
            i = _take_while(lines, i, blocks, "table", lambda s: s.lstrip().startswith("|"))
        elif LIST_ITEM.match(line):
            i = _take_while(lines, i, blocks, "list", _continues_list)
        else:
            i = _take_while(lines, i, blocks, "paragraph", _continues_paragraph)
    return blocks


def _take_fence(lines: list[str], start: int, blocks: list[Block]) -> int:
    marker = FENCE.match(lines[start]).group(1)  # type: ignore[union-attr]
    end = start + 1
    while end < len(lines) and not lines[end].lstrip().startswith(marker):
        end += 1
    end = min(end + 1, len(lines))
    blocks.append(Block("code", "\n".join(lines[start:end])))
    return end


def _take_while(lines, start, blocks, kind, keep) -> int:
    end = start + 1
    while end < len(lines) and lines[end].strip() and keep(lines[end]):
        end += 1
    blocks.append(Block(kind, "\n".join(lines[start:end])))
    return end


def _continues_list(line: str) -> bool:
    return bool(LIST_ITEM.match(line)) or line.startswith((" ", "\t"))


def _continues_paragraph(line: str) -> bool:
    return not (
        HEADING.match(line) or FENCE.match(line) or LIST_ITEM.match(line)
        or line.lstrip().startswith("|")
    )


def list_items(text: str) -> list[str]:
    """The items of a list block, each with its continuation lines."""
    items: list[str] = []
    for line in text.splitlines():
        if LIST_ITEM.match(line) or not items:
            items.append(line)
        else:
            items[-1] += "\n" + line
    return items


def strip_emphasis(text: str) -> str:
    return re.sub(r"(\*\*|__|\*|_|`)", "", text).strip()
