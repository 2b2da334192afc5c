"""Question -> grounded, cited answer (or an honest refusal).

A question the calibrated check (``rag.grounding``) reads as a weak match, or one not in
English, is answered with the closest sections under a first line that says so
(``Answer.match == "weak"``); only a question clearly outside selling and coaching is
refused.

Answers come from the playbooks unless the question is about the floor itself: it
names a rep or an account from the call notes, asks what happened or worked on the
team's calls, or is filtered with ``rep``. Then call notes are searched too. (What the
floor has learned reaches every answer through observations, added by the caller.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from core.errors import InputError
from core.records import Answer, Hit
from rag.composer import NOT_ENGLISH_REFUSAL, REFUSAL, compose, topic_refusal, weak_match
from rag.docstore import Docstore, StoredUnit
from rag.embedder import Embedder
from rag.grounding import Support, support
from rag.retriever import HybridRetriever
from rag.scope import ScopeCache

MAX_QUESTION_CHARS = 2000
_FLOOR_WORDS = re.compile(
    r"\b(on (?:this|our|the) (?:floor|team)|our (?:reps|team|floor|calls)|my reps|"
    r"(?:in|from) (?:the |our )?call notes|(?:on|in|from) our calls|worked (?:for|on) (?:us|our|this)|"
    r"which reps?|who on the team|recurring|pattern)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Retrieved:
    vector: np.ndarray
    hits: list[Hit]
    units: dict[str, list[StoredUnit]]
    support: Support


class Answerer:
    def __init__(self, docstore: Docstore, retriever: HybridRetriever, embedder: Embedder,
                 generator=None, scope: ScopeCache | None = None, threshold: float | None = None) -> None:
        self.docstore, self.retriever, self.embedder = docstore, retriever, embedder
        self.generator, self.scope, self.threshold = generator, scope, threshold

    def ask(self, question: str, k: int = 5, rep: str | None = None, kind: str | None = None) -> Answer:
        question = clean_question(question)
        found = self.search(question, k=k, rep=rep, kind=kind)
        if not found.hits or found.support.refused:
            return Answer(question=question, answer=_refusal(found.support), grounded=False, match="none")
        extractive = compose(question, found.vector, found.hits, found.units)
        if not extractive.grounded:
            return replace(extractive, match="none")
        if found.support.weak:  # the closest sections, marked; never sent to an LLM to be made fluent
            return weak_match(extractive, english=found.support.english)
        if self.generator is None:
            return extractive
        return self.generator.answer(question, found.hits, found.units, fallback=extractive)

    def search(self, question: str, k: int = 5, rep: str | None = None, kind: str | None = None) -> Retrieved:
        """The passages an answer would be built from, with their support."""
        kind = self.route(question, rep, kind)
        vector = self.embedder.encode_one(question)
        retrieval = self.retriever.retrieve(question, vector, k=k, kind=kind, rep=rep)
        scope = self.scope.get() if self.scope is not None else None
        answered = self.retriever.answered
        asked = answered.nearest(vector) if answered is not None else (None, None)
        found = support(vector, retrieval.hits, retrieval.units, scope, self.threshold, question=question, asked=asked)
        return Retrieved(vector, retrieval.hits, retrieval.units, found)

    def route(self, question: str, rep: str | None = None, kind: str | None = None) -> str | None:
        """Which sources to search: playbooks, unless the question is about the floor."""
        if kind is None and not rep and not self._about_floor(question):
            return "playbook"
        return kind

    def _about_floor(self, question: str) -> bool:
        if _FLOOR_WORDS.search(question):
            return True
        words = set(re.findall(r"[a-z][a-z'-]+", question.lower()))
        return bool(words & self._floor_names())

    def _floor_names(self) -> set[str]:
        generation = self.docstore.generation()
        if getattr(self, "_names_generation", None) != generation:
            names: set[str] = set()
            for note in self.docstore.notes():
                for value in (note.rep, note.account):
                    if value:
                        names.update(w for w in re.findall(r"[a-z][a-z'-]+", value.lower()) if len(w) > 3)
            self._names, self._names_generation = names - _COMMON_WORDS, generation
        return self._names


_COMMON_WORDS = frozenset(
    "sales team group health home foods freight logistics credit union systems solutions "
    "services partners company labs software data cloud bank dental hotels outdoor".split()
)


def _refusal(found: Support) -> str:
    """Name the topic the question is about when it is closer to something the knowledge
    base does not hold than to anything it does; a question not in English is told that
    questions in English work best."""
    if not found.english:
        return NOT_ENGLISH_REFUSAL
    if found.nearest_topic and found.out_of_scope is not None and found.out_of_scope >= found.best_unit:
        return topic_refusal(found.nearest_topic)
    return REFUSAL


def clean_question(question: str) -> str:
    """One line, checked: an empty, wordless or overlong question is an InputError that says what to ask."""
    question = " ".join((question or "").split())
    if not question:
        raise InputError("The question is empty; ask something like: coach ask \"How do I handle a timing objection?\"")
    if not any(ch.isalnum() for ch in question):
        raise InputError("The question has no words, only punctuation; ask something like: "
                         "coach ask \"How do I handle a timing objection?\"")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"The question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}")
    return question
