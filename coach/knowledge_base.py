"""The library behind the CLI, the UI and the evals: one object wires the store together.

Dependencies (embedder, Chroma client, docstore, BM25 index, optional LLM) are built here
once and passed down; nothing else creates them.
"""

from __future__ import annotations

import re
from functools import cached_property
from collections.abc import Sequence
from pathlib import Path

from dataclasses import replace

import numpy as np

from core.errors import InputError, StoreError
from core.records import (
    Answer, Exchange, FloorReading, Hit, IngestReport, Intervention, MentalModel, ModelVersion, Observation, ObservationRef,
    SourceKind,
)
from core.names import reps_named, same_rep
from core.settings import Settings
from core.store import LAYOUT, Store
from core.threads import one_blas_thread
from ingest.files import discover
from ingest.roots import Roots, legacy_roots
from memory.floor_answers import answer_from_floor, render
from memory.floor_questions import Roster, nicknames, read_question
from rag.answerer import Answerer, clean_question
from rag.docstore import Docstore
from rag.embedder import Embedder
from rag.indexer import Indexer, Progress
from rag.keyword import KeywordIndex
from rag.models import MINILM
from rag.answered import AnsweredIndex
from rag.retriever import HybridRetriever
from rag.scope import ScopeCache
from rag.scope import capture as capture_scope
from rag.vectors import ChromaVectors

ANSWER_OBSERVATIONS = 3
NOT_SUPPORTED = "the knowledge base does not support an answer, so the LLM was not asked"
QUESTION_THEME_SIMILARITY = 0.40  # a question is about a theme at this prototype similarity
QUESTION_THEME_MARGIN = 0.05  # ... and when it is this close to the question's best theme


class KnowledgeBase:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        one_blas_thread()  # numpy's idle BLAS threads would take the cores the question encoder needs
        self.settings = settings
        self.data_dir = settings.data_dir
        self.store = Store(settings.data_dir)
        migrate(self.store)
        self.embedder = embedder or Embedder(settings.embed_model or self.store.recorded_model())

    # -- parts, built once on first use -------------------------------------------------
    @cached_property
    def docstore(self) -> Docstore:
        return Docstore(self.store.docstore_path)

    @cached_property
    def vectors(self) -> ChromaVectors:
        return ChromaVectors(
            path=self.store.chroma_dir, server=self.settings.chroma,
            model_id=self.embedder.model_id, dimension=self.embedder.dimension,
        )

    @cached_property
    def keyword(self) -> KeywordIndex:
        return KeywordIndex(self.store.keyword_dir)

    @cached_property
    def memory(self):
        from memory.bank import MemoryBank

        return MemoryBank(self.store.memory_dir, self.docstore, self.embedder)

    @cached_property
    def models(self):
        from memory.mental_models import MentalModels

        return MentalModels(self.store.models_dir, self.answerer, self.memory.themes())

    @cached_property
    def answerer(self) -> Answerer:
        from rag.generator import build_generator

        retriever = HybridRetriever(self.docstore, self.vectors, self.keyword,
                                    AnsweredIndex(self.embedder, self.store.answered_vectors_path))
        generator = build_generator(self.settings.llm, embedder=self.embedder)
        return Answerer(self.docstore, retriever, self.embedder, generator, ScopeCache(self.store.scope_path, self.embedder))

    # -- operations ---------------------------------------------------------------------
    def ingest(self, paths: list[Path], progress: Progress | None = None,
               reindex: bool = False, config_dir: Path | None = None,
               kind: SourceKind | None = None) -> IngestReport:
        """Ingest files and folders; the memory's bank.json and taxonomy.json come from
        ``config_dir`` when given, else from beside the ingested paths. ``kind`` forces
        every file to be read as a playbook or a call note instead of telling from its text."""
        with self.store.lock():
            if reindex:
                self._drop_index()
            found = discover(paths, self._roots_for(paths), kind)
            indexer = Indexer(self.docstore, self.vectors, self.keyword, self.embedder)
            embedded_before = self.embedder.embedded
            report = indexer.sync(found, progress)
            self.store.save_roots(self._roots_in_use(found.roots), embed_model=self.embedder.model_id)
            self.memory.capture_config(paths, config_dir)
            capture_scope(paths, self.store.scope_path)
            ScopeCache(self.store.scope_path, self.embedder).get()  # stores the scope's vectors now, not in the first ask
            AnsweredIndex(self.embedder, self.store.answered_vectors_path).vectors()  # and the answered questions'
            report = self._refresh_memory(report, progress)
            return replace(report, embedded=self.embedder.embedded - embedded_before)

    def _refresh_memory(self, report: IngestReport, progress) -> IngestReport:
        """Retain, consolidate and refresh the mental models (each only if inputs changed)."""
        if not self.memory.configured:
            return report
        progress = progress or (lambda done, total, phase: None)
        progress(0, 1, "coaching memory")
        observations, interventions = self.memory.refresh()
        progress(0, 1, "mental models")
        playbooks = {s: d.hash for s, d in self.docstore.documents().items() if d.kind == "playbook"}
        refreshed = self.models.refresh(self.memory.bank().models, observations, interventions, playbooks) \
            if self.docstore.counts()["chunks"] else []
        promoted = sum(1 for o in observations if o.promoted)
        return replace(report, observations=promoted, models_refreshed=tuple(refreshed))

    def ask(self, question: str, k: int = 5, rep: str | None = None, kind: str | None = None,
            read_floor: bool = True) -> Answer:
        """A cited answer. A coach's question about the floor (who does X, how is a rep doing,
        did coaching help) is answered from the memory; ``read_floor=False`` skips that
        reading (the evals' plain baseline)."""
        self.require_content()
        rep = self._check_rep(rep) if rep else None
        floor = self._read_floor_question(question, rep) if read_floor and kind != "playbook" else None
        if floor is not None:
            return self._answer_from_floor(clean_question(question), floor, k)
        answer = self.answerer.ask(question, k=k, rep=rep, kind=kind)
        if self.answerer.generator is not None and not answer.grounded:
            answer = self.answerer.generator.skipped(answer, NOT_SUPPORTED)
        if not answer.grounded or not self.memory.configured:
            return answer
        return replace(answer, observations=tuple(self._observations_for(answer, rep)))

    def _read_floor_question(self, question: str, rep: str | None) -> FloorReading | None:
        """What a coach's question asks of the memory, or None for a playbook question."""
        if not self.memory.configured or not self.memory.observations():
            return None
        question = clean_question(question)
        themes = self.memory.themes()
        return read_question(question, self._roster(), self.memory.classifier(themes),
                             self.embedder.encode_one(question), rep=rep)

    def _roster(self) -> Roster:
        generation = self.docstore.generation()
        if getattr(self, "_roster_memo", (None, None))[0] != generation:
            notes = self.docstore.notes()
            words = frozenset(w.lower() for c in self.docstore.chunks() if c.kind == "playbook"
                              for w in re.findall(r"[A-Za-z][a-z]+", c.text))
            bodies: dict[str, list[str]] = {}
            for note in notes:
                bodies.setdefault(note.rep, []).append(note.body)
            self._roster_memo = (generation, Roster(tuple(sorted(bodies)), words, nicknames(bodies, words)))
        return self._roster_memo[1]

    def _answer_from_floor(self, question: str, reading: FloorReading, k: int) -> Answer:
        """The memory answers; a question that also asks for advice gets the playbooks' answer
        after the floor's facts, each part cited."""
        themes = self.memory.themes()
        found = answer_from_floor(reading, self.memory.observations(), self.memory.interventions(), themes,
                                  self._roster().reps)
        text, citations = render(found, themes)
        answer = Answer(question=question, answer=text, grounded=bool(citations), citations=citations, floor=found,
                        match="strong" if citations else "none")
        if reading.intent != "mixed":
            return answer
        advice = self.answerer.ask(question, k=k, kind="playbook")
        if not advice.grounded:
            return answer
        offset = len(citations)
        renumbered = re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + offset}]", advice.answer)
        moved = tuple(replace(c, n=c.n + offset) for c in advice.citations)
        return replace(answer, answer=f"{text}\n\n**From the playbooks:**\n{renumbered}", grounded=True,
                       citations=citations + moved, generator=advice.generator)

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

        log = SessionLog(self.store.sessions_dir)
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
        rep = self._check_rep(rep) if rep else None
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
            and (not polarity or polarity in o.readings)
        ]
        return sorted(chosen, key=lambda o: o.rep is None) if rep else chosen

    def interventions(self, rep: str | None = None) -> list[Intervention]:
        self.require_content()
        return [i for i in self.memory.interventions() if not rep or same_rep(i.rep, rep)]

    def themes(self):
        return self.memory.themes()

    def reps(self) -> tuple[str, ...]:
        """Every rep the call notes name, sorted."""
        self.require_content()
        return self._roster().reps

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

    def _check_rep(self, rep: str) -> str:
        """The full name of the rep ``rep`` names (a full or first name)."""
        known = self._roster().reps
        named = reps_named(rep, known)
        if len(named) > 1:
            raise InputError(f"Several reps are called {rep!r}: {', '.join(named)}; give the full name")
        if not named:
            raise InputError(f"No rep named {rep!r} in the call notes; known reps: {', '.join(sorted(known))}")
        return named[0]

    def _observations_for(self, answer: Answer, rep: str | None) -> list[ObservationRef]:
        """Promoted observations on the themes the answer is about: themes whose playbook
        section the answer cites, and themes close to the question (strengths first)."""
        question = answer.question
        themes = self.memory.themes()
        per_theme = self.memory.classifier(themes).closest_prototype(self.embedder.encode_one(question))
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
        if not self.store.exists() or self.docstore.counts()["chunks"] == 0:
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

    # -- where the documents come from ---------------------------------------------------
    def roots(self) -> Roots:
        return Roots(self.store.roots())

    def _roots_for(self, paths: list[Path]) -> Roots:
        """The recorded roots, plus the store's own upload and note folders as roots of
        their own when something inside them is ingested (keys ``uploads/calls/...``)."""
        roots = self.roots()
        for folder in (self.store.uploads_dir, self.store.notes_dir):
            folder = folder.resolve()
            if any(_resolves_into(p, folder) for p in paths):
                roots = roots.adopt(folder)
        return roots

    def _roots_in_use(self, roots: Roots) -> dict[str, Path]:
        """The roots to record: those recorded before, and new ones that now hold a
        document (a folder given only for a file that was skipped is not kept)."""
        recorded, keys = self.store.roots(), self.docstore.documents()
        return {label: folder for label, folder in roots.folders.items()
                if label in recorded or any(key.startswith(label + "/") for key in keys)}

    def move_root(self, given: str, folder: Path) -> tuple[str, Path]:
        """Point a root (named by its label or old folder) at the folder it was moved to.
        Document keys stay; nothing is embedded again; the next ingest of the new folder
        finds every unchanged file unchanged."""
        with self.store.lock():
            roots = self.roots()
            label = roots.label_of(given)
            if label is None:
                known = ", ".join(f"{name} ({path})" for name, path in roots.folders.items()) or "none yet"
                raise InputError(f"No ingest root {given!r}; known roots: {known}")
            target = folder.expanduser().resolve()
            if not target.is_dir():
                raise InputError(f"{folder} is not a folder; give the folder the root was moved to")
            old = roots.folders[label]
            self.store.save_roots(roots.moved(label, target).folders)
            self.docstore.relocate(str(old), str(target))
            return label, target

    def close(self) -> None:
        """Release the open parts (docstore connection, Chroma client)."""
        for name in ("docstore", "vectors"):
            part = self.__dict__.pop(name, None)
            if part is not None:
                part.close()

    # -- internals ------------------------------------------------------------------------
    def _drop_index(self) -> None:
        """Forget everything indexed so the next sync re-embeds all files with this model."""
        self.close()
        ChromaVectors.drop(path=self.store.chroma_dir, server=self.settings.chroma)
        # everything built on the old docstore, vectors or index goes with them
        for name in ("keyword", "answerer", "memory", "models"):
            self.__dict__.pop(name, None)
        self.store.drop_index()

    def ingest_lock(self):
        """The store's ingest lock (``core.store.Store.lock``)."""
        return self.store.lock()


def migrate(store: Store) -> None:
    """Bring a store written by an earlier coach up to the current layout, on first open:
    record its embedding model and the roots its document keys were made from (keys
    relative to the working directory of each ingest). Keys, chunks and vectors stay as
    they are, so nothing is embedded again."""
    if not store.exists() or store.record().get("layout") == LAYOUT:
        return
    docstore = Docstore(store.docstore_path)
    try:
        documents = {key: Path(row.path) for key, row in docstore.documents().items()}
        model = docstore.get_state("embed_model") or (MINILM.name if documents else "")
    finally:
        docstore.close()
    # a store built before models were recorded used all-MiniLM-L6-v2 (coach 0.1's default)
    store.save_roots(legacy_roots(documents).folders, embed_model=model or None)


def _resolves_into(path: Path, folder: Path) -> bool:
    try:
        return path.expanduser().resolve().is_relative_to(folder)
    except (OSError, RuntimeError):
        return False


def _involves(observation: Observation, rep: str) -> bool:
    """The observation is the rep's own pattern, or a team pattern the rep is part of."""
    return same_rep(observation.rep, rep) or any(same_rep(r, rep) for r in observation.reps)

