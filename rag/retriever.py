"""Hybrid retrieval: dense (Chroma) and BM25 candidates, ranked per section by ``rag.ranker``.

Chroma and BM25 each propose ``CANDIDATES`` passages; the docstore supplies their vectors
and their sentences' vectors; the ranker scores sections and shows each by its best
passage, so the top k hits are k different sections.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from core.names import rep_key
from core.records import Hit
from rag.answered import AnsweredIndex
from rag.docstore import Docstore, StoredUnit
from rag.keyword import KeywordIndex
from rag.ranker import Candidate, Priors, RankedSection, rank
from rag.vectors import ChromaVectors

CANDIDATES = 60
MEMO_CHUNKS = 20_000  # chunks whose vectors a warm retriever keeps in memory (about 0.5 GB at most)
PRIOR_KIND = "playbook"  # corpus-wide priors are computed over the playbooks


@dataclass(frozen=True)
class _Memo:
    vector: np.ndarray  # the passage's
    units: list[StoredUnit]
    matrix: np.ndarray  # the units' vectors, one row each


@dataclass(frozen=True)
class Retrieval:
    hits: list[Hit]
    units: dict[str, list[StoredUnit]]  # of every candidate passage, by chunk id
    sections: list[RankedSection]  # every ranked section, best first (for diagnosis and fitting)


class HybridRetriever:
    def __init__(self, docstore: Docstore, vectors: ChromaVectors, keyword: KeywordIndex,
                 answered: AnsweredIndex | None = None) -> None:
        self.docstore, self.vectors, self.keyword, self.answered = docstore, vectors, keyword, answered
        self._priors: tuple[int, Priors] | None = None
        self._memo: dict[str, _Memo] = {}
        self._memo_generation = -1
        self._lock = threading.Lock()

    def retrieve(self, question: str, vector: np.ndarray, k: int = 5,
                 kind: str | None = None, rep: str | None = None) -> Retrieval:
        dense = self.vectors.query(vector, CANDIDATES, where=_where(kind, rep))
        keyword = self.keyword.search(question, CANDIDATES, kind=kind, rep=rep)
        dense_rank = {h.id: i for i, h in enumerate(dense, start=1)}
        keyword_rank = {h.id: i for i, h in enumerate(keyword, start=1)}
        keyword_score = {h.id: h.score for h in keyword}
        wanted = list(dict.fromkeys([h.id for h in dense] + [h.id for h in keyword]))
        # a chunk Chroma holds but the docstore does not is an orphan of an interrupted run
        chunks = self.docstore.chunks(wanted)
        memo = self._vectors_and_units([c.id for c in chunks], len(vector))
        units = {cid: m.units for cid, m in memo.items()}
        candidates = [
            Candidate(c, memo[c.id].vector, memo[c.id].matrix, keyword_score.get(c.id, 0.0))
            for c in chunks if c.id in memo
        ]
        sections = rank(vector, candidates, self.priors(), self.answered)
        hits = [Hit(s.chunk, s.score, s.similarity, dense_rank.get(s.chunk.id), keyword_rank.get(s.chunk.id))
                for s in sections[:k]]
        return Retrieval(hits, units, sections)

    def _vectors_and_units(self, ids: list[str], dimension: int) -> dict[str, _Memo]:
        """Passage and sentence vectors of these chunks, kept in memory for the docstore's
        current generation (a warm question reads SQLite only for chunks not seen yet)."""
        generation = self.docstore.generation()
        with self._lock:
            if self._memo_generation != generation:
                self._memo.clear()
                self._memo_generation = generation
            found = {i: self._memo[i] for i in ids if i in self._memo}
        missing = [i for i in ids if i not in found]
        if missing:
            vectors = self.docstore.chunk_vectors(missing)
            units = self.docstore.units(missing)
            fresh = {i: _Memo(vectors[i], units.get(i, []), _matrix(units.get(i, []), dimension))
                     for i in missing if i in vectors}
            found |= fresh
            with self._lock:
                if self._memo_generation == generation:  # not when an ingest moved on meanwhile
                    self._memo.update(fresh)
                    while len(self._memo) > MEMO_CHUNKS:
                        self._memo.pop(next(iter(self._memo)))
        return found

    def priors(self) -> Priors:
        generation = self.docstore.generation()
        if self._priors is None or self._priors[0] != generation:
            self._priors = (generation, Priors(*self.docstore.kind_vectors(PRIOR_KIND)))
        return self._priors[1]


def _matrix(stored: list[StoredUnit], dimension: int) -> np.ndarray:
    if not stored:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.array([s.vector for s in stored], dtype=np.float32)


def _where(kind: str | None, rep: str | None) -> dict | None:
    clauses = []
    if kind:
        clauses.append({"kind": kind})
    if rep:
        clauses.append({"rep_key": rep_key(rep)})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
