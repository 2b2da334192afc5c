"""Find the files to ingest and read them safely.

Every problem becomes an ``InputError`` with the path and a one-line reason, so the
caller can report it, skip the file and go on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from core.records import SourceKind

MAX_BYTES = 20 * 1024 * 1024
NOTE_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".csv"})
PLAYBOOK_SUFFIXES = frozenset({".md", ".markdown"})
PLAYBOOK_DIR = "playbooks"


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    source: str  # display path, relative to the working directory when inside it
    kind: SourceKind


@dataclass(frozen=True)
class FileText:
    text: str
    sha256: str


def kind_of(path: Path) -> SourceKind:
    return "playbook" if PLAYBOOK_DIR in path.parts[:-1] else "call"


def display_path(path: Path, cwd: Path | None = None) -> str:
    cwd = (cwd or Path.cwd()).resolve()
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def supported(path: Path) -> bool:
    suffixes = PLAYBOOK_SUFFIXES if kind_of(path) == "playbook" else NOTE_SUFFIXES
    return path.suffix.lower() in suffixes


def discover(paths: list[Path]) -> tuple[list[SourceFile], list[Path], list[tuple[str, str]]]:
    """Files to ingest, the folders walked (for deletion tracking) and unusable arguments."""
    files: dict[Path, SourceFile] = {}
    folders: list[Path] = []
    problems: list[tuple[str, str]] = []
    for given in paths:
        path = given.expanduser().resolve()
        if path.is_dir():
            folders.append(path)
            for child in sorted(path.rglob("*")):
                if child.is_file() and not _hidden(child, path) and supported(child):
                    files[child] = _source_file(child)
        elif path.is_file():
            if supported(path):
                files[path] = _source_file(path)
            else:
                problems.append((display_path(path), _unsupported_reason(path)))
        else:
            problems.append((str(given), "no such file or folder; check the path"))
    return list(files.values()), folders, problems


def find_upwards(paths: list[Path], name: str, levels: int = 3) -> Path | None:
    """The first file called ``name`` in an ingested path's folder or up to ``levels`` above
    it (how knowledge/'s bank.json, taxonomy.json and scope.json are found)."""
    for given in paths:
        start = given.expanduser().resolve()
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
    return FileText(text=text, sha256=hashlib.sha256(data).hexdigest())


def _source_file(path: Path) -> SourceFile:
    return SourceFile(path=path, source=display_path(path), kind=kind_of(path))


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(root).parts)


def _unsupported_reason(path: Path) -> str:
    if kind_of(path) == "playbook":
        return "playbooks must be markdown (.md); convert it or move it out of playbooks/"
    return f"unsupported file type {path.suffix or '(none)'}; use .md, .txt or .csv"
