"""What the composer will quote: a line that says nothing alone never leads an answer."""

from __future__ import annotations

from conftest import KNOWLEDGE

from ingest.units import split_units
from rag.composer import _label_only


def test_a_diagrams_branch_labels_are_labels_and_its_questions_are_not():
    text = (KNOWLEDGE / "playbooks" / "discovery-coach.md").read_text(encoding="utf-8")
    start = text.index("THE GAP (The sale itself)")
    block = text[text.rindex("```", 0, start):text.index("```", start) + 3]
    lines = [u for u in split_units(block) if u.kind == "line"]
    labels = {u.display for u in lines if _label_only(u)}
    assert "THE GAP (The sale itself)" in labels and "FUTURE STATE (Where they want to be)" in labels
    assert any(u.display.startswith("What is the cost of staying") for u in lines if not _label_only(u))


def test_a_bold_lead_in_alone_is_a_label_and_a_sentence_is_not():
    units = split_units("**Signs you rushed it:**\n\nBudget objections are almost never about budget.")
    assert [_label_only(u) for u in units] == [True, False]
