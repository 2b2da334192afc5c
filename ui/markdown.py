"""Passages rendered as the playbook renders them: a small, safe markdown subset to HTML.

Headings, paragraphs, lists, tables, block quotes, rules, fenced code, inline code and
emphasis; nothing else. Every character of the source is escaped first, and no link,
image or raw HTML is ever produced (``[text](url)`` stays text), so a hostile note
renders inert. Quotes to highlight travel through the renderer as private-use
characters (``marked``) and become ``<mark>`` around each piece of text they cover,
so a quote may cross emphasis, table cells or list items and the HTML stays well nested.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

START, END, REF_END = "\ue000", "\ue001", "\ue002"  # quote start; quote end + its [n] numbers + REF_END
_LEAD = re.compile(f"^[{START}]*")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def marked(passage: str, spans: Sequence[tuple[int, int, Sequence[int]]]) -> str:
    """``passage`` with each (start, end, numbers) span wrapped in sentinels (spans sorted, disjoint)."""
    out, cursor = [], 0
    for start, end, numbers in spans:
        out += [passage[cursor:start], START, passage[start:end], END, ",".join(map(str, numbers)), REF_END]
        cursor = end
    out.append(passage[cursor:])
    return "".join(out)


def to_html(source: str, heading_shift: int = 2) -> str:
    """Markdown (possibly carrying quote sentinels) as safe HTML with the quotes marked.

    A ``#`` heading becomes ``<h{1 + heading_shift}>`` (passages sit under a card's title;
    a whole document passes 0 or 1)."""
    return apply_marks("".join(_blocks(source.replace("\r\n", "\n").split("\n"), heading_shift)))


def blocks(source: str) -> list[str]:
    """The source cut at blank lines (a fenced code block stays whole), for excerpts."""
    parts, current, fence = [], [], None
    for line in source.replace("\r\n", "\n").split("\n"):
        opener = _FENCE.match(line)
        if opener and (fence is None or opener.group(1).startswith(fence)):
            fence = None if fence else opener.group(1)[:3]
        if not line.strip() and fence is None:
            if current:
                parts.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        parts.append("\n".join(current))
    return parts


def apply_marks(rendered: str) -> str:
    """Sentinels to ``<mark>`` around each text piece of a quote, and its ``[n]`` after it."""
    out, inside = [], False
    for piece in re.split(r"(<[^>]*>)", rendered):
        if piece.startswith("<"):
            out.append(piece)
            continue
        for token in re.split(f"({START}|{END}[0-9,]*{REF_END})", piece):
            if token == START:
                inside = True
            elif token.startswith(END):
                inside = False
                out.append(f'<sup class="coach-ref">[{token[1:-1]}]</sup>')
            elif token:
                out.append(f"<mark>{token}</mark>" if inside else token)
    return "".join(out)


# -- blocks -----------------------------------------------------------------------------
def _blocks(lines: list[str], heading_shift: int = 2) -> list[str]:
    out, i = [], 0
    while i < len(lines):
        lead, body = _lead(lines[i])
        if not body.strip():
            out.append(lead)
            i += 1
        elif _FENCE.match(body):
            i = _fenced(lines, i, lead, out)
        elif _is_table(lines, i):
            i = _table(lines, i, out)
        elif match := _HEADING.match(body):
            level = min(6, len(match.group(1)) + heading_shift)
            out.append(f'<h{level} class="coach-md-h">{inline(lead + match.group(2))}</h{level}>')
            i += 1
        elif _RULE.match(body):
            out.append(lead + "<hr>")
            i += 1
        elif _QUOTE.match(body):
            i = _quote(lines, i, out)
        elif _ITEM.match(body):
            i = _list(lines, i, out)
        else:
            i = _paragraph(lines, i, out)
    return out


def _lead(line: str) -> tuple[str, str]:
    """Quote-start sentinels at the front of a line, kept apart so block markers are seen."""
    lead = _LEAD.match(line).group(0)
    return lead, line[len(lead):]


def _starts_block(lines: list[str], i: int) -> bool:
    _, body = _lead(lines[i])
    return (not body.strip() or bool(_FENCE.match(body) or _HEADING.match(body) or _RULE.match(body)
            or _QUOTE.match(body) or _ITEM.match(body)) or _is_table(lines, i))


def _paragraph(lines: list[str], i: int, out: list[str]) -> int:
    part = [lines[i]]
    i += 1
    while i < len(lines) and not _starts_block(lines, i):
        part.append(lines[i])
        i += 1
    out.append("<p>" + "<br>".join(inline(line.strip()) for line in part) + "</p>")
    return i


def _fenced(lines: list[str], i: int, lead: str, out: list[str]) -> int:
    fence = _FENCE.match(_lead(lines[i])[1]).group(1)
    code, i = [], i + 1
    while i < len(lines) and not _lead(lines[i])[1].strip().startswith(fence):
        code.append(lines[i])
        i += 1
    trail = _lead(lines[i])[0] if i < len(lines) else ""
    out.append(f"{lead}<pre><code>{html.escape(chr(10).join(code), quote=False)}</code></pre>{trail}")
    return i + 1


def _is_table(lines: list[str], i: int) -> bool:
    return ("|" in lines[i] and i + 1 < len(lines) and bool(_TABLE_RULE.match(_strip_marks(lines[i + 1])))
            and "|" in lines[i + 1])


def _table(lines: list[str], i: int, out: list[str]) -> int:
    head = _cells(lines[i])
    rule_marks = _marks_only(lines[i + 1])
    rows, i = [], i + 2
    while i < len(lines) and "|" in lines[i] and lines[i].strip():
        rows.append(_cells(lines[i]))
        i += 1
    header = "".join(f"<th>{inline(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>" for row in rows)
    out.append(f'<div class="coach-md-table"><table><thead><tr>{header}</tr></thead>'
               f"<tbody>{rule_marks}{body}</tbody></table></div>")
    return i


def _cells(line: str) -> list[str]:
    lead, body = _lead(line)
    body = body.strip()
    body = body[1:] if body.startswith("|") else body
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", body)]
    if lead:
        cells[0] = lead + cells[0]
    return cells


def _quote(lines: list[str], i: int, out: list[str]) -> int:
    part = []
    while i < len(lines):
        lead, body = _lead(lines[i])
        match = _QUOTE.match(body)
        if not match:
            break
        part.append(inline(lead + match.group(1)))
        i += 1
    out.append("<blockquote>" + "<br>".join(part) + "</blockquote>")
    return i


def _list(lines: list[str], i: int, out: list[str]) -> int:
    """Consecutive items; an item indented under another opens one nested list."""
    items: list[tuple[int, bool, str]] = []  # (indent, ordered, text)
    while i < len(lines):
        lead, body = _lead(lines[i])
        match = _ITEM.match(body)
        if match:
            items.append((len(match.group(1)), match.group(2)[0].isdigit(), lead + match.group(3)))
        elif items and body.strip() and body.startswith((" ", "\t")):  # a continuation line
            indent, ordered, textual = items[-1]
            items[-1] = (indent, ordered, f"{textual} {lead}{body.strip()}")
        else:
            break
        i += 1
    out.append(_list_html(items))
    return i


def _list_html(items: list[tuple[int, bool, str]]) -> str:
    base = items[0][0]
    tag = "ol" if items[0][1] else "ul"
    parts, nested = [], []
    for indent, ordered, textual in items:
        if indent > base and parts:
            nested.append((indent, ordered, textual))
            continue
        if nested:
            parts[-1] = parts[-1][:-5] + _list_html(nested) + "</li>"
            nested = []
        parts.append(f"<li>{inline(textual)}</li>")
    if nested:
        parts[-1] = parts[-1][:-5] + _list_html(nested) + "</li>"
    return f"<{tag}>{''.join(parts)}</{tag}>"


# -- inline -----------------------------------------------------------------------------
def inline(value: str) -> str:
    """Escaped text with `code`, **strong** and *emphasis*; links and images stay as typed."""
    escaped = html.escape(value, quote=False)
    codes: list[str] = []

    def keep_code(match: re.Match) -> str:
        codes.append(f"<code>{match.group(2)}</code>")
        return f"\ue010{len(codes) - 1}\ue011"

    escaped = re.sub(r"(`+)(.+?)\1", keep_code, escaped)
    escaped = re.sub(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", r"<strong>\1</strong>", escaped)
    escaped = re.sub(r"(?<![\w_])__(?=\S)(.+?)(?<=\S)__(?![\w_])", r"<strong>\1</strong>", escaped)
    escaped = re.sub(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])", r"<em>\1</em>", escaped)
    escaped = re.sub(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])", r"<em>\1</em>", escaped)
    escaped = escaped.replace("\\|", "|")
    return re.sub("\ue010(\\d+)\ue011", lambda m: codes[int(m.group(1))], escaped)


def _strip_marks(line: str) -> str:
    return re.sub(f"{END}[0-9,]*{REF_END}|{START}", "", line)


def _marks_only(line: str) -> str:
    """The sentinels on a line that is not drawn (a table's rule row), kept so no quote is lost."""
    return "".join(re.findall(f"{START}|{END}[0-9,]*{REF_END}", line))
