"""BM25 keyword index over chunk text, persisted beside the docstore.

It is rebuilt from the docstore when an ingest changed the docstore (not per query) and
records the docstore generation it was built from, so a run killed before the rebuild
is caught up by the next open.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.records import Chunk

_WORD = re.compile(r"(?u)\b\w\w+\b")


@dataclass(frozen=True)
class KeywordHit:
    id: str
    score: float


class Tokenizer:
    def __init__(self) -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        self._stem = Stemmer.Stemmer("english").stemWords
        self._stop = set(STOPWORDS_EN)

    def __call__(self, text: str) -> list[str]:
        words = [w for w in _WORD.findall(text.lower()) if w not in self._stop]
        return self._stem(words)


def index_text(chunk: Chunk) -> str:
    """What both indexes see: the section path carries the topic of short chunks."""
    return f"{chunk.section}\n{chunk.text}"


class KeywordIndex:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._tokenize = Tokenizer()
        self._bm25 = None
        self._ids: list[str] = []
        self._kinds: np.ndarray = np.zeros(0)
        self._reps: list[str | None] = []
        self.generation = -1
        self._load()

    def _load(self) -> None:
        meta_file = self.folder / "meta.json"
        if not meta_file.exists():
            return
        import bm25s

        meta = json.loads(meta_file.read_text())
        self._ids, self._reps = meta["ids"], meta["reps"]
        self._kinds = np.array(meta["kinds"], dtype=object)
        self.generation = meta["generation"]
        self._bm25 = bm25s.BM25.load(str(self.folder / "bm25")) if self._ids else None

    def rebuild(self, chunks: list[Chunk], generation: int) -> None:
        import bm25s

        tmp = self.folder.with_name(self.folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        bm25 = None
        if chunks:
            bm25 = bm25s.BM25()
            bm25.index([self._tokenize(index_text(c)) for c in chunks], show_progress=False)
            bm25.save(str(tmp / "bm25"))
        meta = {
            "generation": generation, "ids": [c.id for c in chunks],
            "kinds": [c.kind for c in chunks], "reps": [c.rep for c in chunks],
        }
        (tmp / "meta.json").write_text(json.dumps(meta))
        shutil.rmtree(self.folder, ignore_errors=True)
        tmp.rename(self.folder)
        self._bm25, self._ids, self._reps = bm25, meta["ids"], meta["reps"]
        self._kinds = np.array(meta["kinds"], dtype=object)
        self.generation = generation

    def search(self, query: str, n: int, kind: str | None = None, rep: str | None = None) -> list[KeywordHit]:
        tokens = self._tokenize(query)
        if self._bm25 is None or not tokens:
            return []
        mask = np.ones(len(self._ids), dtype=bool)
        if kind:
            mask &= self._kinds == kind
        if rep:
            mask &= np.array([r is not None and r.lower() == rep.lower() for r in self._reps])
        if not mask.any():
            return []
        docs, scores = self._bm25.retrieve(
            [tokens], k=min(n, len(self._ids)), show_progress=False,
            weight_mask=mask.astype(np.float32), n_threads=1,
        )
        return [
            KeywordHit(self._ids[d], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0
        ]
