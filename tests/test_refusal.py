"""Refusal with the costs the right way round (issue 23): a buyer's price, budget or
discount concern is an objection and gets an answer; a weak match is answered with the
closest sections and says so in its first line; only what is clearly outside selling and
coaching is refused; a question not in English is never answered as a confident match.

The fast tests check the pure parts (the language check, the cost-based choice of the
thresholds, the shipped calibration and scope file); the slow ones drive the real CLI
against a real store, as tests/test_ask.py does."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import KNOWLEDGE, REPO
from test_ask import assert_well_cited

from core.errors import ConfigError

BUDGET_ROW = "Budget objections are almost never about budget"
OBJECTION_SECTIONS = {
    "Discovery Coach > Objection Handling: The AECR Framework",
    "Discovery Coach > Objection Handling: The AECR Framework > Objection Distribution (What You Will Hear Most)",
}
WEAK_FIRST_LINE = "The playbooks do not address this directly"
NOT_ENGLISH = "questions in English work best"
SPANISH_TIMING = "El cliente dice que no es el momento adecuado, ¿cómo manejo esta objeción de tiempo?"


@pytest.fixture
def fit_scripts(monkeypatch):
    """fit/ and bench/ are scripts run from the repository root, not installed packages."""
    monkeypatch.syspath_prepend(str(REPO))


# -- fast: the language check -------------------------------------------------------------
@pytest.mark.parametrize("question", [
    SPANISH_TIMING,
    "¿Cómo manejo una objeción de tiempo?",
    "o cliente diz que não tem orçamento, o que eu faço?",
    "Le client dit que ce n'est pas le bon moment, que faire ?",
    "Der Kunde sagt, es ist nicht der richtige Zeitpunkt. Was soll ich tun?",
    "Клиент говорит, что сейчас не время",
    "顧客が今はタイミングではないと言っています",
])
def test_questions_in_other_languages_are_told_apart(question):
    from rag.grounding import looks_english

    assert not looks_english(question)


def test_every_english_dev_question_reads_as_english():
    from rag.grounding import looks_english

    files = ("dev", "field-dev", "field-test", "objections-dev")  # the dev files; never the frozen ones
    questions = [json.loads(line)["q"] for name in files
                 for line in (REPO / "evals" / "golden" / f"{name}.jsonl").read_text().splitlines() if line.strip()]
    assert len(questions) > 600
    assert [q for q in questions if not looks_english(q)] == []


@pytest.mark.parametrize("question", [
    "timing objection", "the CFO wants a discount, what do I say?", "SPIN?",
    "El Camino Real account: who owns it?", "whats the 60/40 rule",
])
def test_short_or_name_bearing_english_questions_stay_english(question):
    from rag.grounding import looks_english

    assert looks_english(question)


# -- fast: the thresholds are chosen by cost ----------------------------------------------
def test_thresholds_minimise_the_stated_costs(fit_scripts):
    from fit.refusal import COSTS, choose, cost

    # in scope (0): mostly low probabilities, one real question at 0.6; out of scope (1): high
    p = np.array([0.05, 0.1, 0.2, 0.3, 0.6, 0.5, 0.7, 0.9, 0.95])
    y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1])
    weak, refuse = choose(p, y)
    assert COSTS[("in", "refused")] >= 5 * COSTS[("out", "weak")]  # a false refusal costs several times a weak answer
    assert refuse > 0.6  # the real question at 0.6 is not refused ...
    assert weak <= 0.5  # ... and the out-of-scope one at 0.5 is marked weak, not answered as strong
    every = [cost(p, y, w, t) for t in np.arange(0.02, 1.0, 0.01) for w in np.arange(0.02, t + 1e-9, 0.01)]
    assert cost(p, y, weak, refuse) == pytest.approx(min(every))


def test_the_shipped_calibration_records_its_costs_and_both_thresholds():
    from rag.grounding import CALIBRATION_FILE, calibration

    data = json.loads(CALIBRATION_FILE.read_text())
    assert data["costs"]["in scope, refused"] > data["costs"]["out scope, weak"]
    assert "objections-dev" in data["fitted_on"]
    # the splits kept for later tests are never fitted on
    assert not any(name in data["fitted_on"] for name in ("sellers-fresh", "closers-fresh"))
    for model in calibration().values():
        assert model.weak_threshold is not None and 0 < model.weak_threshold <= model.threshold < 1
    assert calibration()["with_scope"].features[-1] == "in_scope"


def test_the_scope_file_lists_what_the_playbooks_hold(tmp_path):
    from rag.scope import load_topics

    covered = load_topics(KNOWLEDGE / "scope.json", "covered")
    assert any("objection" in t.name.lower() for t in covered)
    assert any("discount" in e for t in covered for e in t.examples)
    broken = tmp_path / "scope.json"
    broken.write_text(json.dumps({"not_covered": [], "covered": [{"topic": "x"}]}))
    with pytest.raises(ConfigError, match="each entry of covered needs a topic and a list of examples"):
        load_topics(broken, "covered")
    old = tmp_path / "old.json"  # a scope file written before covered topics existed still loads
    old.write_text(json.dumps({"not_covered": [{"topic": "HR", "examples": ["leave?"]}]}))
    assert load_topics(old, "covered") == ()


# -- slow: the real CLI on a real store ---------------------------------------------------
@pytest.fixture
def ask(coach, knowledge_store):
    def run(question):
        result = coach("ask", question, "--json", data_dir=knowledge_store / ".coach")
        assert result.code == 0, result.err
        return result.json()
    return run


@pytest.mark.parametrize("question", [
    "the CFO wants a discount, what do I say?",
    "they asked me for a discount on the first call, how do I handle it",
])
def test_a_buyers_discount_request_is_answered_not_refused(ask, knowledge_store, question):
    answer = ask(question)
    assert answer["grounded"] is True
    assert answer["match"] in ("strong", "weak")
    assert answer["citations"]
    assert "won't guess" not in answer["answer"]
    assert "our own product's prices" not in answer["answer"]
    assert_well_cited(answer, knowledge_store)


def test_the_cfo_discount_question_is_answered_from_the_objection_sections(ask):
    answer = ask("the CFO wants a discount, what do I say?")
    assert {c["section"] for c in answer["citations"]} & OBJECTION_SECTIONS


def test_a_budget_objection_is_answered_from_the_budget_row(ask, knowledge_store):
    answer = ask("the buyer says they have no budget, what do I say?")
    assert answer["grounded"] is True and answer["match"] == "strong"
    cited = [c for c in answer["citations"] if c["section"] in OBJECTION_SECTIONS]
    assert any("Budget/Value" in c["quote"] or BUDGET_ROW in c["quote"] for c in cited)
    assert_well_cited(answer, knowledge_store)


def test_the_issues_own_budget_question_cites_the_budget_row(ask):
    answer = ask("how do i deal with a buyer who says they have no budget this year")
    assert answer["grounded"] is True
    assert any(BUDGET_ROW in c["quote"] or "Budget/Value" in c["quote"] for c in answer["citations"])


def test_the_issues_competitor_question_leads_with_the_objection_table(ask, knowledge_store):
    answer = ask("buyer said they are going with a cheaper competitor, now what")
    assert answer["grounded"] is True and answer["match"] == "strong"
    assert answer["citations"][0]["section"] in OBJECTION_SECTIONS
    assert any(c["quote"].startswith("Competition |") for c in answer["citations"])
    assert_well_cited(answer, knowledge_store)


def test_a_sentence_opening_with_a_pronoun_follows_the_sentence_it_refers_to(ask):
    """"They are about whether the buyer believes the value exceeds the cost." means nothing
    without "Budget objections are almost never about budget." right before it."""
    answer = ask("how do i deal with a buyer who says they have no budget this year")
    lines = [line for line in answer["answer"].splitlines() if line.startswith("- ")]
    they = next(i for i, line in enumerate(lines) if line.startswith("- They are about whether"))
    assert they > 0 and lines[they - 1].startswith(f"- {BUDGET_ROW}.")


def test_our_own_list_price_is_still_refused(ask):
    """The cost choice refuses it: it is far closer to 'our own prices' than to anything the
    playbooks hold (probability about 0.99 against a refusal threshold of 0.56)."""
    answer = ask("What's our list price for the enterprise tier?")
    assert answer["grounded"] is False and answer["match"] == "none"
    assert answer["citations"] == []
    assert "our own product's prices" in answer["answer"] and "won't guess" in answer["answer"]


def test_a_weak_match_says_so_in_its_first_line(ask, knowledge_store):
    answer = ask("the CFO wants a discount, what do I say?")
    if answer["match"] == "strong":
        pytest.skip("answered as a strong match now; nothing to mark")
    first = answer["answer"].splitlines()[0]
    assert first.startswith(f"*{WEAK_FIRST_LINE}") and first.endswith("*")
    assert not __import__("re").search(r"\[\d+\]", first)  # the note is ours, not a quote
    assert_well_cited(answer, knowledge_store)


@pytest.mark.parametrize("question", [SPANISH_TIMING, "¿Cómo manejo una objeción de tiempo?"])
def test_a_spanish_timing_question_is_never_answered_as_a_confident_match(ask, question):
    answer = ask(question)
    first = answer["answer"].splitlines()[0]
    assert answer["match"] != "strong"
    assert NOT_ENGLISH in first
    if answer["grounded"]:
        assert answer["match"] == "weak" and answer["citations"]


def test_the_same_question_in_english_is_a_strong_aecr_answer(ask):
    answer = ask("The customer says it's not the right time; how do I handle this timing objection?")
    assert answer["match"] == "strong"
    assert answer["citations"][0]["section"] in OBJECTION_SECTIONS


def test_the_refusal_check_compares_a_question_with_the_questions_asked_before(knowledge_store):
    """The shipped build carries questions asked before: the answered ones and the ones the
    playbooks do not cover. A store's search reads both, and the model fitted with them applies."""
    from coach.knowledge_base import KnowledgeBase
    from core.settings import Settings
    from rag.grounding import model_for

    kb = KnowledgeBase(Settings.from_env(knowledge_store / ".coach", env={}))
    try:
        covered = kb.answerer.search("my buyer keeps saying now is not the right time, what do I say").support
        unrelated = kb.answerer.search("which tyres should I buy for a rainy winter commute").support
    finally:
        kb.close()
    assert covered.asked_in is not None and covered.asked_out is not None
    assert covered.asked_in > covered.asked_out and not covered.refused and not covered.weak
    assert unrelated.asked_out > unrelated.asked_in and unrelated.refused
    assert model_for({"best_unit": 0.5, "dense": 0.5, "out_of_scope": 0.2, "in_scope": 0.6,
                      "asked_in": covered.asked_in, "asked_out": covered.asked_out}) == "with_asked"
