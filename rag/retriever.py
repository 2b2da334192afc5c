"""Hybrid retrieval: dense (Chroma) and BM25 keyword results fused by reciprocal rank."""

from __future__ import annotations

import numpy as np

from coach.records import Hit
from rag.docstore import Docstore
from rag.fusion import reciprocal_rank_fusion
from rag.keyword import KeywordIndex
from rag.vectors import ChromaVectors

CANDIDATES = 30


class HybridRetriever:
    def __init__(self, docstore: Docstore, vectors: ChromaVectors, keyword: KeywordIndex) -> None:
        self.docstore, self.vectors, self.keyword = docstore, vectors, keyword

    def retrieve(
        self, question: str, vector: np.ndarray, k: int = 5,
        kind: str | None = None, rep: str | None = None,
    ) -> list[Hit]:
        dense = self.vectors.query(vector, CANDIDATES, where=_where(kind, rep))
        keyword = self.keyword.search(question, CANDIDATES, kind=kind, rep=rep)
        fused = reciprocal_rank_fusion([[h.id for h in dense], [h.id for h in keyword]])
        similarity = {h.id: h.similarity for h in dense}
        dense_rank = {h.id: i for i, h in enumerate(dense, start=1)}
        keyword_rank = {h.id: i for i, h in enumerate(keyword, start=1)}
        # a chunk Chroma holds but the docstore does not is an orphan of an interrupted run
        wanted = [cid for cid, _ in fused[: k * 3]]
        chunks = {c.id: c for c in self.docstore.chunks(wanted)}
        hits = [
            Hit(chunks[cid], score, similarity.get(cid, 0.0), dense_rank.get(cid), keyword_rank.get(cid))
            for cid, score in fused if cid in chunks
        ]
        return hits[:k]


def _where(kind: str | None, rep: str | None) -> dict | None:
    clauses = []
    if kind:
        clauses.append({"kind": kind})
    if rep:
        clauses.append({"rep_key": rep.strip().lower()})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
