"""The data directory, owned by one object: where each part lives, what the store records
about itself (its embedding model and the folders its documents were ingested from), the
ingest lock, and the staged copy that the evaluation gate promotes or discards.

Layout of ``<data-dir>/``::

    store.json          layout version, embedding model, ingest roots (this module)
    docstore.sqlite3    documents, chunks, units, notes (rag/docstore.py)
    chroma/             embedded Chroma vectors (rag/vectors.py)
    bm25/               keyword index (rag/keyword.py)
    memory/             coaching memory: config copies, facts, observations, models
    scope.json ...      what the knowledge base does not hold (rag/scope.py)
    answered-vectors.npz  the answered questions' vectors, a ranker feature (rag/answered.py)
    --- not part of the index (never staged or promoted) ---
    ingest.lock  evals/  sessions/  feedback.jsonl  uploads/  ui-secret

Derived caches follow one rule: a cache records a digest of the inputs it was built from
and is rebuilt when the digest differs (``inputs_digest``); nothing is trusted by date.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import StoreError

LAYOUT = 2  # 1: before store.json (document keys relative to the working directory)
STORE_FILE = "store.json"
LOCK_FILE = "ingest.lock"
# entries of the data dir that are not the index: kept in place by stage and promote
SESSIONS_DIR, FEEDBACK_FILE, FEEDBACK_EXPORT = "sessions", "feedback.jsonl", "feedback-eval-questions.jsonl"
NOT_INDEX = frozenset({
    LOCK_FILE, "evals", SESSIONS_DIR, FEEDBACK_FILE, FEEDBACK_EXPORT, "uploads", "ui-secret",
})
COPY_PREFIXES = ("staging-", "retired-")


class Store:
    """One data directory. Cheap to construct: nothing is created until something is written."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- where each part lives ------------------------------------------------------------
    @property
    def docstore_path(self) -> Path:
        return self.root / "docstore.sqlite3"

    @property
    def chroma_dir(self) -> Path:
        return self.root / "chroma"

    @property
    def keyword_dir(self) -> Path:
        return self.root / "bm25"

    @property
    def memory_dir(self) -> Path:
        return self.root / "memory"

    @property
    def models_dir(self) -> Path:
        return self.memory_dir / "models"

    @property
    def evals_dir(self) -> Path:
        return self.root / "evals"

    @property
    def uploads_dir(self) -> Path:
        return self.root / "uploads"

    @property
    def notes_dir(self) -> Path:
        return self.root / "notes"

    @property
    def scope_path(self) -> Path:
        """The copy of knowledge/scope.json the refusal check reads (part of the index)."""
        return self.root / "scope.json"

    @property
    def answered_vectors_path(self) -> Path:
        """The answered questions' vectors (rag/answered.py), kept so a cold ask need not embed them."""
        return self.root / "answered-vectors.npz"

    @property
    def sessions_dir(self) -> Path:
        return self.root / SESSIONS_DIR

    @property
    def feedback_path(self) -> Path:
        return self.root / FEEDBACK_FILE

    @property
    def feedback_export_path(self) -> Path:
        return self.root / FEEDBACK_EXPORT

    def exists(self) -> bool:
        return self.docstore_path.is_file()

    def index_parts(self) -> list[Path]:
        """The entries that make up the index (what ``stage`` copies and ``promote`` swaps)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p for p in self.root.iterdir()
            if p.name not in NOT_INDEX and not p.name.startswith(COPY_PREFIXES) and not p.name.startswith(".")
        )

    # -- what the store records about itself ------------------------------------------------
    def record(self) -> dict:
        """The contents of store.json ({} for a store that has none yet)."""
        path = self.root / STORE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path} is unreadable ({exc}); restore it, or rebuild the store with "
                             "coach ingest --reindex knowledge/") from None
        return data if isinstance(data, dict) else {}

    def update_record(self, **fields) -> None:
        """Merge ``fields`` into store.json, written atomically."""
        data = self.record() | fields | {"layout": LAYOUT}
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{STORE_FILE}.{uuid.uuid4().hex[:8]}.tmp"
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, self.root / STORE_FILE)

    def recorded_model(self) -> str | None:
        return self.record().get("embed_model") or None

    def roots(self) -> dict[str, Path]:
        """Ingest roots: label -> the folder's absolute path. A document's key is
        ``<label>/<path relative to that folder>``."""
        return {label: Path(path) for label, path in self.record().get("roots", {}).items()}

    def save_roots(self, roots: dict[str, Path], **fields) -> None:
        """Record the ingest roots (and any other ``fields``) in one write."""
        self.update_record(roots={label: str(path) for label, path in sorted(roots.items())}, **fields)

    # -- the ingest lock --------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Held by every writer of the index; a second writer gets a StoreError at once."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK_FILE, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"Another ingest is running on {self.root}; wait for it to finish and try again"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- dropping, staging, promoting -----------------------------------------------------
    def drop_index(self) -> None:
        """Delete the local index files (docstore, keyword index), keeping the memory's
        configuration, reports, sessions and uploads. The vectors are dropped by deleting
        their collection (rag/vectors.py), not their folder: another client in this process
        may still hold the embedded Chroma files open. Callers close the docstore first."""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.docstore_path}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(self.keyword_dir, ignore_errors=True)

    def stage(self) -> Store:
        """A copy of the index in a new ``staging-<id>`` folder inside the data dir. Call it
        under ``lock()``: no writer changes the files while they are copied. SQLite's
        ``-shm`` files are not copied; SQLite rebuilds them from the ``-wal`` file."""
        staged = Store(self.root / f"staging-{uuid.uuid4().hex[:12]}")
        staged.root.mkdir(parents=True)
        try:
            for part in self.index_parts():
                if part.name.endswith("-shm"):
                    continue
                if part.is_dir():
                    shutil.copytree(part, staged.root / part.name, ignore=shutil.ignore_patterns("*-shm"))
                else:
                    shutil.copy2(part, staged.root / part.name)
        except OSError as exc:
            staged.discard()
            raise StoreError(f"Cannot copy the store in {self.root} for staging ({exc.strerror}); "
                             "free some disk space and try again") from None
        return staged

    def promote(self, staged: Store) -> None:
        """Swap a staged index in: live parts are renamed aside, staged ones renamed in, then
        the old ones deleted. On failure the live parts are put back. Processes that hold
        the old files open (an embedded Chroma client) must release them first."""
        retired = self.root / f"retired-{uuid.uuid4().hex[:12]}"
        retired.mkdir()
        moved_in: list[str] = []
        try:
            for part in self.index_parts():
                part.rename(retired / part.name)
            for part in staged.index_parts():
                part.rename(self.root / part.name)
                moved_in.append(part.name)
        except OSError as exc:
            for name in moved_in:
                (self.root / name).rename(staged.root / name)
            for part in retired.iterdir():
                part.rename(self.root / part.name)
            raise StoreError(f"Could not promote the staged store ({exc.strerror}); the live store in "
                             f"{self.root} was put back, run the ingest again") from None
        shutil.rmtree(retired, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def inputs_digest(parts: Iterable[bytes | str]) -> str:
    """The one invalidation key for derived caches: a digest of everything the cache was
    built from. A cache stores it beside its data and is rebuilt when it differs."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()
