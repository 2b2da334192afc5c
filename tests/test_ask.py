"""`coach ask`: grounded, cited answers and honest refusals, through the real CLI."""

from __future__ import annotations

import json
import re

import pytest

from conftest import normalise

AECR = "Discovery Coach > Objection Handling: The AECR Framework"


@pytest.fixture
def ask(coach, knowledge_store):
    def run(*args):
        return coach("ask", *args, data_dir=knowledge_store / ".coach")
    return run


def assert_well_cited(answer: dict, root) -> None:
    """Every answer line carries a marker, every marker resolves, every quote is verbatim."""
    numbers = {c["n"] for c in answer["citations"]}
    for line in answer["answer"].splitlines():
        if line.strip() and not (line.startswith("*") and line.endswith("*")):
            markers = {int(n) for n in re.findall(r"\[(\d+)\]", line)}
            assert markers, f"uncited line: {line!r}"
            assert markers <= numbers
    for citation in answer["citations"]:
        source_text = normalise((root / citation["source"]).read_text())
        assert normalise(citation["quote"]) in source_text, citation["quote"]
        assert normalise(citation["quote"]) in normalise(citation["text"])


def test_timing_objection_gets_the_aecr_steps_in_order(ask, knowledge_store):
    result = ask("How do I handle a timing objection?", "--json")
    assert result.code == 0, result.err
    answer = result.json()
    assert answer["grounded"] is True
    assert answer["citations"][0]["section"] == AECR
    assert answer["citations"][0]["source"] == "knowledge/playbooks/discovery-coach.md"
    text = answer["answer"]
    positions = [text.index(step) for step in ("Acknowledge", "Empathize", "Clarify", "Reframe")]
    assert positions == sorted(positions)
    assert "timing isn't right" in text
    assert_well_cited(answer, knowledge_store)


@pytest.mark.parametrize("question, section", [
    ("what's the 60/40 rule about talking on calls?", "Discovery Coach > Coaching Principles"),
    ("how often should I run pipeline reviews with my reps?", "Sales Coach > Your Core Mission > Pipeline Review as a Coaching Vehicle"),
    ("what goes in the first two minutes of a discovery call", "Discovery Coach > Elite Discovery Call Structure > Opening (2 minutes): Set the Upfront Contract"),
])
def test_answers_cite_the_section_that_holds_the_answer(ask, knowledge_store, question, section):
    answer = ask(question, "--json").json()
    assert answer["grounded"]
    assert section in {c["section"] for c in answer["citations"]}
    assert_well_cited(answer, knowledge_store)


@pytest.mark.parametrize("question", [
    "What's a good recipe for sourdough bread?",
    "How do I reverse a linked list in Python?",
    "What is our enterprise list price?",
    "When does Initech's contract come up for renewal?",
])
def test_out_of_scope_questions_are_refused_plainly(ask, question):
    answer = ask(question, "--json").json()
    assert answer["grounded"] is False
    assert answer["citations"] == []
    assert "won't guess" in answer["answer"]
    assert "I can help with" in answer["answer"]


def test_human_output_lists_sources(ask):
    result = ask("How do I handle a timing objection?")
    assert result.code == 0
    assert "Sources:" in result.out
    assert f"[1] knowledge/playbooks/discovery-coach.md — {AECR}" in result.out


def test_batch_answers_each_line_with_its_id(ask, knowledge_store, tmp_path):
    batch = tmp_path / "questions.jsonl"
    batch.write_text("\n".join(json.dumps(x) for x in [
        {"id": "a", "q": "How do I handle a timing objection?"},
        {"id": 7, "question": "what are the levels of the sandler pain funnel"},
        {"id": "c", "q": "who won the world cup in 2018"},
    ]) + "\n")
    result = ask("--batch", str(batch), "--json")
    assert result.code == 0, result.err
    answers = result.json_lines()
    assert [a["id"] for a in answers] == ["a", 7, "c"]
    assert [a["grounded"] for a in answers] == [True, True, False]
    assert "Level 2" in answers[1]["answer"]


def test_bad_batch_line_names_the_line(ask, tmp_path):
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"id": 1, "q": "fine"}\nnot json\n')
    result = ask("--batch", str(batch), "--json")
    assert result.code == 1
    assert f"{batch}:2: expected a JSON object" in result.err
    assert [row.get("id") for row in result.json_lines()] == [1, 2]  # the good line is still answered


@pytest.mark.parametrize("args, message", [
    ((), "give either a QUESTION or --batch"),
    (("hi", "--batch", "questions.jsonl"), "give either a QUESTION or --batch"),
    (("hi", "--k", "0"), "--k must be between 1 and 50"),
])
def test_bad_ask_arguments_get_one_clear_line_before_anything_is_loaded(coach, tmp_path, args, message):
    result = coach("ask", *args, data_dir=tmp_path / "no-store")  # fails before the store is opened
    assert result.code == 1
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_an_empty_question_gets_one_clear_line(ask):
    result = ask("   ")
    assert result.code == 1
    assert "The question is empty" in result.err
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize("question", ["???", "!!! ...", "¿?"])
def test_a_punctuation_only_question_gets_one_clear_line(ask, question):
    result = ask(question)
    assert result.code == 1
    assert "no words, only punctuation" in result.err and "coach ask" in result.err
    assert len(result.err.strip().splitlines()) == 1
