"""What the knowledge base does not hold: ``knowledge/scope.json``, kept with the store.

The file lists topics a sales floor asks about that no playbook or call note answers
(``not_covered``: CRM administration, HR policy, our own prices, contracts, ...) and,
optionally, the topics the playbooks do hold (``covered``: objection handling,
discovery, coaching, pipeline and forecast), each with a few example questions in a
rep's words. The refusal check (``rag.grounding``) compares a question with both lists
as well as with the knowledge base, so a buyer's discount request is read as the
objection it is, not as a question about our own price list. Ingest keeps a copy of the scope.json found
beside the ingested paths; a store without one refuses on its own support alone.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import ConfigError
from ingest.files import find_upwards
from rag.embedder import StoredVectors

SCOPE_FILE = "scope.json"
SCOPE_VECTORS = "scope-vectors.npz"  # its examples' vectors (rag.embedder.StoredVectors)


@dataclass(frozen=True)
class Topic:
    name: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Scope:
    topics: tuple[Topic, ...]
    vectors: np.ndarray  # one row per example, in topic order
    owners: tuple[int, ...]  # topic index of each row
    covered: np.ndarray | None = None  # one row per example of a covered topic; None: the file lists none

    def nearest(self, vector: np.ndarray) -> tuple[float, str | None]:
        """Highest similarity of the question to an example, and that example's topic."""
        if not len(self.vectors):
            return 0.0, None
        scores = self.vectors @ vector
        best = int(np.argmax(scores))
        return float(scores[best]), self.topics[self.owners[best]].name

    def nearest_covered(self, vector: np.ndarray) -> float | None:
        """Highest similarity of the question to an example of what the playbooks hold."""
        if self.covered is None or not len(self.covered):
            return None
        return float(np.max(self.covered @ vector))


def capture(paths: list[Path], target: Path) -> None:
    """Keep a copy, at ``target`` (the store's ``scope_path``), of the scope.json found beside
    the ingested paths (if any)."""
    found = find_upwards(paths, SCOPE_FILE)
    if found is None:
        return
    if not target.exists() or target.read_bytes() != found.read_bytes():
        load_topics(found)  # refuse a broken file before it replaces a good one
        load_topics(found, "covered")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, target)


def load_topics(path: Path, key: str = "not_covered") -> tuple[Topic, ...]:
    """The topics listed under ``key`` (``not_covered``, required; ``covered``, optional)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data[key] if key == "not_covered" else data.get(key, [])
        return tuple(Topic(str(t["topic"]), tuple(str(e) for e in t["examples"])) for t in entries)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path} is not a valid scope file ({type(exc).__name__}: {exc}); "
                          f"each entry of {key} needs a topic and a list of examples") from None


class ScopeCache:
    """The store's scope, embedded once per process and re-read when the file changes."""

    def __init__(self, path: Path, embedder) -> None:
        self.path, self.embedder = path, embedder  # the store's scope_path
        self._loaded: tuple[str, Scope] | None = None

    def get(self) -> Scope | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        digest = hashlib.sha256(raw).hexdigest()
        if self._loaded is None or self._loaded[0] != digest:
            topics, covered = load_topics(self.path), load_topics(self.path, "covered")
            texts = [e for t in topics for e in t.examples]
            owners = tuple(i for i, t in enumerate(topics) for _ in t.examples)
            held = [e for t in covered for e in t.examples]
            vectors = StoredVectors(self.embedder, self.path.with_name(SCOPE_VECTORS)).encode(texts + held)
            self._loaded = (digest, Scope(topics, vectors[:len(texts)], owners,
                                          vectors[len(texts):] if held else None))
        return self._loaded[1]
