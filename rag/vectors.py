"""Chunk vectors in Chroma: embedded ``PersistentClient`` by default, or a Chroma server.

The collection records the embedding model id and dimension it was built with; opening
it with another model raises ``EmbeddingMismatch`` naming the re-index command.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.settings import ChromaServer
from core.errors import EmbeddingMismatch, StoreError

COLLECTION = "coach_chunks"


@dataclass(frozen=True)
class VectorHit:
    id: str
    similarity: float  # cosine similarity, 1.0 = same direction


class ChromaVectors:
    def __init__(self, *, path: Path | None, server: ChromaServer | None,
                 model_id: str, dimension: int, collection: str = COLLECTION) -> None:
        try:
            self._client = _connect(path, server)
            if server is not None:
                self._client.heartbeat()
        except Exception as exc:
            where = f"http://{server.host}:{server.port}" if server else str(path)
            raise StoreError(
                f"Cannot open the Chroma store at {where} ({type(exc).__name__}: {exc}); "
                "check that the server is running or unset COACH_CHROMA_URL to use the embedded store"
            ) from None
        self.model_id, self.dimension, self.name = model_id, dimension, collection
        self._collection = self._open_collection()
        self._check_model()

    def _open_collection(self):
        return self._client.get_or_create_collection(
            self.name,
            metadata={"embed_model": self.model_id, "dim": self.dimension},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )

    def _check_model(self) -> None:
        meta = self._collection.metadata or {}
        built_with, dim = meta.get("embed_model"), meta.get("dim")
        if built_with != self.model_id or dim != self.dimension:
            raise EmbeddingMismatch(
                f"This knowledge base was built with embedding model {built_with} ({dim} dims) "
                f"but {self.model_id} ({self.dimension} dims) is configured; re-index with: "
                "coach ingest --reindex knowledge/ (or set COACH_EMBED_MODEL back)"
            )

    def upsert(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict]) -> None:
        for start in range(0, len(ids), 1000):
            end = start + 1000
            self._collection.upsert(
                ids=ids[start:end], embeddings=vectors[start:end], metadatas=metadatas[start:end]
            )

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), 1000):
            self._collection.delete(ids=ids[start:start + 1000])

    def ids(self) -> set[str]:
        return set(self._collection.get(include=[])["ids"])

    def count(self) -> int:
        return self._collection.count()

    def query(self, vector: np.ndarray, n: int, where: dict | None = None) -> list[VectorHit]:
        """The ``n`` nearest (fewer when the collection holds fewer: Chroma 1.5 returns
        what it has, so no count is asked first, a round trip per question saved)."""
        result = self._collection.query(
            query_embeddings=[vector], n_results=n, where=where or None, include=["distances"],
        )
        return [
            VectorHit(id=i, similarity=1.0 - float(d))
            for i, d in zip(result["ids"][0], result["distances"][0])
        ]

    @staticmethod
    def drop(*, path: Path | None, server: ChromaServer | None, collection: str = COLLECTION) -> None:
        """Delete the collection whatever model built it (for --reindex)."""
        client = None
        try:
            client = _connect(path, server)
            client.delete_collection(collection)
        except Exception:  # not there: nothing to drop
            pass
        finally:
            if client is not None:
                client.close()

    def close(self) -> None:
        """Release the client; the last one open on an embedded store closes its files."""
        self._client.close()


def _connect(path: Path | None, server: ChromaServer | None):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if server is not None:
        return chromadb.HttpClient(host=server.host, port=server.port, ssl=server.ssl, settings=settings)
    assert path is not None
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)
