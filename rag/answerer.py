"""Question -> grounded, cited answer (or an honest refusal).

Answers come from the playbooks unless the question is about the floor itself: it
names a rep or an account from the call notes, asks what happened or worked on the
team's calls, or is filtered with ``rep``. Then call notes are searched too. (What the
floor has learned reaches every answer through observations, added by the caller.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from coach.errors import InputError
from coach.records import Answer, Hit
from rag.composer import REFUSAL, RECORDS_REFUSAL, compose
from rag.docstore import Docstore, StoredUnit
from rag.embedder import Embedder
from rag.grounding import SUPPORT_THRESHOLD, asks_for_records, support_score
from rag.retriever import HybridRetriever

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
    support: float


class Answerer:
    def __init__(self, docstore: Docstore, retriever: HybridRetriever, embedder: Embedder,
                 generator=None, threshold: float = SUPPORT_THRESHOLD) -> None:
        self.docstore, self.retriever, self.embedder = docstore, retriever, embedder
        self.generator, self.threshold = generator, threshold

    def ask(self, question: str, k: int = 5, rep: str | None = None, kind: str | None = None) -> Answer:
        question = _clean(question)
        if asks_for_records(question):
            return Answer(question=question, answer=RECORDS_REFUSAL, grounded=False)
        found = self.search(question, k=k, rep=rep, kind=kind)
        if not found.hits or found.support < self.threshold:
            return Answer(question=question, answer=REFUSAL, grounded=False)
        extractive = compose(question, found.vector, found.hits, found.units)
        if self.generator is None or not extractive.grounded:
            return extractive
        return self.generator.answer(question, found.hits, found.units, fallback=extractive)

    def search(self, question: str, k: int = 5, rep: str | None = None, kind: str | None = None) -> Retrieved:
        """The passages an answer would be built from, with their support score."""
        if kind is None and not rep and not self._about_floor(question):
            kind = "playbook"
        vector = self.embedder.encode_one(question)
        hits = self.retriever.retrieve(question, vector, k=k, kind=kind, rep=rep)
        units = self.docstore.units([h.chunk.id for h in hits]) if hits else {}
        return Retrieved(vector, hits, units, support_score(vector, hits, units) if hits else 0.0)

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


def _clean(question: str) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise InputError("The question is empty; ask something like: coach ask \"How do I handle a timing objection?\"")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"The question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}")
    return question
