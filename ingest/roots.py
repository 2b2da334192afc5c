"""Stable document identity: a document's key is its path relative to the folder it was
ingested from (an ingest root), under that root's label: ``knowledge/calls/x.md`` for
``calls/x.md`` inside the root ``knowledge`` at ``/home/sam/team/knowledge``.

The same file, given by any path form and from any working directory, has the same key.
A file inside several roots takes the innermost one's key, so recording a new root never
changes an existing key. Moving a root's folder changes only where the root points
(``coach roots move``); no key changes and nothing is embedded again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class Roots:
    folders: dict[str, Path] = field(default_factory=dict)  # label -> absolute folder

    def containing(self, path: Path) -> tuple[str, Path] | None:
        """The innermost root that holds ``path`` (a resolved absolute path)."""
        inside = [(label, folder) for label, folder in self.folders.items()
                  if path == folder or path.is_relative_to(folder)]
        return max(inside, key=lambda item: len(item[1].parts), default=None)

    def key_for(self, path: Path) -> str | None:
        found = self.containing(path)
        if found is None:
            return None
        label, folder = found
        return str(PurePosixPath(label, *path.relative_to(folder).parts))

    def locate(self, key: str) -> Path | None:
        """Where the document with this key is on disk now, or None if no root names it."""
        matches = [label for label in self.folders if key.startswith(label + "/")]
        if not matches and "/" not in key and "." in self.folders:
            matches = ["."]  # a legacy key of a file ingested from the working directory itself
        if not matches:
            return None
        label = max(matches, key=len)
        rest = key if label == "." else key[len(label) + 1:]
        return self.folders[label].joinpath(*PurePosixPath(rest).parts)

    def adopt(self, folder: Path) -> Roots:
        """These roots, with ``folder`` recorded as one unless a root already holds it."""
        if self.containing(folder) is not None:
            return self
        label, n = folder.name or "root", 2
        while label in self.folders:
            label, n = f"{folder.name or 'root'}-{n}", n + 1
        return Roots({**self.folders, label: folder})

    def moved(self, label: str, folder: Path) -> Roots:
        return Roots({**self.folders, label: folder})

    def label_of(self, given: str) -> str | None:
        """A root named by its label or by its (old) folder path."""
        if given in self.folders:
            return given
        path = Path(given).expanduser().absolute()
        for label, folder in self.folders.items():
            if folder == path or folder == _resolved(path):
                return label
        return None


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def legacy_roots(documents: dict[str, Path]) -> Roots:
    """Roots for a store written before roots were recorded (keys relative to the working
    directory of each ingest): each key's first folder is its root's label, found again
    from the absolute path recorded beside it. Keys stay as they are."""
    folders: dict[str, Path] = {}
    for key, path in sorted(documents.items()):
        parts = PurePosixPath(key).parts
        if len(parts) >= 2 and not key.startswith(("/", "../")) and ".." not in parts:
            label, folder = parts[0], path.parents[len(parts) - 2]
        else:
            label, folder = str(PurePosixPath(key).parent), path.parent
        folders.setdefault(label, folder)
    return Roots(folders)
