"""Incremental indexing: bring docstore, Chroma and BM25 in step with files on disk.

Per document, content hashes decide: unchanged files embed nothing; a changed file's new
chunks are written to Chroma first, then the docstore swaps versions in one transaction,
then the old vectors are deleted. A run killed at any point leaves the docstore with
either the old or the new version, and the next run removes orphan vectors and
converges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from core.names import rep_key
from core.errors import InputError
from core.records import IngestReport, SkippedFile
from ingest.files import Discovery, SourceFile, read_text
from ingest.formats import ParsedSource, parse_source
from ingest.units import split_units
from rag.docstore import Docstore, DocumentRow
from rag.embedder import Embedder
from rag.keyword import KeywordIndex, index_text
from rag.vectors import ChromaVectors

Progress = Callable[[int, int, str], None]
BATCH_FILES = 64  # documents embedded and written together: their vectors are held at once


# Bump when parsing or unit splitting changes: every stored document is then read again once
# (its texts mostly come back from the vector cache). The stored hash is the file's sha256
# with this version.
INDEX_VERSION = 3  # 3: a script wrapped inside a code block is split into whole sentences


def document_hash(sha256: str) -> str:
    return f"{sha256}:v{INDEX_VERSION}"


@dataclass
class _Tally:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Pending:
    file: SourceFile
    sha256: str
    parsed: ParsedSource
    is_new: bool
    units: dict = field(default_factory=dict)  # chunk id -> its sentences, bullets and rows

    @property
    def texts(self) -> int:
        """How many texts this document embeds: each chunk and each of its units."""
        return len(self.parsed.chunks) + sum(len(u) for u in self.units.values())


class Indexer:
    def __init__(self, docstore: Docstore, vectors: ChromaVectors, keyword: KeywordIndex,
                 embedder: Embedder) -> None:
        self.docstore, self.vectors, self.keyword, self.embedder = docstore, vectors, keyword, embedder

    def sync(self, found: Discovery, progress: Progress | None = None) -> IngestReport:
        progress = progress or (lambda done, total, label: None)
        files = found.files
        tally = _Tally(skipped=[SkippedFile(p, e) for p, e in found.skipped])
        stored = self.docstore.documents()
        pending: list[_Pending] = []
        for i, file in enumerate(files):
            progress(i, len(files), "reading")
            item = self._check(file, stored, tally)
            if item is not None:
                pending.append(item)
        progress(len(files), len(files), "reading")
        total = sum(item.texts for item in pending)
        done = 0
        for start in range(0, len(pending), BATCH_FILES):
            batch = pending[start:start + BATCH_FILES]
            size = sum(item.texts for item in batch)
            self._write(batch, tally, lambda d, t, before=done, size=size:
                        progress(before + round(size * d / max(t, 1)), total, "embedding"))
            done += size
            progress(done, total, "embedding")
        progress(0, 1, "indexing")
        self._delete_vanished(found, stored, tally)
        self._sweep_orphans()
        self.refresh_keyword_index()
        return IngestReport(
            added=tally.added, updated=tally.updated, unchanged=tally.unchanged,
            deleted=tally.deleted, chunks=self.docstore.counts()["chunks"],
            skipped=tuple(tally.skipped), files=tuple(tally.files),
        )

    def refresh_keyword_index(self) -> None:
        generation = self.docstore.generation()
        if self.keyword.generation != generation:
            self.keyword.rebuild(self.docstore.chunks(), generation)

    def _check(self, file: SourceFile, stored: dict[str, DocumentRow], tally: _Tally) -> _Pending | None:
        try:
            content = read_text(file.path)
            previous = stored.get(file.source)
            if previous is not None and previous.hash == document_hash(content.sha256):
                tally.unchanged += 1
                tally.files.append((file.source, "unchanged"))
                return None
            parsed = parse_source(file.source, content.text, file.kind)
            if not parsed.chunks:
                raise InputError("no text to index after the header; add content or remove it")
        except InputError as exc:
            message = str(exc)
            prefix = f"{file.source}: "  # parsers name the document; the report names it once
            reason = message[len(prefix):] if message.startswith(prefix) else message
            tally.skipped.append(SkippedFile(file.source, reason))
            tally.files.append((file.source, "skipped"))
            return None
        for problem in parsed.problems:
            tally.skipped.append(SkippedFile(file.source, problem))
        return _Pending(file, document_hash(content.sha256), parsed, previous is None,
                        {c.id: split_units(c.text) for c in parsed.chunks})

    def _write(self, pending: list[_Pending], tally: _Tally, progress=None) -> None:
        """Embed the texts of these documents (only those no store on this machine embedded
        before), then write each document."""
        if not pending:
            return
        chunks = [c for item in pending for c in item.parsed.chunks]
        units = {c.id: item.units[c.id] for item in pending for c in item.parsed.chunks}
        texts = [index_text(c) for c in chunks]
        texts += [u.display for c in chunks for u in units[c.id]]
        vectors = self.embedder.encode(texts, progress=progress)
        chunk_vectors = {c.id: vectors[i] for i, c in enumerate(chunks)}
        unit_vectors, offset = {}, len(chunks)
        for c in chunks:
            unit_vectors[c.id] = vectors[offset: offset + len(units[c.id])]
            offset += len(units[c.id])
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for item in pending:
            doc_chunks = item.parsed.chunks
            old_ids = {c.id for c in self.docstore.chunks_of(item.file.source)}
            self.vectors.upsert(
                [c.id for c in doc_chunks],
                [chunk_vectors[c.id] for c in doc_chunks],
                [_metadata(c) for c in doc_chunks],
            )
            self.docstore.replace_document(
                DocumentRow(item.file.source, str(item.file.path), item.parsed.kind, item.sha256, now),
                doc_chunks, {c.id: units[c.id] for c in doc_chunks},
                {c.id: unit_vectors[c.id] for c in doc_chunks}, item.parsed.notes,
                {c.id: chunk_vectors[c.id] for c in doc_chunks},
            )
            self.vectors.delete(sorted(old_ids - {c.id for c in doc_chunks}))
            status = "added" if item.is_new else "updated"
            setattr(tally, status, getattr(tally, status) + 1)
            tally.files.append((item.file.source, status))

    def _delete_vanished(self, found: Discovery, stored: dict[str, DocumentRow], tally: _Tally) -> None:
        """Forget documents that were in a walked folder and are no longer on disk."""
        present = {f.source for f in found.files}
        for source, row in stored.items():
            path = found.roots.locate(source) or Path(row.path)
            inside = any(path.is_relative_to(folder) for folder in found.folders)
            if inside and source not in present and not path.exists():
                old_ids = [c.id for c in self.docstore.chunks_of(source)]
                self.docstore.delete_document(source)
                self.vectors.delete(old_ids)
                tally.deleted += 1
                tally.files.append((source, "deleted"))

    def _sweep_orphans(self) -> None:
        orphans = self.vectors.ids() - self.docstore.chunk_ids()
        if orphans:
            self.vectors.delete(sorted(orphans))


def _metadata(chunk) -> dict:
    meta = {"source": chunk.source, "kind": chunk.kind, "section": chunk.section, "ordinal": chunk.ordinal}
    if chunk.rep:
        meta["rep_key"] = rep_key(chunk.rep)
    if chunk.date:
        meta["date"] = chunk.date
    return meta
