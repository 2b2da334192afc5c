"""The library behind the CLI, the UI and the evals: one object wires the store together.

Dependencies (embedder, Chroma client, docstore, BM25 index, optional LLM) are built here
once and passed down; nothing else creates them.
"""

from __future__ import annotations

import fcntl
import shutil
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from coach.config import Settings
from coach.errors import StoreError
from coach.records import Answer, IngestReport
from ingest.files import discover
from rag.answerer import Answerer
from rag.docstore import Docstore
from rag.embedder import Embedder
from rag.indexer import Indexer, Progress
from rag.keyword import KeywordIndex
from rag.retriever import HybridRetriever
from rag.vectors import ChromaVectors


class KnowledgeBase:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir
        self.embedder = embedder or Embedder(settings.embed_model)

    # -- parts, built once on first use -------------------------------------------------
    @cached_property
    def docstore(self) -> Docstore:
        return Docstore(self.data_dir / "docstore.sqlite3")

    @cached_property
    def vectors(self) -> ChromaVectors:
        return ChromaVectors(
            path=self.data_dir / "chroma", server=self.settings.chroma,
            model_id=self.embedder.model_id, dimension=self.embedder.dimension,
        )

    @cached_property
    def keyword(self) -> KeywordIndex:
        return KeywordIndex(self.data_dir / "bm25")

    @cached_property
    def answerer(self) -> Answerer:
        from rag.generator import build_generator

        retriever = HybridRetriever(self.docstore, self.vectors, self.keyword)
        return Answerer(self.docstore, retriever, self.embedder, build_generator(self.settings.llm))

    # -- operations ---------------------------------------------------------------------
    def ingest(self, paths: list[Path], progress: Progress | None = None,
               reindex: bool = False) -> IngestReport:
        with self._ingest_lock():
            if reindex:
                self._drop_index()
            files, folders, problems = discover(paths)
            indexer = Indexer(self.docstore, self.vectors, self.keyword, self.embedder)
            return indexer.sync(files, folders, problems, progress)

    def ask(self, question: str, k: int = 5, rep: str | None = None, kind: str | None = None) -> Answer:
        self.require_content()
        return self.answerer.ask(question, k=k, rep=rep, kind=kind)

    def require_content(self) -> None:
        if not (self.data_dir / "docstore.sqlite3").exists() or self.docstore.counts()["chunks"] == 0:
            raise StoreError(
                f"No knowledge base in {self.data_dir}. Run: coach ingest knowledge/"
            )
        Indexer(self.docstore, self.vectors, self.keyword, self.embedder).refresh_keyword_index()

    def close(self) -> None:
        if "docstore" in self.__dict__:
            self.docstore.close()

    # -- internals ------------------------------------------------------------------------
    def _drop_index(self) -> None:
        """Forget everything indexed so the next sync re-embeds all files with this model."""
        ChromaVectors.drop(path=self.data_dir / "chroma", server=self.settings.chroma)
        for name in ("vectors", "docstore", "keyword", "answerer"):
            obj = self.__dict__.pop(name, None)
            if name == "docstore" and obj is not None:
                obj.close()
        (self.data_dir / "docstore.sqlite3").unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            (self.data_dir / f"docstore.sqlite3{suffix}").unlink(missing_ok=True)
        shutil.rmtree(self.data_dir / "bm25", ignore_errors=True)

    @contextmanager
    def _ingest_lock(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "ingest.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"Another ingest is running on {self.data_dir}; wait for it to finish and try again"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


# The coaching-memory API (implemented in memory/, wired in by the memory issue):
#   kb.observations(rep=None, theme=None, polarity=None, include_one_offs=False) -> list[Observation]
#   kb.interventions(rep=None) -> list[Intervention]
#   kb.mental_models() -> list[MentalModel]
#   kb.mental_model(model_id) -> MentalModel
#   kb.model_history(model_id) -> list[ModelVersion]
#   kb.themes() -> list[Theme]   (memory.taxonomy.Theme: id, label, description, ...)
