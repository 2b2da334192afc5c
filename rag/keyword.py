"""BM25 keyword index over chunk text, persisted beside the docstore.

It is rebuilt from the docstore when an ingest changed the docstore (not per query),
under the ingest lock, and records the docstore generation it was built from, so a run
killed before the rebuild is caught up by the next open. Readers see one immutable
snapshot at a time: a rebuild or reload swaps it in with a single assignment.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.names import rep_key
from core.records import Chunk

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


@dataclass(frozen=True)
class _Snapshot:
    generation: int = -1
    ids: list[str] = field(default_factory=list)
    kinds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    rep_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    bm25: object | None = None


class KeywordIndex:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._tokenize = Tokenizer()
        self._snapshot = _load(folder)

    @property
    def generation(self) -> int:
        return self._snapshot.generation

    def reload(self) -> None:
        """Pick up an index another process (or thread) rebuilt."""
        self._snapshot = _load(self.folder)

    def rebuild(self, chunks: list[Chunk], generation: int) -> None:
        """Rebuild from the docstore; the caller holds the ingest lock."""
        import bm25s

        tmp = self.folder.with_name(f"{self.folder.name}.tmp-{uuid.uuid4().hex[:8]}")
        tmp.mkdir(parents=True)
        if chunks:
            bm25 = bm25s.BM25()
            bm25.index([self._tokenize(index_text(c)) for c in chunks], show_progress=False)
            bm25.save(str(tmp / "bm25"))
        meta = {
            "generation": generation, "ids": [c.id for c in chunks],
            "kinds": [c.kind for c in chunks], "reps": [c.rep for c in chunks],
        }
        (tmp / "meta.json").write_text(json.dumps(meta))
        old = self.folder.with_name(f"{self.folder.name}.old-{uuid.uuid4().hex[:8]}")
        if self.folder.exists():
            self.folder.rename(old)
        tmp.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)
        self._snapshot = _load(self.folder)

    def search(self, query: str, n: int, kind: str | None = None, rep: str | None = None) -> list[KeywordHit]:
        snap = self._snapshot  # one consistent view, whatever a rebuild does meanwhile
        tokens = self._tokenize(query)
        if snap.bm25 is None or not tokens:
            return []
        mask = np.ones(len(snap.ids), dtype=bool)
        if kind:
            mask &= snap.kinds == kind
        if rep:
            mask &= snap.rep_keys == rep_key(rep)
        if not mask.any():
            return []
        docs, scores = snap.bm25.retrieve(
            [tokens], k=min(n, len(snap.ids)), show_progress=False,
            weight_mask=mask.astype(np.float32), n_threads=0,  # 0: no thread pool per question
        )
        return [KeywordHit(snap.ids[d], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


def _load(folder: Path) -> _Snapshot:
    meta_file = folder / "meta.json"
    try:
        meta = json.loads(meta_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return _Snapshot()
    import bm25s

    bm25 = bm25s.BM25.load(str(folder / "bm25")) if meta["ids"] else None
    return _Snapshot(
        generation=meta["generation"], ids=meta["ids"],
        kinds=np.array(meta["kinds"], dtype=object),
        rep_keys=np.array([rep_key(r) for r in meta["reps"]], dtype=object),
        bm25=bm25,
    )
