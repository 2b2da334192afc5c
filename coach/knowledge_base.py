"""The library behind the CLI, the UI and the evals: one object wires the store together.

Dependencies (embedder, Chroma client, docstore, BM25 index, optional LLM) are built here
once and passed down; nothing else creates them.
"""

from __future__ import annotations

import fcntl
import re
import shutil
from contextlib import contextmanager
from functools import cached_property
from collections.abc import Sequence
from pathlib import Path

from dataclasses import replace

import numpy as np

from core.settings import Settings
from core.errors import InputError, StoreError
from core.records import (
    Answer, Exchange, Hit, IngestReport, Intervention, MentalModel, ModelVersion, Observation, ObservationRef,
)
from ingest.files import discover
from rag.answerer import Answerer
from rag.docstore import Docstore
from rag.embedder import MINILM, Embedder
from rag.indexer import Indexer, Progress
from rag.keyword import KeywordIndex
from rag.retriever import HybridRetriever
from rag.scope import ScopeCache
from rag.scope import capture as capture_scope
from rag.vectors import ChromaVectors

ANSWER_OBSERVATIONS = 3
NOT_SUPPORTED = "the knowledge base does not support an answer, so the LLM was not asked"
QUESTION_THEME_SIMILARITY = 0.40  # a question is about a theme at this prototype similarity
QUESTION_THEME_MARGIN = 0.05  # ... and when it is this close to the question's best theme


def store_model(data_dir: Path) -> str | None:
    """The embedding model an existing store was built with, when none is configured.

    A store records its model at ingest. One built before that (coach 0.1 used the bundled
    all-MiniLM-L6-v2 by default) keeps MiniLM, so upgrading never forces a re-index; set
    COACH_EMBED_MODEL and run ``coach ingest --reindex`` to move it to the new default."""
    path = data_dir / "docstore.sqlite3"
    if not path.is_file():
        return None
    import sqlite3
    from contextlib import closing

    try:
        # read-write on purpose: the last connection to close removes the WAL files, which a
        # read-only one would leave behind in the store
        with closing(sqlite3.connect(path)) as db:
            row = db.execute("SELECT value FROM state WHERE key = 'embed_model'").fetchone()
            if row:
                return row[0]
            chunks = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    except sqlite3.Error:
        return None  # no tables yet, or not readable: the docstore itself reports it
    return MINILM.name if chunks else None


class KnowledgeBase:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir
        self.embedder = embedder or Embedder(settings.embed_model or store_model(self.data_dir))

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
    def memory(self):
        from memory.bank import MemoryBank

        return MemoryBank(self.data_dir / "memory", self.docstore, self.embedder)

    @cached_property
    def models(self):
        from memory.mental_models import MentalModels

        return MentalModels(self.data_dir / "memory" / "models", self.answerer, self.memory.themes())

    @cached_property
    def answerer(self) -> Answerer:
        from rag.generator import build_generator

        retriever = HybridRetriever(self.docstore, self.vectors, self.keyword)
        generator = build_generator(self.settings.llm, embedder=self.embedder)
        return Answerer(self.docstore, retriever, self.embedder, generator, ScopeCache(self.data_dir, self.embedder))

    # -- operations ---------------------------------------------------------------------
    def ingest(self, paths: list[Path], progress: Progress | None = None,
               reindex: bool = False, config_dir: Path | None = None) -> IngestReport:
        """Ingest files and folders; the memory's bank.json and taxonomy.json come from
        ``config_dir`` when given, else from beside the ingested paths."""
        with self.ingest_lock():
            if reindex:
                self._drop_index()
            files, folders, problems = discover(paths)
            indexer = Indexer(self.docstore, self.vectors, self.keyword, self.embedder)
            report = indexer.sync(files, folders, problems, progress)
            self.docstore.set_state("embed_model", self.embedder.model_id)
            self.memory.capture_config(paths, config_dir)
            capture_scope(paths, self.data_dir)
            ScopeCache(self.data_dir, self.embedder).get()  # stores the scope's vectors now, not in the first ask
            return self._refresh_memory(report, progress)

    def _refresh_memory(self, report: IngestReport, progress) -> IngestReport:
        """Retain, consolidate and refresh the mental models (each only if inputs changed)."""
        if not self.memory.configured:
            return report
        if progress:
            progress(1, 1, "coaching memory")
        observations, interventions = self.memory.refresh()
        playbooks = {s: d.hash for s, d in self.docstore.documents().items() if d.kind == "playbook"}
        refreshed = self.models.refresh(self.memory.bank().models, observations, interventions, playbooks) \
            if self.docstore.counts()["chunks"] else []
        promoted = sum(1 for o in observations if o.promoted)
        return replace(report, observations=promoted, models_refreshed=tuple(refreshed))

    def ask(self, question: str, k: int = 5, rep: str | None = None, kind: str | None = None) -> Answer:
        self.require_content()
        answer = self.answerer.ask(question, k=k, rep=rep, kind=kind)
        if self.answerer.generator is not None and not answer.grounded:
            answer = self.answerer.generator.skipped(answer, NOT_SUPPORTED)
        if not answer.grounded or not self.memory.configured:
            return answer
        return replace(answer, observations=tuple(self._observations_for(answer, rep)))

    # -- conversations, search and notes from programs (coach ask --session, the UI, coach mcp)
    def ask_in_context(self, question: str, history: Sequence[Exchange], k: int = 5,
                       rep: str | None = None) -> Answer:
        """Answer a follow-up in the context of earlier exchanges: it is condensed into a
        standalone question first, which the answer reports as ``standalone_question``."""
        asked = " ".join((question or "").split())
        standalone = self.condenser.condense(asked, history).question
        answer = self.ask(standalone, k=k, rep=rep)
        return replace(answer, question=asked, standalone_question=answer.question)

    def ask_in_session(self, name: str, question: str, k: int = 5, rep: str | None = None) -> Answer:
        """``ask_in_context`` with the conversation kept in ``<data-dir>/sessions/NAME.jsonl``."""
        from rag.sessions import SessionLog

        log = SessionLog(self.data_dir)
        answer = self.ask_in_context(question, log.history(name), k=k, rep=rep)
        log.append(name, answer)
        return answer

    @cached_property
    def condenser(self):
        from rag.condense import build_condenser

        generator = self.answerer.generator
        return build_condenser(generator.llm if generator is not None else None)

    def search(self, query: str, k: int = 5, rep: str | None = None) -> list[Hit]:
        """The passages ``ask`` would read for ``query`` (same routing), best first."""
        self.require_content()
        if not (query or "").strip():
            raise InputError("The search query is empty; give a few words, e.g. timing objection")
        return self.answerer.search(" ".join(query.split()), k=k, rep=rep).hits

    def retain_note(self, draft) -> IngestReport:
        """Write a call note (``coach.notes.NoteDraft``) under ``<data-dir>/notes/`` and ingest it,
        so it becomes part of the memory. A draft that fails its checks writes nothing."""
        from coach.notes import retain

        return retain(self, draft)

    # -- coaching memory ------------------------------------------------------------------
    def observations(self, rep: str | None = None, theme: str | None = None,
                     polarity: str | None = None, include_one_offs: bool = False) -> list[Observation]:
        self.require_content()
        found = self.memory.observations()
        if rep:
            self._check_rep(rep)
        chosen = [
            o for o in found
            if (include_one_offs or o.promoted)
            and (not rep or _involves(o, rep))
            and (not theme or o.theme == theme)
            and (not polarity or o.polarity == polarity)
        ]
        return sorted(chosen, key=lambda o: o.rep is None) if rep else chosen

    def interventions(self, rep: str | None = None) -> list[Intervention]:
        self.require_content()
        return [i for i in self.memory.interventions() if not rep or _same_name(i.rep, rep)]

    def themes(self):
        return self.memory.themes()

    def mental_models(self) -> list[MentalModel]:
        self.require_content()
        return [m for m in (self.models.latest(spec) for spec in self.memory.bank().models) if m]

    def mental_model(self, model_id: str) -> MentalModel:
        spec = self._model_spec(model_id)
        model = self.models.latest(spec)
        if model is None:
            raise StoreError(f"Mental model {model_id!r} has not been built yet. Run: coach ingest knowledge/")
        return model

    def model_history(self, model_id: str) -> list[ModelVersion]:
        self._model_spec(model_id)
        return self.models.versions(model_id)

    def _model_spec(self, model_id: str):
        self.require_content()
        specs = {m.id: m for m in self.memory.bank().models}
        if model_id not in specs:
            raise InputError(f"No mental model {model_id!r}; choose one of: {', '.join(specs)}")
        return specs[model_id]

    def _check_rep(self, rep: str) -> None:
        known = {n.rep for n in self.docstore.notes()}
        if not any(_same_name(name, rep) for name in known):
            raise InputError(f"No rep named {rep!r} in the call notes; known reps: {', '.join(sorted(known))}")

    def _observations_for(self, answer: Answer, rep: str | None) -> list[ObservationRef]:
        """Promoted observations on the themes the answer is about: themes whose playbook
        section the answer cites, and themes close to the question (strengths first)."""
        question = answer.question
        themes = self.memory.themes()
        classifier = self.memory.classifier(themes)
        vector = self.embedder.encode_one(question)
        per_theme = np.full(len(themes), -1.0)
        np.maximum.at(per_theme, classifier.owners, classifier.prototypes @ vector)
        floor = max(QUESTION_THEME_SIMILARITY, float(per_theme.max()) - QUESTION_THEME_MARGIN)
        relevant = {themes[i].id for i in np.flatnonzero(per_theme >= floor)}
        cited = {c.section for c in answer.citations[:2]}
        relevant |= {t.id for t in themes if t.playbook_section in cited}
        asks_about_questions = bool(re.search(r"\bquestions?\b", question, re.IGNORECASE))
        candidates = [
            o for o in self.memory.observations()
            if o.promoted and (o.theme in relevant or (asks_about_questions and o.statement.startswith("Asking ")))
            and (not rep or _involves(o, rep))
        ]
        candidates.sort(key=lambda o: (not o.statement.startswith("Asking "), o.polarity != "strength", -o.calls))
        return [ObservationRef(o.id, o.statement) for o in candidates[:ANSWER_OBSERVATIONS]]

    def require_content(self) -> None:
        if not (self.data_dir / "docstore.sqlite3").exists() or self.docstore.counts()["chunks"] == 0:
            raise StoreError(
                f"No knowledge base in {self.data_dir}. Run: coach ingest knowledge/"
            )
        self._catch_up_keyword_index()

    def _catch_up_keyword_index(self) -> None:
        """Use the BM25 index of the current docstore generation. Another process may have
        rebuilt it (reload it), or a run killed before its rebuild left it behind (rebuild
        it). Both touch the index files, so both happen only under the ingest lock; while
        an ingest runs, answers use the current snapshot and the ingest swaps in the new one."""
        generation = self.docstore.generation()
        if self.keyword.generation == generation:
            return
        try:
            with self.ingest_lock():
                self.keyword.reload()
                Indexer(self.docstore, self.vectors, self.keyword, self.embedder).refresh_keyword_index()
        except StoreError:
            pass  # an ingest is running and will rebuild the index itself

    def remove_source(self, source: str) -> IngestReport:
        """Forget one ingested document (its chunks, vectors, notes) and refresh the memory."""
        with self.ingest_lock():
            documents = self.docstore.documents()
            if source not in documents:
                raise InputError(f"{source!r} is not in the knowledge base; see the Knowledge tab or coach ingest --json")
            chunk_ids = [c.id for c in self.docstore.chunks_of(source)]
            self.docstore.delete_document(source)
            self.vectors.delete(chunk_ids)
            indexer = Indexer(self.docstore, self.vectors, self.keyword, self.embedder)
            indexer.refresh_keyword_index()
            report = IngestReport(deleted=1, chunks=self.docstore.counts()["chunks"],
                                  files=((source, "deleted"),))
            return self._refresh_memory(report, None)

    def close(self) -> None:
        if "docstore" in self.__dict__:
            self.docstore.close()

    # -- internals ------------------------------------------------------------------------
    def _drop_index(self) -> None:
        """Forget everything indexed so the next sync re-embeds all files with this model."""
        ChromaVectors.drop(path=self.data_dir / "chroma", server=self.settings.chroma)
        # everything built on the old docstore, vectors or index goes with them
        for name in ("vectors", "docstore", "keyword", "answerer", "memory", "models"):
            obj = self.__dict__.pop(name, None)
            if name == "docstore" and obj is not None:
                obj.close()
        (self.data_dir / "docstore.sqlite3").unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            (self.data_dir / f"docstore.sqlite3{suffix}").unlink(missing_ok=True)
        shutil.rmtree(self.data_dir / "bm25", ignore_errors=True)

    @contextmanager
    def ingest_lock(self):
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


def _involves(observation: Observation, rep: str) -> bool:
    """The observation is the rep's own pattern, or a team pattern the rep is part of."""
    return _same_name(observation.rep, rep) or any(_same_name(r, rep) for r in observation.reps)


def _same_name(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    a, b = a.strip().lower(), b.strip().lower()
    return a == b or a.split()[0] == b

