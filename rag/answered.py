"""Questions already answered: a ranker feature from the questions reps and coaches asked
before, each with the playbook sections that answer it.

``answered_questions.json`` (written by ``fit/ranker.py`` from the dev question files) holds
each question's text and its sections' heading paths. For a new question, the ``k`` most
similar answered questions vote for their sections, each vote weighted by its cosine
similarity; a section's vote total is one more ranker column (``rag.ranker``). A paraphrase
a playbook never uses ("the CFO wants 20% off") reaches the section earlier questions in
those words were answered from.

The questions' vectors for the bundled model ship beside them (``answered_vectors.npz``,
float16, keyed by the model and the texts); with another model they are embedded once and
kept in a file of the store (``rag.embedder.StoredVectors``). A section the questions never
name (a team's own playbook) gets no votes: it is ranked on its features.

The file also holds the dev questions the playbooks do not cover (no sections: a price
list, a named customer's contract, a recipe). They never vote; with the answered ones they
give the refusal check two similarities (``nearest``): to the closest question the
playbooks answered and to the closest they did not (``rag.grounding``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.embedder import StoredVectors

ANSWERED_FILE = Path(__file__).with_name("answered_questions.json")
SHIPPED_VECTORS = Path(__file__).with_name("answered_vectors.npz")


@dataclass(frozen=True)
class AnsweredQuestion:
    text: str
    sections: tuple[str, ...]  # heading paths, "Discovery Coach > Objection Handling: ..."; none: not covered

    @property
    def covered(self) -> bool:
        return bool(self.sections)


@lru_cache(maxsize=1)
def answered_questions() -> tuple[AnsweredQuestion, ...]:
    """The shipped answered questions (none when the file is absent)."""
    try:
        data = json.loads(ANSWERED_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    return tuple(AnsweredQuestion(q["q"], tuple(q["sections"])) for q in data["questions"])


def section_votes(query: np.ndarray, vectors: np.ndarray, questions: tuple[AnsweredQuestion, ...],
                  sections: list[str], k: int) -> np.ndarray:
    """Per section of ``sections``: the summed cosine (floored at 0) of the ``k`` answered
    questions nearest ``query`` that name it."""
    votes = np.zeros(len(sections))
    if not len(vectors) or k <= 0:
        return votes
    similarity = vectors @ query
    nearest = np.argsort(-similarity)[:k]
    row_of: dict[str, list[int]] = {}
    for row, section in enumerate(sections):
        row_of.setdefault(section, []).append(row)
    for index in nearest:
        weight = max(0.0, float(similarity[index]))
        for section in questions[index].sections:
            for row in row_of.get(section, ()):
                votes[row] += weight
    return votes


def nearest_asked(query: np.ndarray, vectors: np.ndarray, covered: np.ndarray) -> tuple[float | None, float | None]:
    """The cosine of ``query`` to the closest covered and the closest not-covered question
    (``covered``: a boolean per row of ``vectors``); None for a group with no question."""
    if not len(vectors):
        return None, None
    similarity = vectors @ query
    inside, outside = similarity[covered], similarity[~covered]
    return (float(inside.max()) if len(inside) else None, float(outside.max()) if len(outside) else None)


def vectors_key(model_id: str | None, texts: list[str]) -> str:
    """What shipped vectors must have been made from: the model and every text, in order."""
    return hashlib.sha256("\n".join([model_id or "", *texts]).encode("utf-8")).hexdigest()


def shipped_vectors(model_id: str | None, texts: list[str]) -> np.ndarray | None:
    """The shipped vectors of ``texts`` when they were made with ``model_id``, else None."""
    try:
        with np.load(SHIPPED_VECTORS, allow_pickle=False) as stored:
            if str(stored["key"]) == vectors_key(model_id, texts):
                return stored["vectors"].astype(np.float32)
    except (OSError, KeyError, ValueError):
        pass
    return None


class AnsweredIndex:
    """The answered questions' vectors for one store and embedder, loaded on first use."""

    def __init__(self, embedder, path: Path) -> None:
        self.embedder, self.path = embedder, path  # the store's answered_vectors_path
        self._vectors: np.ndarray | None = None
        self._voters: tuple[np.ndarray, tuple[AnsweredQuestion, ...], np.ndarray] | None = None

    @property
    def questions(self) -> tuple[AnsweredQuestion, ...]:
        return answered_questions()

    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            texts = [q.text for q in self.questions]
            if not texts:
                self._vectors = np.zeros((0, self.embedder.dimension), dtype=np.float32)
            else:
                shipped = shipped_vectors(self.embedder.model_id, texts)
                self._vectors = shipped if shipped is not None else StoredVectors(self.embedder, self.path).encode(texts)
        return self._vectors

    def _covered(self) -> tuple[np.ndarray, tuple[AnsweredQuestion, ...], np.ndarray]:
        """The covered mask, and the questions and vectors that vote (computed once)."""
        if self._voters is None:
            mask = np.array([q.covered for q in self.questions], dtype=bool)
            self._voters = (mask, tuple(q for q in self.questions if q.covered), self.vectors()[mask])
        return self._voters

    def votes(self, query: np.ndarray, sections: list[str], k: int) -> np.ndarray:
        """Only questions the playbooks answered vote."""
        _, questions, vectors = self._covered()
        return section_votes(query, vectors, questions, sections, k)

    def nearest(self, query: np.ndarray) -> tuple[float | None, float | None]:
        """Cosine to the closest answered question and to the closest not-covered one."""
        return nearest_asked(query, self.vectors(), self._covered()[0])
