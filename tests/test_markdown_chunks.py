"""Heading-aware chunking and answer units: pure functions over real playbook text."""

from __future__ import annotations

from pathlib import Path

from conftest import KNOWLEDGE, normalise
from ingest import markdown
from ingest.blocks import parse_blocks
from ingest.units import split_units

DISCOVERY = KNOWLEDGE / "playbooks" / "discovery-coach.md"
COACH = KNOWLEDGE / "playbooks" / "coach.md"


def chunks_of(path: Path):
    return markdown.parse(path.read_text(encoding="utf-8"), f"knowledge/playbooks/{path.name}")


def test_section_paths_use_front_matter_name_and_headings():
    sections = {c.section for c in chunks_of(DISCOVERY)}
    assert "Discovery Coach > Objection Handling: The AECR Framework" in sections
    assert "Discovery Coach > The Three Discovery Frameworks > 1. SPIN Selling (Neil Rackham)" in sections
    assert "Discovery Coach > Objection Handling: The AECR Framework > Objection Distribution (What You Will Hear Most)" in sections


def test_headings_inside_code_fences_are_not_sections():
    sections = {c.section for c in chunks_of(COACH)}
    assert "Sales Coach > Your Technical Deliverables > Rep Coaching Plan" in sections
    assert not any("Focus Areas" in s or "Coaching Plan: [Rep Name]" in s for s in sections)


def test_front_matter_is_metadata_not_text():
    for chunk in chunks_of(DISCOVERY):
        assert "vibe:" not in chunk.text and "emoji:" not in chunk.text


def test_chunks_are_capped_and_never_heading_only():
    for path in (DISCOVERY, COACH):
        for chunk in chunks_of(path):
            assert len(chunk.text) <= markdown.MAX_CHARS
            assert not all(b.kind == "heading" for b in parse_blocks(chunk.text))


def test_long_tables_and_lists_split_between_rows_not_inside():
    rows = "\n".join(f"| row {i} | {'word ' * 12}|" for i in range(60))
    items = "\n".join(f"- item {i}: {'text ' * 15}" for i in range(40))
    body = f"## Table\n\n| Name | Notes |\n|---|---|\n{rows}\n\n## List\n\n{items}\n"
    chunks = markdown.chunk_markdown(body, source="t.md", kind="playbook", root="T")
    table_chunks = [c for c in chunks if c.section == "T > Table"]
    assert len(table_chunks) > 1
    for chunk in table_chunks:
        lines = chunk.text.splitlines()
        assert lines[0] == "| Name | Notes |"  # header repeated in every piece
        assert all(line.startswith("|") and line.endswith("|") for line in lines)
    for chunk in (c for c in chunks if c.section == "T > List"):
        assert all(line.startswith("- item ") for line in chunk.text.splitlines())


def test_chunk_ids_are_stable_and_unique():
    first, second = chunks_of(DISCOVERY), chunks_of(DISCOVERY)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)


def test_every_unit_quote_is_verbatim_in_its_source():
    for path in (DISCOVERY, COACH):
        source = normalise(path.read_text())
        for chunk in chunks_of(path):
            for unit in split_units(chunk.text):
                assert normalise(unit.quote) in source, unit.quote


def test_aecr_steps_are_marked_as_steps_in_order():
    aecr = next(c for c in chunks_of(DISCOVERY) if c.section.endswith("The AECR Framework"))
    steps = [u.display.split("**")[1] for u in split_units(aecr.text) if u.step]
    assert steps == ["Acknowledge", "Empathize", "Clarify", "Reframe"]


def test_lowercase_dictated_notes_split_into_sentences_but_abbreviations_do_not():
    units = split_units("ok so this is the debrief, recording in the car. she opened the deck at minute four. "
                        "we compared it vs. six months ago, e.g. the old rota.")
    assert [u.quote for u in units] == [
        "ok so this is the debrief, recording in the car.", "she opened the deck at minute four.",
        "we compared it vs. six months ago, e.g. the old rota."]


def test_a_script_wrapped_in_a_code_block_is_quoted_in_whole_sentences():
    text = DISCOVERY.read_text(encoding="utf-8")
    chunk = next(c for c in chunks_of(DISCOVERY) if "Here's what I was thinking" in c.text)
    shown = [u.display for u in split_units(chunk.text)]
    assert ("At the end, one of three things will happen: we'll both see a fit and schedule a next step, "
            "we'll realize this isn't the right solution and I'll tell you that honestly, or we'll need more "
            "information before we can decide.") in shown
    assert not any(line.endswith(" going on in") for line in shown)  # no line cut where the script wraps
    assert all(normalise(u.quote) in normalise(text) for u in split_units(chunk.text))


def test_a_templates_lines_are_shown_without_their_list_markers():
    chunk = next(c for c in chunks_of(COACH) if "Pipeline-to-Quota Ratio" in c.text)
    shown = [u.display for u in split_units(chunk.text)]
    assert "**Pipeline-to-Quota Ratio**: [X:1] (target 3:1+)" in shown
    assert not any(line.startswith("- ") for line in shown)
