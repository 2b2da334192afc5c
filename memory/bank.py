"""The coaching memory: retained facts, observations, interventions and mental models,
kept in ``<data_dir>/memory/`` and brought up to date after each ingest.

Retaining is incremental: a note's facts are cached under its content hash (and the
taxonomy's), so an unchanged note is never re-read. Consolidation and judging are cheap
passes over all facts. Mental models refresh only when their inputs changed.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

from core.errors import ConfigError
from core.store import inputs_digest
from core.records import CallCount, CallNote, Change, Evidence, Fact, Intervention, Observation, WeekRate
from ingest.files import find_upwards
from ingest.formats import note_title
from memory.classify import ThemeClassifier
from memory.config import BANK_FILE, TAXONOMY_FILE, Bank, Theme, load_background, load_bank, load_taxonomy
from memory.changes import mark_changes
from memory.consolidate import consolidate
from memory.interventions import judge_interventions
from memory.retain import NoteUnit, retain
from rag.docstore import Docstore
from rag.embedder import Embedder, StoredVectors


TAXONOMY_VECTORS = "taxonomy-vectors.npz"
RETAIN_VERSION = 7  # bump when retaining reads notes differently, so cached facts are re-derived


class MemoryBank:
    def __init__(self, folder: Path, docstore: Docstore, embedder: Embedder) -> None:
        self.folder, self.docstore, self.embedder = folder, docstore, embedder
        self._classifier: ThemeClassifier | None = None
        self._loaded: dict[str, tuple[tuple[int, int], object]] = {}  # file name -> (mtime, size), value

    # -- configuration --------------------------------------------------------------------
    def capture_config(self, paths: list[Path], config_dir: Path | None = None) -> None:
        """Keep a copy of the bank.json / taxonomy.json of ``config_dir`` when given, else
        the ones found beside the ingested paths (their folder or up to three above)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in (BANK_FILE, TAXONOMY_FILE):
            found = _in_folder(config_dir, name) if config_dir is not None else find_upwards(paths, name)
            if found is None:
                continue
            target = self.folder / name
            if not target.exists() or target.read_bytes() != found.read_bytes():
                shutil.copyfile(found, target)
                self._classifier = None

    @property
    def configured(self) -> bool:
        return (self.folder / BANK_FILE).exists() and (self.folder / TAXONOMY_FILE).exists()

    def bank(self) -> Bank:
        return load_bank(self._config_path(BANK_FILE))

    def themes(self) -> tuple[Theme, ...]:
        return self._cached(TAXONOMY_FILE, lambda: load_taxonomy(self._config_path(TAXONOMY_FILE)))

    def _config_path(self, name: str) -> Path:
        path = self.folder / name
        if not path.exists():
            raise ConfigError(
                f"No {name} in the knowledge base yet; ingest the knowledge/ folder that holds it: coach ingest knowledge/"
            )
        return path

    # -- refresh --------------------------------------------------------------------------
    def refresh(self) -> tuple[list[Observation], list[Intervention]]:
        """Re-derive facts (incrementally), observations and interventions; persist them."""
        themes, bank = self.themes(), self.bank()
        self.classifier(themes)  # stores the taxonomy's vectors, so a new process need not embed them
        facts = self._retain_all(themes)
        interventions = judge_interventions(facts, bank.min_later_calls)
        observations = mark_changes(consolidate(facts, themes, bank), facts, interventions, themes, bank.min_calls)
        self._write("observations.json", [o.to_dict() for o in observations])
        self._write("interventions.json", [i.to_dict() for i in interventions])
        return observations, interventions

    def _retain_all(self, themes: tuple[Theme, ...]) -> list[Fact]:
        taxonomy_hash = inputs_digest([(self.folder / TAXONOMY_FILE).read_bytes(),
                                       f"{RETAIN_VERSION}:{self.embedder.model_id}"])[:16]
        cache = self._read("facts.json", {})
        documents = self.docstore.documents()
        notes_by_source: dict[str, list[CallNote]] = {}
        for note in self.docstore.notes():
            notes_by_source.setdefault(note.source, []).append(note)
        fresh: dict[str, dict] = {}
        for source, notes in notes_by_source.items():
            key = f"{documents[source].hash}:{taxonomy_hash}"
            cached = cache.get(source)
            if cached and cached["key"] == key:
                fresh[source] = cached
                continue
            facts = [f for note in notes for f in retain(note, self._units(note), self.classifier(themes))]
            fresh[source] = {"key": key, "facts": [asdict(f) for f in facts]}
        self._write("facts.json", fresh)
        return [Fact(**f) for entry in fresh.values() for f in entry["facts"]]

    def classifier(self, themes: tuple[Theme, ...]) -> ThemeClassifier:
        if self._classifier is None:
            background = load_background(self._config_path(TAXONOMY_FILE))
            stored = StoredVectors(self.embedder, self.folder / TAXONOMY_VECTORS)
            self._classifier = ThemeClassifier.build(themes, stored, background)
        return self._classifier

    def _units(self, note: CallNote) -> list[NoteUnit]:
        title = note_title(note)
        chunks = [c for c in self.docstore.chunks_of(note.source) if c.section.split(" > ")[0] == title]
        stored = self.docstore.units([c.id for c in chunks]) if chunks else {}
        return [NoteUnit(s.unit, s.vector, c.section) for c in chunks for s in stored[c.id]]

    # -- reading ----------------------------------------------------------------------------
    def facts(self) -> list[Fact]:
        return [Fact(**f) for entry in self._read("facts.json", {}).values() for f in entry["facts"]]

    def observations(self) -> list[Observation]:
        return list(self._cached("observations.json", lambda: [_observation(d) for d in self._read("observations.json", [])]))

    def _cached(self, name: str, load):
        """``load()``, re-run only when the file's content changed (each ask reads the
        observations; the store's one invalidation rule, ``core.store.inputs_digest``)."""
        try:
            version = inputs_digest([(self.folder / name).read_bytes()])
        except FileNotFoundError:
            return load()
        known = self._loaded.get(name)
        if known is None or known[0] != version:
            known = (version, load())
            self._loaded[name] = known
        return known[1]

    def interventions(self) -> list[Intervention]:
        return [_intervention(d) for d in self._read("interventions.json", [])]

    def _read(self, name: str, default):
        path = self.folder / name
        if not path.exists():
            return default
        return json.loads(path.read_text(encoding="utf-8"))

    def _write(self, name: str, data) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{name}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self.folder / name)


def _in_folder(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise ConfigError(f"No {name} in {folder}; pass the folder that holds bank.json and taxonomy.json")
    return path


def _observation(data: dict) -> Observation:
    data = dict(data)
    data["evidence"] = tuple(Evidence(**e) for e in data["evidence"])
    data["reps"] = tuple(data.get("reps", ()))
    data["trend"] = tuple(WeekRate(w["week"], w["calls"], w["gap_calls"]) for w in data.get("trend", ()))
    change = data.get("change")
    if change:
        counts = {k: CallCount(change[k]["calls"], change[k]["gap_calls"]) for k in ("before", "after")}
        data["change"] = Change(**(change | counts))
    return Observation(**data)


def _intervention(data: dict) -> Intervention:
    data = {k: v for k, v in data.items() if k != "verdict"}
    data["before"], data["after"] = (CallCount(data[k]["calls"], data[k]["gap_calls"]) for k in ("before", "after"))
    return Intervention(**data)
