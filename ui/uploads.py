"""Put uploaded files into the data dir under safe, generated names.

The browser chooses the file name, so it is never used as a path: a file lands in
``<data_dir>/uploads/calls/`` or ``<data_dir>/uploads/playbooks/`` as
``<uuid>-<slug><suffix>``, the suffix taken from an allow-list. Identical bytes uploaded
twice are stored once.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from core.store import Store
from ingest.files import MAX_BYTES, NOTE_SUFFIXES, PLAYBOOK_SUFFIXES

CALLS_DIR = "calls"
PLAYBOOK_DIR = "playbooks"
INCOMING = ".incoming"  # where the web server spools uploads before they are placed
TRASH = ".removed"  # the last removed upload, kept so the removal can be undone (hidden: never ingested)


@dataclass(frozen=True)
class Upload:
    """One file as received: where it is now and the name the user gave it."""

    path: Path
    name: str


@dataclass(frozen=True)
class Placed:
    upload: Upload
    stored: Path | None  # None when rejected
    problem: str = ""  # why it was rejected
    duplicate: bool = False  # the same bytes were already uploaded


def uploads_dir(data_dir: Path) -> Path:
    return Store(data_dir).uploads_dir


def folder_for(data_dir: Path, playbook: bool) -> Path:
    return uploads_dir(data_dir) / (PLAYBOOK_DIR if playbook else CALLS_DIR)


def is_upload(data_dir: Path, path: Path) -> bool:
    """True for a file this module placed (so the UI may delete it)."""
    try:
        return Path(path).resolve().is_relative_to(uploads_dir(data_dir).resolve())
    except OSError:
        return False


def place(upload: Upload, data_dir: Path, playbook: bool, max_bytes: int = MAX_BYTES) -> Placed:
    """Copy one upload into its folder; never raises for a bad file, says why instead."""
    suffix = _suffix(upload.name)
    allowed = PLAYBOOK_SUFFIXES if playbook else NOTE_SUFFIXES
    if suffix not in allowed:
        kinds = "markdown (.md)" if playbook else "markdown (.md), text (.txt) or CSV (.csv)"
        return Placed(upload, None, f"unsupported file type {suffix or '(none)'}; upload {kinds}")
    try:
        size = upload.path.stat().st_size
    except OSError as exc:
        return Placed(upload, None, f"the upload could not be read ({exc.strerror}); try again")
    if size > max_bytes:
        limit = f"{max_bytes / (1024 * 1024):.0f} MB"
        return Placed(upload, None, f"too large ({size / 1e6:.1f} MB, limit {limit}); split it into smaller files")
    folder = folder_for(data_dir, playbook)
    folder.mkdir(parents=True, exist_ok=True)
    existing = _same_bytes(upload.path, folder)
    if existing is not None:
        return Placed(upload, existing, duplicate=True)
    target = folder / safe_name(upload.name, suffix)
    if not target.resolve().is_relative_to(folder.resolve()):  # cannot happen; belt and braces
        return Placed(upload, None, "unsafe file name; rename the file and upload it again")
    shutil.copyfile(upload.path, target)
    return Placed(upload, target)


def safe_name(name: str, suffix: str) -> str:
    """``<12 hex>-<slug of the name's stem><suffix>``: no separators, no dots, no surprises."""
    stem = PurePosixPath(name.replace("\\", "/")).name
    stem = stem[: -len(suffix)] if suffix and stem.lower().endswith(suffix) else stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:48].strip("-")
    return f"{uuid.uuid4().hex[:12]}-{slug or 'upload'}{suffix}"


def remove(path: Path, data_dir: Path) -> None:
    """Delete a placed file (and nothing outside the uploads folder)."""
    if is_upload(data_dir, path):
        Path(path).unlink(missing_ok=True)


def trash(path: Path, data_dir: Path) -> Path | None:
    """Move a placed file into the trash (emptied first: only the last removal is kept)."""
    if not is_upload(data_dir, path) or not Path(path).exists():
        return None
    folder = uploads_dir(data_dir) / TRASH
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    target = folder / Path(path).name
    Path(path).replace(target)
    return target


def untrash(kept: Path, original: Path, data_dir: Path) -> None:
    """Move a trashed file back to where it was (both inside the uploads folder)."""
    folder = (uploads_dir(data_dir) / TRASH).resolve()
    if Path(kept).resolve().parent == folder and is_upload(data_dir, original) and Path(kept).exists():
        Path(original).parent.mkdir(parents=True, exist_ok=True)
        Path(kept).replace(original)


def _suffix(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()


def _same_bytes(path: Path, folder: Path) -> Path | None:
    size = path.stat().st_size
    digest = None
    for other in sorted(folder.iterdir()):
        if other.is_file() and other.stat().st_size == size:
            digest = digest or _sha256(path)
            if _sha256(other) == digest:
                return other
    return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
