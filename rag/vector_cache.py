"""Embed each text once per machine: a content-addressed cache of vectors, keyed by the
model and a hash of the text, shared by every store built with that model.

A second store of the same files (the gate's staging copy, ``--reindex``, a test fixture,
a benchmark) and an edited file's unchanged chunks read their vectors here instead of
running the model. One SQLite file per model and dimension lives beside the model cache
(``COACH_VECTOR_CACHE``, default ``~/.cache/coach/vectors``); SQLite's locking makes it
safe for several processes to write at once.

Every entry carries a checksum of its bytes: an entry that is truncated or altered is
dropped and embedded again, never served. The cache is an accelerator only: when it
cannot be read or written (a full disk, a read-only home, a locked file) ingest goes on
without it. It keeps at most ``MAX_ENTRIES`` vectors, dropping the least recently used;
``coach cache clear`` empties it.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.settings import cache_folder

MAX_ENTRIES = 200_000  # about 600 MB of 768-d float32 vectors
BUSY_SECONDS = 10
_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    key BLOB PRIMARY KEY, vector BLOB NOT NULL, checksum INTEGER NOT NULL, used INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS vectors_used ON vectors(used);
"""


def default_folder() -> Path:
    return cache_folder("COACH_VECTOR_CACHE", "vectors")


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:20]


@dataclass(frozen=True)
class CacheStats:
    path: Path
    entries: int
    bytes: int


class VectorCache:
    """The vectors of one model; every method swallows storage errors (see module doc)."""

    def __init__(self, model_id: str, dimension: int, folder: Path | None = None,
                 max_entries: int = MAX_ENTRIES) -> None:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", model_id or "model").strip("-")
        self.path = (folder or default_folder()) / f"{slug}-{dimension}.sqlite3"
        self.dimension, self.max_entries = dimension, max_entries
        self._local = threading.local()
        self.failed: str | None = None  # the last storage error, for diagnostics

    def _db(self) -> sqlite3.Connection | None:
        db = getattr(self._local, "db", None)
        if db is not None:
            return db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            self.failed = str(exc)
            return None
        self._local.db = db
        return db

    def get(self, keys: Iterable[bytes]) -> dict[bytes, np.ndarray]:
        """The sound cached vectors among ``keys``; damaged entries are deleted."""
        keys = list(dict.fromkeys(keys))
        db = self._db()
        if db is None or not keys:
            return {}
        found: dict[bytes, np.ndarray] = {}
        damaged: list[bytes] = []
        try:
            for start in range(0, len(keys), 500):
                part = keys[start:start + 500]
                marks = ",".join("?" * len(part))
                for key, blob, checksum in db.execute(
                        f"SELECT key, vector, checksum FROM vectors WHERE key IN ({marks})", part):
                    if len(blob) != 4 * self.dimension or zlib.crc32(blob) != checksum:
                        damaged.append(key)
                        continue
                    found[key] = np.frombuffer(blob, dtype=np.float32).copy()
            now = int(time.time())
            with db:
                db.executemany("UPDATE vectors SET used = ? WHERE key = ?", [(now, k) for k in found])
                db.executemany("DELETE FROM vectors WHERE key = ?", [(k,) for k in damaged])
        except sqlite3.Error as exc:
            self.failed = str(exc)
        return found

    def put(self, items: dict[bytes, np.ndarray]) -> None:
        db = self._db()
        if db is None or not items:
            return
        now = int(time.time())
        rows = []
        for key, vector in items.items():
            blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
            if len(blob) == 4 * self.dimension:
                rows.append((key, blob, zlib.crc32(blob), now))
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO vectors (key, vector, checksum, used) VALUES (?, ?, ?, ?)", rows)
                self._trim(db)
        except sqlite3.Error as exc:  # a full disk, a locked file: the store does not depend on this
            self.failed = str(exc)

    def _trim(self, db: sqlite3.Connection) -> None:
        count = db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
        if count > self.max_entries:
            extra = count - self.max_entries + self.max_entries // 10  # trim in steps, not per insert
            db.execute("DELETE FROM vectors WHERE key IN (SELECT key FROM vectors ORDER BY used LIMIT ?)", (extra,))

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def cache_stats(folder: Path | None = None) -> list[CacheStats]:
    folder = folder or default_folder()
    stats = []
    for path in sorted(folder.glob("*.sqlite3")) if folder.is_dir() else []:
        try:
            with sqlite3.connect(path, timeout=BUSY_SECONDS) as db:
                entries = db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
        except sqlite3.Error:
            entries = 0
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        stats.append(CacheStats(path, entries, size))
    return stats


CLASSIFIERS = "classifiers"  # trained theme-classifier weights kept beside the vectors (memory/classify.py)


def clear_cache(folder: Path | None = None) -> int:
    """Delete every model's cache file and the trained classifier weights kept beside them;
    returns how many files were removed (a model's WAL side files not counted)."""
    folder = folder or default_folder()
    removed = 0
    for path in list(folder.glob("*.sqlite3*")) if folder.is_dir() else []:
        path.unlink(missing_ok=True)
        removed += path.suffix == ".sqlite3"
    classifiers = folder / CLASSIFIERS
    for path in list(classifiers.glob("*.npy")) if classifiers.is_dir() else []:
        path.unlink(missing_ok=True)
        removed += 1
    if classifiers.is_dir() and not any(classifiers.iterdir()):
        classifiers.rmdir()
    return removed
