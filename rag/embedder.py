"""Sentence embeddings: passages through sentence-transformers, questions through ONNX Runtime
when it can run the model (rag/question_encoder.py); fixed text lists keep their vectors in the
store (``StoredVectors``). Which model and where its files are: rag/models.py."""

from __future__ import annotations

import hashlib
import threading
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from rag.models import MINILM, MPNET, DEFAULT_MODEL, bundled, load_model, model_cache, model_folder, pooling_config  # noqa: F401


@lru_cache(maxsize=4)
def load_question_encoder(name: str | None):
    """The ONNX Runtime encoder for questions (rag/question_encoder.py), or None to use
    PyTorch: for a bundled model or a local model folder."""
    from rag.question_encoder import question_encoder

    model_dir = model_folder(name)
    if not model_dir.is_dir():
        return None
    return question_encoder(model_dir, model_cache() / "onnx", lambda: load_model(name))


CACHED_VECTORS = 20_000  # about 60 MB of 768-d vectors, kept per process
_VECTORS: dict[tuple[str | None, str], np.ndarray] = {}
_CACHE_LOCK = threading.Lock()


class Embedder:
    """Encodes text to unit-length float32 vectors; loads the model on first use."""

    def __init__(self, model: str | None = None, onnx_questions: bool = True) -> None:
        self._requested = model
        self.onnx_questions = onnx_questions  # off: questions go through PyTorch too (bench/question_speed.py)
        known = bundled(model)
        self.model_id = known.model_id if known else model

    @cached_property
    def _model(self):
        return load_model(self._requested)

    @cached_property
    def dimension(self) -> int:
        """From the model's pooling config when it has one, so that answering a question by
        ONNX Runtime never loads PyTorch; else from the loaded model."""
        pooling = pooling_config(model_folder(self._requested)) or {}
        try:
            return int(pooling["word_embedding_dimension"])
        except (KeyError, TypeError, ValueError):
            return int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Vectors for ``texts``; a text this process embedded recently is not embedded again
        (re-ingesting an edited folder, a reindex, or a second store in the same process)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._through_cache(texts, lambda missing: self._model.encode(
            missing, batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        ).astype(np.float32, copy=False))

    def encode_one(self, text: str) -> np.ndarray:
        """One question, by ONNX Runtime when it is available (the same vector, sooner);
        remembered, as an answer and its floor observations embed the same question."""
        fast = load_question_encoder(self._requested) if self.onnx_questions else None
        if fast is None:
            return self.encode([text])[0]
        return self._through_cache([text], lambda missing: [fast.encode_one(t) for t in missing])[0]

    def _through_cache(self, texts: list[str], embed) -> np.ndarray:
        """Vectors for ``texts`` from the process-wide cache; ``embed(missing)`` computes the
        others, which are remembered (the oldest are dropped beyond ``CACHED_VECTORS``)."""
        with _CACHE_LOCK:
            known = {t: _VECTORS.get((self._requested, t)) for t in dict.fromkeys(texts)}  # in order
        missing = [t for t, v in known.items() if v is None]
        if missing:
            fresh = embed(missing)
            with _CACHE_LOCK:
                for text, vector in zip(missing, fresh):
                    known[text] = vector
                    _VECTORS[(self._requested, text)] = vector
                while len(_VECTORS) > CACHED_VECTORS:
                    _VECTORS.pop(next(iter(_VECTORS)))
        return np.stack([known[t] for t in texts])


class StoredVectors:
    """An embedder front for one fixed list of texts (the taxonomy's sentences, the scope's
    examples): their vectors are kept in a file of the store, keyed by the model and the
    texts, so each new process (a cold ``coach ask``) reads them instead of embedding
    hundreds of sentences again. A stale or unreadable file is simply rebuilt."""

    def __init__(self, embedder: Embedder, path: Path) -> None:
        self.embedder, self.path = embedder, path

    def encode(self, texts: list[str]) -> np.ndarray:
        key = hashlib.sha256("\n".join([self.embedder.model_id or "", *texts]).encode()).hexdigest()
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                if str(stored["key"]) == key:
                    return stored["vectors"]
        except (OSError, KeyError, ValueError):
            pass
        vectors = self.embedder.encode(texts)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            with tmp.open("wb") as out:
                np.savez(out, key=np.array(key), vectors=vectors)
            tmp.replace(self.path)
        except OSError:
            pass  # a read-only store still answers; it embeds these texts each time
        return vectors
