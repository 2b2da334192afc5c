"""Markdown playbooks -> heading-aware chunks.

Every chunk carries its section path (front matter ``name`` or the H1, then the H2..H6
headings that lead to it), its source and a content-derived id. Chunks are capped at
``MAX_CHARS``; a block that is too big is split between list items, table rows (the
header is repeated), code lines or sentences, never inside one. Heading-only sections
produce no chunk.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath

from core.records import Chunk, SourceKind
from ingest.blocks import Block, list_items, parse_blocks, strip_emphasis
from ingest.frontmatter import split_front_matter

MAX_CHARS = 1100
MIN_INTRO_CHARS = 160  # a shorter lead-in joins its first subsection instead of standing alone
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“*(])")


def parse(text: str, source: str) -> list[Chunk]:
    """Chunks of one playbook's text (kind ``playbook``); ``source`` is its document key."""
    header = split_front_matter(text, source)
    title = header.fields.get("name") or _first_h1(header.body) or PurePosixPath(source).stem
    return chunk_markdown(header.body, source=source, kind="playbook", root=title)


def chunk_markdown(
    body: str, *, source: str, kind: SourceKind, root: str,
    rep: str | None = None, date: str | None = None, start_ordinal: int = 0,
) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen_ids: set[str] = set()
    for section, blocks in _sections(parse_blocks(body), root):
        for text in _pack(blocks):
            ordinal = start_ordinal + len(chunks)
            chunk_id = _chunk_id(source, section, text, seen_ids)
            chunks.append(Chunk(chunk_id, source, kind, section, text, ordinal, rep, date))
    return chunks


def _first_h1(body: str) -> str | None:
    for block in parse_blocks(body):
        if block.kind == "heading" and block.level == 1:
            return strip_emphasis(block.text)
    return None


def _sections(blocks: list[Block], root: str) -> list[tuple[str, list[Block]]]:
    """Group blocks under their heading path; the H1 title itself is not part of paths."""
    path: list[tuple[int, str]] = []
    sections: list[tuple[str, list[Block]]] = [(root, [])]
    for block in blocks:
        if block.kind != "heading":
            sections[-1][1].append(block)
            continue
        if block.level == 1:
            path = []
        else:
            path = [(lvl, name) for lvl, name in path if lvl < block.level]
            path.append((block.level, strip_emphasis(block.text)))
        sections.append((" > ".join([root, *(name for _, name in path)]), []))
    return _fold_short_intros([(name, blocks) for name, blocks in sections if blocks])


def _fold_short_intros(sections: list[tuple[str, list[Block]]]) -> list[tuple[str, list[Block]]]:
    folded: list[tuple[str, list[Block]]] = []
    carry: list[Block] = []
    for i, (name, blocks) in enumerate(sections):
        blocks = carry + blocks
        carry = []
        following = sections[i + 1][0] if i + 1 < len(sections) else ""
        short = sum(len(b.text) for b in blocks) < MIN_INTRO_CHARS
        if short and following.startswith(name + " > "):
            carry = blocks
        else:
            folded.append((name, blocks))
    return folded


def _pack(blocks: list[Block]) -> list[str]:
    """Greedy packing of block pieces into chunks of at most MAX_CHARS."""
    chunks: list[str] = []
    current = ""
    for piece in (p for block in blocks for p in _pieces(block)):
        candidate = f"{current}\n\n{piece}" if current else piece
        if len(candidate) <= MAX_CHARS:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


def _pieces(block: Block) -> list[str]:
    if len(block.text) <= MAX_CHARS:
        return [block.text]
    if block.kind == "list":
        return _group(list_items(block.text), "\n")
    if block.kind == "table":
        rows = block.text.splitlines()
        head, body = rows[:2], rows[2:]
        return [
            "\n".join(head) + "\n" + part
            for part in _group(body, "\n", limit=MAX_CHARS - len("\n".join(head)) - 1)
        ]
    if block.kind == "code":
        return _group(block.text.splitlines(), "\n")
    return _group(SENTENCE_END.split(block.text), " ")


def _group(parts: list[str], joiner: str, limit: int = MAX_CHARS) -> list[str]:
    groups: list[str] = []
    for part in parts:
        if groups and len(groups[-1]) + len(joiner) + len(part) <= limit:
            groups[-1] += joiner + part
        else:
            groups.append(part)
    return groups


def _chunk_id(source: str, section: str, text: str, seen: set[str]) -> str:
    digest = hashlib.sha1(f"{source}\0{section}\0{text}".encode()).hexdigest()[:20]
    chunk_id, n = digest, 1
    while chunk_id in seen:
        n += 1
        chunk_id = f"{digest}-{n}"
    seen.add(chunk_id)
    return chunk_id
