"""Sentence embeddings: every text through ONNX Runtime when it can run the model
(rag/onnx_encoder.py), else through sentence-transformers' PyTorch; each text embedded
once per machine (rag/vector_cache.py) and remembered in this process. Fixed text lists
keep their vectors in the store (``StoredVectors``). Which model and where its files are:
rag/models.py."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from rag.models import bundled, load_model, model_cache, model_folder, pooling_config
from rag.vector_cache import VectorCache, text_key

EmbedProgress = Callable[[int, int], None]  # (texts embedded so far, texts to embed)


@lru_cache(maxsize=4)
def load_onnx_encoder(name: str | None):
    """The ONNX Runtime encoder (rag/onnx_encoder.py) for a bundled model or a local model
    folder, exported on first use; None when it cannot run (PyTorch is used instead)."""
    from rag.onnx_encoder import onnx_encoder

    model_dir = model_folder(name)
    if not model_dir.is_dir():
        return None
    return onnx_encoder(model_dir, model_cache() / "onnx", lambda: load_model(name))


CACHED_VECTORS = 20_000  # about 60 MB of 768-d vectors, kept per process
_VECTORS: dict[tuple[str | None, str], np.ndarray] = {}
_CACHE_LOCK = threading.Lock()


class Embedder:
    """Encodes text to unit-length float32 vectors; loads the model on first use.

    ``onnx=False`` sends every text through PyTorch (bench/question_speed.py compares the
    two); ``shared_cache=False`` embeds without the machine-wide vector cache.
    ``embedded`` counts the texts this embedder actually ran through a model."""

    def __init__(self, model: str | None = None, onnx: bool = True, shared_cache: bool = True) -> None:
        self._requested = model
        self.onnx = onnx
        self.shared_cache = shared_cache
        known = bundled(model)
        self.model_id = known.model_id if known else model
        self.embedded = 0

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

    @cached_property
    def vector_cache(self) -> VectorCache | None:
        return VectorCache(self.model_id or str(self._requested), self.dimension) if self.shared_cache else None

    def _fast(self):
        return load_onnx_encoder(self._requested) if self.onnx else None

    def encode(self, texts: list[str], batch_size: int = 32, progress: EmbedProgress | None = None) -> np.ndarray:
        """Vectors for ``texts``. A text this process or, with the same model, any store on
        this machine embedded before is not embedded again; ``progress`` hears about the
        ones that are."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._through_cache(texts, lambda missing: self._embed(missing, batch_size, progress), shared=True)

    def _embed(self, texts: list[str], batch_size: int, progress: EmbedProgress | None) -> np.ndarray:
        self.embedded += len(texts)
        fast = self._fast()
        if fast is not None:
            return fast.encode(texts, batch_size=batch_size, progress=progress)
        vectors = self._model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False).astype(np.float32, copy=False)
        if progress is not None:
            progress(len(texts), len(texts))
        return vectors

    def encode_one(self, text: str) -> np.ndarray:
        """One question, by ONNX Runtime when it is available (the same vector, sooner);
        remembered, as an answer and its floor observations embed the same question."""
        fast = self._fast()
        if fast is None:
            return self.encode([text])[0]
        return self._through_cache([text], lambda missing: [fast.encode_one(t) for t in missing], shared=False)[0]

    def _through_cache(self, texts: list[str], embed, shared: bool) -> np.ndarray:
        """Vectors for ``texts`` from the process-wide cache, then (``shared``) the machine's
        vector cache; ``embed(missing)`` computes the others, which both remember."""
        with _CACHE_LOCK:
            known = {t: _VECTORS.get((self._requested, t)) for t in dict.fromkeys(texts)}  # in order
        missing = [t for t, v in known.items() if v is None]
        cache = self.vector_cache if shared and missing else None
        if cache is not None:
            keys = {t: text_key(t) for t in missing}
            stored = cache.get(keys.values())
            for text in missing:
                known[text] = stored.get(keys[text])
            missing = [t for t in missing if known[t] is None]
        if missing:
            fresh = embed(missing)
            for text, vector in zip(missing, fresh):
                known[text] = vector
            if cache is not None:
                cache.put({keys[t]: known[t] for t in missing})
        with _CACHE_LOCK:
            for text, vector in known.items():
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
