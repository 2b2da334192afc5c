"""A staged copy of the embedded store, and its promotion in place of the live one.

The store is every entry of the data dir (docstore, chroma/, bm25/, the coaching memory's
files) except what is not the index: the ingest lock, eval reports, UI feedback, UI
uploads (source files, read in place) and other staging or retired copies. Copies and swaps happen
while the caller holds the live store's ingest lock, so no ingest writes meanwhile;
readers (the UI) never write, so the copied files are consistent. SQLite ``-shm`` files
are not copied: SQLite rebuilds them from the ``-wal`` file on open.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from core.errors import StoreError

NOT_STORE = frozenset({
    "ingest.lock", "evals", "feedback.jsonl", "feedback-eval-questions.jsonl", "uploads", "ui-secret",
})
COPY_PREFIXES = ("staging-", "retired-")


def store_parts(folder: Path) -> list[Path]:
    """The entries of a data dir that make up the store."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir()
        if p.name not in NOT_STORE and not p.name.startswith(COPY_PREFIXES) and not p.name.startswith(".")
    )


def stage(data_dir: Path) -> Path:
    """Copy the live store into a new ``staging-<id>`` folder inside the data dir."""
    staging = data_dir / f"staging-{uuid.uuid4().hex[:12]}"
    staging.mkdir(parents=True)
    try:
        for part in store_parts(data_dir):
            if part.name.endswith("-shm"):
                continue
            if part.is_dir():
                shutil.copytree(part, staging / part.name, ignore=shutil.ignore_patterns("*-shm"))
            else:
                shutil.copy2(part, staging / part.name)
    except OSError as exc:
        discard(staging)
        raise StoreError(f"Cannot copy the store in {data_dir} for staging ({exc.strerror}); "
                         "free some disk space and try again") from None
    return staging


def promote(staging: Path, data_dir: Path) -> None:
    """Swap the staged store in: live parts are renamed aside, staged ones renamed in, then the old ones deleted."""
    release_chroma(staging / "chroma")
    release_chroma(data_dir / "chroma")
    retired = data_dir / f"retired-{uuid.uuid4().hex[:12]}"
    retired.mkdir()
    moved_in: list[str] = []
    try:
        for part in store_parts(data_dir):
            part.rename(retired / part.name)
        for part in store_parts(staging):
            part.rename(data_dir / part.name)
            moved_in.append(part.name)
    except OSError as exc:
        for name in moved_in:
            (data_dir / name).rename(staging / name)
        for part in retired.iterdir():
            part.rename(data_dir / part.name)
        raise StoreError(f"Could not promote the staged store ({exc.strerror}); the live store in "
                         f"{data_dir} was put back, run the ingest again") from None
    shutil.rmtree(retired, ignore_errors=True)


def discard(staging: Path) -> None:
    release_chroma(staging / "chroma")
    shutil.rmtree(staging, ignore_errors=True)


def release_chroma(path: Path) -> None:
    """Close this process's embedded Chroma system for ``path``.

    Chroma caches one system per persist directory for the life of the process; after the
    directory is swapped or deleted, a cached system would keep serving the old files.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    key = str(path)
    system = SharedSystemClient._identifier_to_system.pop(key, None)
    SharedSystemClient._identifier_to_refcount.pop(key, None)
    if system is not None:
        system.stop()
