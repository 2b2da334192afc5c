"""Follow-up questions: `coach ask --session`, the library call the Ask tab uses, and the
deterministic condenser behind both."""

from __future__ import annotations

import json

import pytest

from core.records import Exchange
from rag.condense import RuleCondenser, is_followup

DISTRIBUTION = "Discovery Coach > Objection Handling: The AECR Framework > Objection Distribution (What You Will Hear Most)"
TIMING = "How do I handle a timing objection?"


@pytest.mark.parametrize("previous, followup, standalone", [
    (TIMING, "what if it's budget instead?", "How do I handle a budget objection?"),
    ("What is level 1 of the Sandler pain funnel?", "and level 3?", "What is level 3 of the Sandler pain funnel?"),
    ("What is the Clarify step of AECR?", "and the step after it?", "What is the reframe step of AECR?"),
    ("What is the upfront contract?", "why does it work so well?", "Why does the upfront contract work so well?"),
    ("How should I use MEDDPICC when coaching deals?", "what about Challenger?",
     "How should I use Challenger when coaching deals?"),
    ("How often should I run pipeline reviews with my reps?", "and forecast sessions?",
     "Forecast sessions? How often should I run pipeline reviews with my reps?"),
])
def test_rule_condenser_rewrites_follow_ups(previous, followup, standalone):
    result = RuleCondenser().condense(followup, [Exchange(previous, previous)])
    assert (result.question, result.method) == (standalone, "rules")


@pytest.mark.parametrize("question", [
    "What should a new rep's 30-day milestones be?",
    "How often should I run pipeline reviews with my team?",
    "What is the upfront contract on a discovery call?",
])
def test_a_new_topic_is_kept_as_typed(question):
    assert not is_followup(question)
    result = RuleCondenser().condense(question, [Exchange(TIMING, TIMING)])
    assert (result.question, result.method) == (question, "unchanged")


def test_without_history_nothing_is_condensed():
    assert RuleCondenser().condense("what if it's budget instead?", []).method == "unchanged"


def test_follow_ups_chain_on_the_last_standalone_question():
    history = [Exchange(TIMING, TIMING), Exchange("what if it's budget instead?", "How do I handle a budget objection?")]
    assert RuleCondenser().condense("and competition?", history).question == "How do I handle a competition objection?"


@pytest.fixture
def ask(coach, knowledge_store):
    def run(*args):
        return coach("ask", *args, data_dir=knowledge_store / ".coach")
    return run


def test_session_keeps_the_conversation_and_answers_the_follow_up_in_context(coach, knowledge_store, tmp_path):
    import shutil

    data = tmp_path / ".coach"
    shutil.copytree(knowledge_store / ".coach", data)
    first = coach("ask", "--session", "prep", TIMING, "--json", data_dir=data).json()
    assert first["standalone_question"] == TIMING
    result = coach("ask", "--session", "prep", "what if it's budget instead?", "--json", data_dir=data)
    assert result.code == 0, result.err
    answer = result.json()
    assert answer["question"] == "what if it's budget instead?"
    assert answer["standalone_question"] == "How do I handle a budget objection?"
    assert answer["grounded"] and DISTRIBUTION in {c["section"] for c in answer["citations"]}
    assert "Budget" in answer["answer"]
    human = coach("ask", "--session", "prep", "and competition?", data_dir=data)
    assert human.out.startswith("(understood as: How do I handle a competition objection?)")
    lines = [json.loads(line) for line in (data / "sessions" / "prep.jsonl").read_text().splitlines()]
    assert [x["standalone_question"] for x in lines] == [
        TIMING, "How do I handle a budget objection?", "How do I handle a competition objection?"]
    assert all(x["citations"] and x["asked_at"] for x in lines)


def test_without_a_session_a_follow_up_is_answered_alone(ask):
    answer = ask("what if it's budget instead?", "--json").json()
    assert answer["standalone_question"] is None
    assert answer["question"] == "what if it's budget instead?"


def test_a_bad_session_name_gets_one_clear_line(ask):
    result = ask("--session", "../secrets", "what if it's budget instead?")
    assert result.code == 1
    assert "session name '../secrets' is not usable" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_the_ask_tab_answers_a_follow_up_with_its_chat_history(knowledge_store):
    from core.settings import Settings
    from coach.knowledge_base import KnowledgeBase
    from ui import handlers, render

    kb = KnowledgeBase(Settings.from_env(knowledge_store / ".coach", env={}))
    try:
        history, _ = handlers.chat_turn(kb, TIMING, None)
        history, panel = handlers.chat_turn(kb, "what if it's budget instead?", history)
    finally:
        kb.close()
    answer = handlers.latest_answer(history)
    assert answer["standalone_question"] == "How do I handle a budget objection?"
    assert DISTRIBUTION in {c["section"] for c in answer["citations"]}
    assert "Understood as: How do I handle a budget objection?" in history["messages"][-1]["content"]
    assert "Objection Distribution" in panel
    assert render.answer_markdown(answer).startswith("*Understood as: How do I handle a budget objection?*")
