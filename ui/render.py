"""Text from playbooks and call notes, made safe and readable for the browser.

Everything that came from a file is escaped before it goes into an HTML or markdown
component: a ``<script>`` or an image link inside a call note shows as text. Functions
here are pure (strings in, strings out), so the handlers stay small and testable.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

from core.records import MentalModel, ModelVersion, Observation
from ui import markdown

_SHORT_PASSAGE = 700  # characters: a passage this short is shown whole
_MARKER = re.compile(r"\[(\d+)\]")


# -- escaping ---------------------------------------------------------------------------
def text(value: Any) -> str:
    """Escape a value for HTML (quotes too, so it is safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def safe_markdown(value: str) -> str:
    """Markdown kept (emphasis, lists), raw HTML, links and images turned into plain text.

    ``[n]`` citation markers stay; every other ``[`` is escaped so no link or image can
    form, and reference definitions (``[1]: url``) cannot hijack the markers.
    """
    escaped = html.escape(value or "", quote=False)
    escaped = re.sub(r"(?m)^(\s*)\[(\d+)\]:", r"\1\\[\2]:", escaped)
    return re.sub(r"\[(?!\d+\])", r"\\[", escaped)


def fenced(lines: Iterable[str], language: str = "") -> str:
    """A code block whose fence no line can close early."""
    body = "\n".join(lines)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body}\n{fence}"


# -- answers ----------------------------------------------------------------------------
def answer_markdown(answer: dict[str, Any]) -> str:
    """The chat message for one answer (a ``coach ask --json`` object)."""
    body = safe_markdown(answer["answer"])
    if answer.get("error"):
        return f"**Couldn't answer that:** {body}"
    standalone = answer.get("standalone_question")
    if standalone and standalone != answer.get("question"):
        body = f"*Understood as: {safe_markdown(standalone)}*\n\n{body}"
    observations = answer.get("observations") or []
    if observations:
        items = "\n".join(f"- {safe_markdown(o['statement'])}" for o in observations)
        body += f"\n\n**On this floor** (from coaching observations)\n{items}"
    fallback = (answer.get("generator") or {}).get("fallback")
    if fallback:
        body += f"\n\n*Extractive answer; the LLM's was not used: {safe_markdown(fallback)}*"
    return body


def sources_html(answer: dict[str, Any] | None, message: int | None = None) -> str:
    """The sources panel: one card per cited passage, every quote marked within it, under the
    question it belongs to. ``message`` is the answer's index in the chat, so the page can tie
    the answer's ``[n]`` markers to these cards."""
    if answer is None:
        return _panel_note("Sources appear here", "Each answer lists the playbook sections and call notes it "
                           "quotes, with the quoted sentence highlighted.")
    asked = _asked(answer, message)
    if answer.get("error"):
        return _panel_note("No sources", "The question could not be answered; see the message in the chat.", asked)
    citations = answer.get("citations") or []
    if not citations:
        return _panel_note("No sources for this one",
                           "Nothing in the playbooks or call notes supports an answer, so coach did not "
                           "guess. Try rephrasing, or ask about discovery, objections, next steps, "
                           "pipeline reviews or coaching.", asked)
    cards = [_source_card(group) for group in _group_by_passage(citations)]
    count = f"{len(citations)} citation{'s' if len(citations) != 1 else ''}"
    return (f'<div class="coach-sources"{asked[0]}><div class="coach-sources-title">Sources · {count}</div>'
            f'{asked[1]}{"".join(cards)}</div>')


def _asked(answer: dict[str, Any], message: int | None) -> tuple[str, str]:
    """The panel's attribute naming its chat message, and the line naming its question."""
    attribute = f' data-message="{int(message)}"' if message is not None else ""
    question = " ".join(str(answer.get("question") or "").split())
    line = f'<div class="coach-sources-question">For: “{text(question)}”</div>' if question else ""
    return attribute, line


def _group_by_passage(citations: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for citation in citations:
        key = (citation["source"], citation["section"], citation.get("text") or citation["quote"])
        groups.setdefault(key, []).append(citation)
    return list(groups.values())


def _source_card(group: list[dict[str, Any]]) -> str:
    first = group[0]
    refs = " ".join(f'<span class="coach-ref">[{int(c["n"])}]</span>' for c in group)
    kind = "Call note" if first["section"].startswith("Call note") else "Playbook"
    section = " › ".join(text(part.strip()) for part in first["section"].split(">"))
    passage = highlight(first.get("text") or first["quote"], [(int(c["n"]), c["quote"]) for c in group])
    numbers = " ".join(str(int(c["n"])) for c in group)
    return (
        f'<div class="coach-source" id="coach-source-{int(first["n"])}" data-refs="{numbers}" tabindex="-1">'
        f'<div class="coach-source-head">{refs}<span class="coach-kind">{kind}</span></div>'
        f'<div class="coach-section">{section}</div>'
        f'<div class="coach-path">{text(first["source"])}</div>'
        f'<div class="coach-passage">{passage}</div>'
        f'<div class="coach-card-foot">{open_button(first["source"])}</div>'
        "</div>"
    )


def open_button(source: str, label: str = "Whole document") -> str:
    """A button that opens the whole document ``source`` (a document key, never a path) in the
    page's document viewer; ``ui.script`` sends the key, ``ui.documents`` renders it."""
    return (f'<button type="button" class="coach-open-doc" data-source="{text(source)}">'
            f"{text(label)}</button>")


def _panel_note(title: str, body: str, asked: tuple[str, str] = ("", "")) -> str:
    return (f'<div class="coach-sources coach-empty"{asked[0]}><div class="coach-sources-title">{text(title)}</div>'
            f"{asked[1]}<p>{text(body)}</p></div>")


# -- highlighting -----------------------------------------------------------------------
def highlight(passage: str, quotes: Sequence[tuple[int, str]]) -> str:
    """The passage rendered as the playbook renders (tables, lists, emphasis) with each quote
    marked (``<mark>`` and its ``[n]``).

    Quotes are verbatim modulo whitespace and markdown emphasis, so matching ignores
    both. A long passage shows the blocks that hold its quotes, with the whole passage
    folded below. A quote that cannot be placed is shown above the passage.
    """
    spans, unplaced = _spans(passage, quotes)
    lead = "".join(f'<div class="coach-quote"><mark>{text(_plain(q))}</mark> '
                   f'<span class="coach-ref">[{n}]</span></div>' for n, q in unplaced)
    source = markdown.marked(passage.strip("\n"), spans)
    whole = f'<div class="coach-text coach-md">{markdown.to_html(source)}</div>'
    if len(passage) <= _SHORT_PASSAGE or not spans:
        return lead + whole
    parts, inside, kept = markdown.blocks(source), False, []
    for index, part in enumerate(parts):
        holds = markdown.START in part or markdown.END in part
        if holds or inside:
            kept.append(index)
        inside = part.rfind(markdown.START) > part.rfind(markdown.END) if holds else inside
    if len(kept) == len(parts):
        return lead + whole
    pieces, last = [], None
    for index in kept:
        if last is not None and index != last + 1:
            pieces.append('<div class="coach-ellipsis">…</div>')
        pieces.append(parts[index])
        last = index
    excerpt = "".join(p if p.startswith("<div") else markdown.to_html(p) for p in pieces)
    return (f'{lead}<div class="coach-text coach-md">{excerpt}</div>'
            f"<details><summary>Whole passage</summary>{whole}</details>")


def find_quote(passage: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` sits in ``passage``, ignoring whitespace and emphasis differences."""
    start = passage.find(quote)
    if start >= 0:
        return start, start + len(quote)
    tokens = re.sub(r"[*_]+", " ", quote).split()
    if not tokens:
        return None
    pattern = r"[\s*_]+".join(re.escape(token) for token in tokens)
    match = re.search(pattern, passage) or re.search(pattern, passage, re.IGNORECASE)
    return (match.start(), match.end()) if match else None


def _spans(passage: str, quotes: Sequence[tuple[int, str]]):
    found: list[tuple[int, int, list[int]]] = []
    unplaced: list[tuple[int, str]] = []
    for n, quote in quotes:
        where = find_quote(passage, quote)
        if where is None:
            unplaced.append((n, quote))
        else:
            found.append((where[0], where[1], [n]))
    merged: list[tuple[int, int, list[int]]] = []
    for start, end, numbers in sorted(found):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2] + numbers)
        else:
            merged.append((start, end, numbers))
    return merged, unplaced


# -- coaching memory --------------------------------------------------------------------
def evidence_html(observation: Observation, theme_label: str) -> str:
    """One observation with its verbatim evidence quotes and the notes they come from."""
    who = observation.rep or "Team: " + ", ".join(observation.reps)
    kind = "one-off" if not observation.promoted else f"{observation.calls} calls"
    items = "".join(
        '<li class="coach-evidence">'
        f'<div class="coach-meta">{text(e.date)} · <span class="coach-path">{text(e.source)}</span></div>'
        f"<blockquote>{text(_plain(e.quote))}</blockquote></li>"
        for e in observation.evidence
    )
    return (
        f'<div class="coach-observation"><div class="coach-badge coach-{text(observation.polarity)}">'
        f'{text(observation.polarity)}</div><h4>{text(observation.statement)}</h4>'
        f'<div class="coach-meta">{text(who)} · {text(theme_label)} · {text(kind)} · '
        f"{text(observation.first_seen)} → {text(observation.last_seen)}</div>"
        f'<ul class="coach-evidence-list">{items}</ul></div>'
    )


def model_html(model: MentalModel) -> str:
    """A mental model as a document: its own title, a line saying how fresh it is, its content
    rendered as markdown with each ``[n]`` a link to source card n (``model_sources_html``)."""
    meta = (f'<p class="coach-model-meta">Version {int(model.version)} · refreshed {text(when(model.refreshed_at))} · '
            f"{len(model.citations)} source{'s' if len(model.citations) != 1 else ''}</p>")
    content = model.content.strip("\n")
    if content.startswith("# "):  # keep the model's own title on top
        title, _, rest = content.partition("\n")
        title = title[2:].strip()
    else:
        title, rest = model.name, content
    numbers = {int(c.n) for c in model.citations}
    body = link_markers(markdown.to_html(rest, heading_shift=0), numbers)
    return f'<article class="coach-model coach-md"><h1>{text(title)}</h1>{meta}{body}</article>'


def link_markers(rendered: str, numbers: set[int]) -> str:
    """Each ``[n]`` in rendered HTML's text (not inside code) a link to source card n."""
    out, code = [], 0
    for piece in re.split(r"(<[^>]*>)", rendered):
        if piece.startswith("<"):
            name = piece.strip("</>").split()[0].lower() if piece.strip("</>") else ""
            if name in ("code", "pre"):
                code += -1 if piece.startswith("</") else 1
            out.append(piece)
        elif code > 0:
            out.append(piece)
        else:
            out.append(_MARKER.sub(lambda m: _model_cite(int(m.group(1))) if int(m.group(1)) in numbers
                                   else m.group(0), piece))
    return "".join(out)


def _model_cite(n: int) -> str:
    return (f'<a class="coach-mcite" href="#coach-model-source-{n}" data-n="{n}" title="Source {n}">'
            f"[{n}]</a>")


def model_sources_html(model: MentalModel, labels: dict[str, str] | None = None) -> str:
    """The numbered citations of a mental model as cards, each with its verbatim quote and a
    way to open the whole document."""
    if not model.citations:
        return '<p class="coach-hint">No sources yet.</p>'
    labels = labels or {}
    cards = []
    for c in model.citations:
        kind = "Playbook" if c.section else "Call note"
        where = " › ".join(text(part.strip()) for part in c.section.split(">")) if c.section else text(c.date or "")
        cards.append(
            f'<div class="coach-source coach-model-source" id="coach-model-source-{int(c.n)}" data-n="{int(c.n)}" '
            f'tabindex="-1"><div class="coach-source-head"><span class="coach-ref">[{int(c.n)}]</span>'
            f'<span class="coach-kind">{kind}</span></div><div class="coach-section">{where}</div>'
            f'<div class="coach-path">{text(labels.get(c.source, c.source))}</div>'
            f'<blockquote class="coach-model-quote">{text(" ".join(_plain(c.quote).split()))}</blockquote>'
            f'<div class="coach-card-foot">{open_button(c.source)}</div></div>')
    return f'<div class="coach-model-sources">{"".join(cards)}</div>'


def history_html(versions: Sequence[ModelVersion]) -> str:
    """Each version's changes as a readable list: the lines added and the lines removed,
    rendered as text that wraps (not a ``+``/``-`` diff)."""
    if not versions:
        return '<p class="coach-hint">No earlier versions yet: the model is refreshed when new notes are ingested.</p>'
    parts = []
    for version in sorted(versions, key=lambda v: v.version, reverse=True):
        added = [_change_item(line[1:]) for line in version.changes if line.startswith("+") and line[1:].strip()]
        removed = [_change_item(line[1:]) for line in version.changes if line.startswith("-") and line[1:].strip()]
        lists = ""
        for css, title, items in (("added", "Added", added), ("removed", "Removed", removed)):
            if items:
                listed = "".join(f'<li class="coach-{css}">{item}</li>' for item in items)
                lists += (f'<div class="coach-changes coach-changes-{css}"><div class="coach-changes-title">'
                          f'{title} ({len(items)} line{"s" if len(items) != 1 else ""})</div>'
                          f"<ul>{listed}</ul></div>")
        parts.append(f'<section class="coach-version" data-version="{int(version.version)}"><h4>Version '
                     f"{int(version.version)} · {text(when(version.refreshed_at))}</h4>"
                     f"{lists or NO_CHANGES}</section>")
    return f'<div class="coach-history">{"".join(parts)}</div>'


NO_CHANGES = '<p class="coach-hint">No changes recorded.</p>'


def _change_item(line: str) -> str:
    """One changed line as text: a heading says it is one, a list marker goes, emphasis renders."""
    body = line.strip()
    heading = re.match(r"^(#{1,6})\s+(.*)$", body)
    if heading:
        return f'<span class="coach-change-heading">Heading:</span> {markdown.inline(heading.group(2))}'
    return markdown.inline(re.sub(r"^([-*+]|\d+[.)])\s+", "", body))


def when(iso: str) -> str:
    """``2026-10-22T10:00:00+00:00`` -> ``2026-10-22 10:00 UTC``; other text unchanged."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(Z|[+-]00:?00)?", iso or "")
    if not match:
        return iso or ""
    return f"{match[1]} {match[2]}{' UTC' if match[3] else ''}"


def _plain(quote: str) -> str:
    """A quote without markdown bold markers (quotes are verbatim modulo emphasis)."""
    return quote.replace("**", "").replace("__", "")


def _code(value: str) -> str:
    """A value inside an inline code span (backticks cannot close it)."""
    return value.replace("`", "ʼ")
