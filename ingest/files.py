"""Find the files to ingest and read them safely.

Every file found gets its document key from the ingest roots (ingest/roots.py), so the
same file is the same document whatever path or working directory it was given from.
Every file passed over is reported with a one-line reason (paths raw: whoever prints
one line per file escapes them, ``core.safety.shown``); only hidden files (``.x``,
``_x``), the memory's configuration (``*.json``) and licence or readme files are passed
over without a word. Problems reading a file become an ``InputError`` with the reason.
"""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import InputError
from core.records import SourceKind
from ingest.roots import Roots

MAX_BYTES = 20 * 1024 * 1024
NOTE_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".csv"})
PLAYBOOK_SUFFIXES = frozenset({".md", ".markdown"})
QUIET_SUFFIXES = frozenset({".json"})  # bank.json, taxonomy.json, scope.json: read by the memory
QUIET_NAMES = ("license", "licence", "readme", "notice", "copying")


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    source: str  # the document key: <root label>/<path inside the root>
    kind: SourceKind | None = None  # None: told from the text (ingest/kinds.py)


@dataclass(frozen=True)
class FileText:
    text: str
    sha256: str


@dataclass(frozen=True)
class Discovery:
    files: list[SourceFile]
    folders: list[Path]  # walked folders, for deletion tracking
    skipped: list[tuple[str, str]]  # (document key or given path, reason)
    roots: Roots = field(default_factory=Roots)


def discover(paths: list[Path], roots: Roots, kind: SourceKind | None = None) -> Discovery:
    """The files to ingest under ``paths``, keyed by ``roots`` (extended with each folder
    given that no root holds yet, and with a lone file's folder)."""
    files: dict[Path, SourceFile] = {}
    folders: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for given in paths:
        try:
            path = given.expanduser().resolve(strict=True)
        except FileNotFoundError:
            skipped.append((str(given), "no such file or folder; check the path"))
            continue
        except (OSError, RuntimeError):
            skipped.append((str(given), "a symlink loop, not a file; remove the link or point it at a real file"))
            continue
        if path.is_dir():
            roots = roots.adopt(path)
            folders.append(path)
            for child, problem in _walk(path):
                if problem:
                    skipped.append((roots.key_for(child) or str(child), problem))
                elif _quiet(child):
                    continue
                elif (reason := unsupported(child, kind)) is not None:
                    skipped.append((roots.key_for(child), reason))
                else:
                    files[child] = SourceFile(child, roots.key_for(child), kind)
        elif path.is_file():
            roots = roots.adopt(path.parent)
            reason = unsupported(path, kind)
            if reason is None:
                files[path] = SourceFile(path, roots.key_for(path), kind)
            else:
                skipped.append((roots.key_for(path), reason))
        else:
            skipped.append((str(given), "not a regular file (a device, pipe or socket); give a file or folder"))
    return Discovery(list(files.values()), folders, skipped, roots)


def _walk(folder: Path):
    """(path, problem) for every entry below ``folder``, sorted; problem is None for a
    regular file. Symlinks are followed once: a loop or a dangling link is a problem."""
    for child in sorted(folder.rglob("*")):
        if any(part.startswith((".", "_")) for part in child.relative_to(folder).parts):
            continue
        try:
            mode = child.stat().st_mode
        except FileNotFoundError:
            yield child, "a broken symlink; remove it or point it at a file"
            continue
        except (OSError, RuntimeError):
            yield child, "a symlink loop, not a file; remove the link or point it at a real file"
            continue
        if stat.S_ISDIR(mode):
            continue
        if not stat.S_ISREG(mode):
            yield child, "not a regular file (a device, pipe or socket); remove it from the folder"
            continue
        yield child, None


def _quiet(path: Path) -> bool:
    return path.suffix.lower() in QUIET_SUFFIXES or path.name.lower().startswith(QUIET_NAMES)


def unsupported(path: Path, kind: SourceKind | None = None) -> str | None:
    """Why a file cannot be ingested as ``kind`` (None: as whatever it turns out to be)."""
    suffix = path.suffix.lower()
    if kind == "playbook" and suffix not in PLAYBOOK_SUFFIXES:
        return f"playbooks must be markdown (.md), not {suffix or 'a file without an extension'}; convert it"
    if suffix not in NOTE_SUFFIXES:
        return f"unsupported file type {suffix or '(none)'}; use .md for playbooks, .md, .txt or .csv for call notes"
    return None


def find_upwards(paths: list[Path], name: str, levels: int = 3) -> Path | None:
    """The first file called ``name`` in an ingested path's folder or up to ``levels`` above
    it (how knowledge/'s bank.json, taxonomy.json and scope.json are found)."""
    for given in paths:
        start = given.expanduser().absolute()
        folder = start if start.is_dir() else start.parent
        for candidate in (folder, *list(folder.parents)[:levels]):
            if (candidate / name).is_file():
                return candidate / name
    return None


def read_text(path: Path) -> FileText:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(
                f"too large ({size / 1e6:.1f} MB, limit {MAX_BYTES // (1024 * 1024)} MB); split it into smaller files"
            )
        data = path.read_bytes()
    except PermissionError:
        raise InputError("cannot read it (permission denied); check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"cannot read it ({exc.strerror}); check that the file is accessible") from None
    if not data.strip():
        raise InputError("empty file; add content or remove it")
    if b"\0" in data[:8192]:
        raise InputError("binary file, not text; export it as markdown, plain text or CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (bad byte at offset {exc.start}); re-save it as UTF-8") from None
    # universal newlines, as text-mode reading gives: a CRLF file parses like an LF one
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return FileText(text=text, sha256=hashlib.sha256(data).hexdigest())
