"""Question -> grounded, cited answer (or an honest refusal)."""

from __future__ import annotations

from coach.errors import InputError
from coach.records import Answer
from rag.composer import REFUSAL, RECORDS_REFUSAL, compose
from rag.docstore import Docstore
from rag.embedder import Embedder
from rag.grounding import SUPPORT_THRESHOLD, asks_for_records, support_score
from rag.retriever import HybridRetriever

MAX_QUESTION_CHARS = 2000


class Answerer:
    def __init__(self, docstore: Docstore, retriever: HybridRetriever, embedder: Embedder,
                 generator=None, threshold: float = SUPPORT_THRESHOLD) -> None:
        self.docstore, self.retriever, self.embedder = docstore, retriever, embedder
        self.generator, self.threshold = generator, threshold

    def ask(self, question: str, k: int = 5, rep: str | None = None, kind: str | None = None) -> Answer:
        question = _clean(question)
        if asks_for_records(question):
            return Answer(question=question, answer=RECORDS_REFUSAL, grounded=False)
        vector = self.embedder.encode_one(question)
        hits = self.retriever.retrieve(question, vector, k=k, kind=kind, rep=rep)
        units = self.docstore.units([h.chunk.id for h in hits]) if hits else {}
        if not hits or support_score(vector, hits, units) < self.threshold:
            return Answer(question=question, answer=REFUSAL, grounded=False)
        extractive = compose(question, vector, hits, units)
        if self.generator is None or not extractive.grounded:
            return extractive
        return self.generator.answer(question, hits, units, fallback=extractive)


def _clean(question: str) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise InputError("The question is empty; ask something like: coach ask \"How do I handle a timing objection?\"")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"The question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}")
    return question
