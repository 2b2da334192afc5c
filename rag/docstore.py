"""The docstore: a SQLite file that says what the knowledge base holds.

It is the source of truth for which documents (and which version of each) are live:
Chroma and the BM25 index are kept in step with it, and a chunk that is in Chroma but
not here is an orphan of an interrupted run that the next run removes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from core.records import CallNote, Chunk, Turn
from ingest.units import Unit

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY, path TEXT NOT NULL, kind TEXT NOT NULL,
    hash TEXT NOT NULL, ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL, section TEXT NOT NULL,
    text TEXT NOT NULL, ordinal INTEGER NOT NULL, rep TEXT, date TEXT
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE TABLE IF NOT EXISTS units (
    chunk_id TEXT NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL, display TEXT NOT NULL,
    quote TEXT NOT NULL, step INTEGER NOT NULL, depth INTEGER NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (chunk_id, idx)
);
CREATE TABLE IF NOT EXISTS chunk_vectors (chunk_id TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS notes (
    source TEXT NOT NULL, position INTEGER NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (source, position)
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class DocumentRow:
    source: str
    path: str
    kind: str
    hash: str
    ingested_at: str


@dataclass(frozen=True)
class StoredUnit:
    chunk_id: str
    unit: Unit
    vector: np.ndarray


class Docstore:
    """Each thread gets its own SQLite connection: with WAL, readers (the UI answering
    questions) never see an ingest's open transaction and never block it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._db.executescript(SCHEMA)

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    # -- documents -------------------------------------------------------------------
    def documents(self) -> dict[str, DocumentRow]:
        rows = self._db.execute("SELECT source, path, kind, hash, ingested_at FROM documents")
        return {row[0]: DocumentRow(*row) for row in rows}

    def replace_document(
        self, doc: DocumentRow, chunks: list[Chunk], units: dict[str, list[Unit]],
        vectors: dict[str, np.ndarray], notes: list[CallNote],
        chunk_vectors: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Swap a document's rows for a new version in one transaction. ``vectors`` are the
        units' vectors per chunk; ``chunk_vectors`` the chunks' own (as Chroma holds them)."""
        with self._transaction():
            self._delete_rows(doc.source)
            self._db.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?)",
                (doc.source, doc.path, doc.kind, doc.hash, doc.ingested_at),
            )
            self._db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(c.id, c.source, c.kind, c.section, c.text, c.ordinal, c.rep, c.date) for c in chunks],
            )
            self._db.executemany(
                "INSERT INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (cid, u.index, u.kind, u.display, u.quote, int(u.step), u.depth,
                     vectors[cid][u.index].astype(np.float32).tobytes())
                    for cid, chunk_units in units.items() for u in chunk_units
                ],
            )
            self._db.executemany(
                "INSERT INTO chunk_vectors VALUES (?, ?)",
                [(cid, v.astype(np.float32).tobytes()) for cid, v in (chunk_vectors or {}).items()],
            )
            self._db.executemany(
                "INSERT INTO notes VALUES (?, ?, ?)",
                [(doc.source, i, _note_to_json(n)) for i, n in enumerate(notes)],
            )
            self._bump("generation")

    def relocate(self, old_folder: str, new_folder: str) -> int:
        """Record that the files under ``old_folder`` now live under ``new_folder`` (their
        keys do not change); returns how many documents moved."""
        moved = 0
        with self._transaction():
            for source, path in self._db.execute("SELECT source, path FROM documents").fetchall():
                if path == old_folder or path.startswith(old_folder.rstrip("/") + "/"):
                    new_path = new_folder.rstrip("/") + path[len(old_folder.rstrip("/")):]
                    self._db.execute("UPDATE documents SET path = ? WHERE source = ?", (new_path, source))
                    moved += 1
        return moved

    def delete_document(self, source: str) -> None:
        with self._transaction():
            self._delete_rows(source)
            self._bump("generation")

    def _delete_rows(self, source: str) -> None:
        for table in ("units", "chunk_vectors"):
            self._db.execute(
                f"DELETE FROM {table} WHERE chunk_id IN (SELECT id FROM chunks WHERE source = ?)", (source,)
            )
        for table in ("chunks", "notes", "documents"):
            self._db.execute(f"DELETE FROM {table} WHERE source = ?", (source,))

    # -- chunks and units --------------------------------------------------------------
    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT id FROM chunks")}

    def chunks(self, ids: Iterable[str] | None = None) -> list[Chunk]:
        query = "SELECT id, source, kind, section, text, ordinal, rep, date FROM chunks"
        if ids is None:
            rows = self._db.execute(query + " ORDER BY source, ordinal")
            return [Chunk(*row) for row in rows]
        ids = list(ids)
        found = {}
        for batch in _batches(ids, 500):
            marks = ",".join("?" * len(batch))
            for row in self._db.execute(f"{query} WHERE id IN ({marks})", batch):
                found[row[0]] = Chunk(*row)
        return [found[i] for i in ids if i in found]

    def chunks_of(self, source: str) -> list[Chunk]:
        rows = self._db.execute(
            "SELECT id, source, kind, section, text, ordinal, rep, date FROM chunks "
            "WHERE source = ? ORDER BY ordinal", (source,),
        )
        return [Chunk(*row) for row in rows]

    def units(self, chunk_ids: list[str]) -> dict[str, list[StoredUnit]]:
        out: dict[str, list[StoredUnit]] = {cid: [] for cid in chunk_ids}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._db.execute(
            "SELECT chunk_id, idx, kind, display, quote, step, depth, vector FROM units "
            f"WHERE chunk_id IN ({marks}) ORDER BY chunk_id, idx", chunk_ids,
        )
        for cid, idx, kind, display, quote, step, depth, blob in rows:
            unit = Unit(idx, kind, display, quote, bool(step), depth)
            out[cid].append(StoredUnit(cid, unit, np.frombuffer(blob, dtype=np.float32)))
        return out

    def kind_vectors(self, kind: str) -> tuple[list[Chunk], np.ndarray, list[np.ndarray]]:
        """Every chunk of one kind with its vector and its units' vectors (for corpus-wide
        ranking priors), in source order."""
        rows = self._db.execute(
            "SELECT c.id, c.source, c.kind, c.section, c.text, c.ordinal, c.rep, c.date, v.vector "
            "FROM chunks c JOIN chunk_vectors v ON v.chunk_id = c.id WHERE c.kind = ? "
            "ORDER BY c.source, c.ordinal", (kind,),
        )
        chunks, vectors = [], []
        for *fields, blob in rows:
            chunks.append(Chunk(*fields))
            vectors.append(np.frombuffer(blob, dtype=np.float32))
        units = self.units([c.id for c in chunks]) if chunks else {}
        unit_vectors = [np.array([s.vector for s in units[c.id]], dtype=np.float32).reshape(len(units[c.id]), -1)
                        for c in chunks]
        matrix = np.array(vectors, dtype=np.float32) if vectors else np.zeros((0, 0), dtype=np.float32)
        return chunks, matrix, unit_vectors

    def chunk_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        out = {}
        for batch in _batches(list(ids), 500):
            marks = ",".join("?" * len(batch))
            for cid, blob in self._db.execute(
                    f"SELECT chunk_id, vector FROM chunk_vectors WHERE chunk_id IN ({marks})", batch):
                out[cid] = np.frombuffer(blob, dtype=np.float32)
        return out

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT kind, COUNT(*) FROM documents GROUP BY kind")
        chunk_total = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return {**{f"{kind}_documents": n for kind, n in rows}, "chunks": chunk_total}

    # -- call notes ----------------------------------------------------------------------
    def notes(self) -> list[CallNote]:
        rows = self._db.execute("SELECT record FROM notes ORDER BY source, position")
        return [_note_from_json(row[0]) for row in rows]

    # -- state -------------------------------------------------------------------------
    def get_state(self, key: str, default: str = "") -> str:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_state(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, value))

    def generation(self) -> int:
        return int(self.get_state("generation", "0"))

    def _bump(self, key: str) -> None:
        self.set_state(key, str(int(self.get_state(key, "0")) + 1))

    def _transaction(self):
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *_):
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _note_to_json(note: CallNote) -> str:
    data = {k: getattr(note, k) for k in note.__dataclass_fields__ if k != "turns"}
    data["turns"] = [[t.seconds, t.speaker, t.role, t.text] for t in note.turns]
    return json.dumps(data)


def _note_from_json(text: str) -> CallNote:
    data = json.loads(text)
    turns = tuple(Turn(*t) for t in data.pop("turns"))
    return CallNote(**data, turns=turns)
