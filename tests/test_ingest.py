"""`coach ingest` end to end: a real store on disk, the real model, the real CLI."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.settings import Settings
from coach.knowledge_base import KnowledgeBase
from rag.embedder import Embedder


class CountingEmbedder(Embedder):
    """The real embedder, counting how many texts it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def encode(self, texts, batch_size=64):
        self.texts += len(texts)
        return super().encode(texts, batch_size)


def open_kb(workspace: Path, embedder=None) -> KnowledgeBase:
    return KnowledgeBase(Settings.from_env(workspace / ".coach", env={}), embedder=embedder)


def chunk_rows(workspace: Path) -> set[tuple]:
    db = sqlite3.connect(workspace / ".coach" / "docstore.sqlite3")
    try:
        return set(db.execute("SELECT id, source, section FROM chunks"))
    finally:
        db.close()


@pytest.mark.slow
def test_first_ingest_reports_every_file(coach, workspace):
    """Keys are paths inside the ingested folder, under its name (not the working directory's)."""
    result = coach("ingest", "knowledge/playbooks", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["added"] == 2 and report["updated"] == 0 and report["skipped"] == []
    assert report["chunks"] > 20
    statuses = {f["path"]: f["status"] for f in report["files"]}
    assert statuses == {
        "playbooks/coach.md": "added",
        "playbooks/discovery-coach.md": "added",
    }


@pytest.mark.slow
def test_reingest_of_unchanged_files_embeds_nothing(workspace):
    kb = open_kb(workspace)
    kb.ingest([Path("knowledge/playbooks")])
    before = chunk_rows(workspace)
    kb.close()

    counting = CountingEmbedder()
    kb = open_kb(workspace, embedder=counting)
    report = kb.ingest([Path("knowledge/playbooks")])
    kb.close()
    assert (report.added, report.updated, report.unchanged) == (0, 0, 2)
    assert counting.texts == 0
    assert chunk_rows(workspace) == before


@pytest.mark.slow
def test_changed_file_is_replaced_and_deleted_file_removed(coach, workspace):
    assert coach("ingest", "knowledge/playbooks").code == 0
    playbook = workspace / "knowledge/playbooks/discovery-coach.md"
    text = playbook.read_text()
    playbook.write_text(text.replace("## Objection Handling: The AECR Framework",
                                     "## Objection Handling: The Four Moves"))
    (workspace / "knowledge/playbooks/coach.md").unlink()

    report = coach("ingest", "knowledge/playbooks", "--json").json()
    assert (report["updated"], report["deleted"]) == (1, 1)
    sections = {row[2] for row in chunk_rows(workspace)}
    assert "Discovery Coach > Objection Handling: The Four Moves" in sections
    assert "Discovery Coach > Objection Handling: The AECR Framework" not in sections
    assert not any(row[1].endswith("coach.md") and "discovery" not in row[1] for row in chunk_rows(workspace))


@pytest.mark.slow
def test_bad_files_are_skipped_with_reasons_and_nothing_stored_is_lost(coach, workspace):
    assert coach("ingest", "knowledge/playbooks").code == 0
    stored = chunk_rows(workspace)
    calls = workspace / "knowledge/playbooks"
    (calls / "empty.md").write_text("")
    (calls / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (calls / "latin1.md").write_bytes("# Caf\xe9 notes\n\nd\xe9j\xe0 vu".encode("latin-1"))
    (calls / "broken.md").write_text("---\nname: [unclosed\n---\n# Title\n\nBody text here.\n")
    huge = calls / "huge.md"
    with huge.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)
        handle.seek(0)
        handle.write(b"# Big\n\n")

    result = coach("ingest", "knowledge/playbooks", "--json")
    assert result.code == 1
    reasons = {Path(s["path"]).name: s["error"] for s in result.json()["skipped"]}
    assert "empty" in reasons["empty.md"]
    assert "binary" in reasons["binary.md"]
    assert "not UTF-8" in reasons["latin1.md"]
    assert "front matter" in reasons["broken.md"]
    assert "too large" in reasons["huge.md"]
    assert result.json()["unchanged"] == 2
    assert chunk_rows(workspace) == stored
    assert "5 item(s) skipped" in result.err
    for line in result.err.strip().splitlines():  # skipped lines, the summary and progress phases only
        assert line.startswith(("skipped ", "coach: ", "ingest: "))


@pytest.mark.slow
def test_unreadable_file_is_reported(coach, workspace):
    if hasattr(__import__("os"), "geteuid") and __import__("os").geteuid() == 0:
        pytest.skip("root can read files without permission bits")
    secret = workspace / "knowledge/playbooks/secret.md"
    secret.write_text("# Secret\n\nText.\n")
    secret.chmod(0)
    result = coach("ingest", "knowledge/playbooks", "--json")
    assert "permission" in result.json()["skipped"][0]["error"]


@pytest.mark.slow
def test_missing_path_is_reported_not_fatal(coach, workspace):
    result = coach("ingest", "knowledge/playbooks", "no/such/folder", "--json")
    assert result.code == 1
    report = result.json()
    assert report["added"] == 2
    assert report["skipped"] == [{"path": "no/such/folder", "error": "no such file or folder; check the path"}]


@pytest.mark.slow
def test_interrupted_update_converges_on_next_run(workspace, monkeypatch):
    """Kill the run after the new vectors are written but before the docstore swaps
    versions: the old version stays live, and the next run converges with no orphans."""
    kb = open_kb(workspace)
    kb.ingest([Path("knowledge/playbooks")])
    playbook = workspace / "knowledge/playbooks/coach.md"
    playbook.write_text(playbook.read_text() + "\n## Extra Section\n\nA brand new paragraph about weekly deal reviews.\n")

    from rag.docstore import Docstore

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-run")

    with monkeypatch.context() as patch:
        patch.setattr(Docstore, "replace_document", crash)
        with pytest.raises(KeyboardInterrupt):
            kb.ingest([Path("knowledge/playbooks")])
    sections = {row[2] for row in chunk_rows(workspace)}
    assert "Sales Coach > Extra Section" not in sections  # old version still whole
    assert any(s.startswith("Sales Coach > Your Core Mission") for s in sections)
    assert kb.vectors.ids() - kb.docstore.chunk_ids()  # the orphans the crash left behind
    kb.close()

    kb = open_kb(workspace)
    report = kb.ingest([Path("knowledge/playbooks")])
    assert report.updated == 1
    assert "Sales Coach > Extra Section" in {row[2] for row in chunk_rows(workspace)}
    assert kb.vectors.ids() == kb.docstore.chunk_ids()
    kb.close()


@pytest.mark.slow
def test_store_built_with_another_model_names_the_fix(workspace):
    kb = open_kb(workspace)
    kb.ingest([Path("knowledge/playbooks")])
    kb.close()

    from core.errors import EmbeddingMismatch
    from rag.vectors import ChromaVectors

    with pytest.raises(EmbeddingMismatch, match=r"coach ingest --reindex"):
        ChromaVectors(path=workspace / ".coach" / "chroma", server=None,
                      model_id="some/other-model", dimension=768)


@pytest.mark.slow
def test_reindex_rebuilds_everything(coach, workspace):
    assert coach("ingest", "knowledge/playbooks").code == 0
    before = chunk_rows(workspace)
    report = coach("ingest", "--reindex", "knowledge/playbooks", "--json").json()
    assert report["added"] == 2 and report["unchanged"] == 0
    assert chunk_rows(workspace) == before


def test_second_ingest_while_one_runs_is_refused(workspace):
    import fcntl

    from core.errors import StoreError

    (workspace / ".coach").mkdir()
    with open(workspace / ".coach" / "ingest.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(StoreError, match="Another ingest is running"):
            open_kb(workspace).ingest([Path("knowledge/playbooks")])


def test_ask_without_a_store_says_how_to_make_one(coach, workspace):
    result = coach("ask", "How do I handle a timing objection?")
    assert result.code == 1
    assert result.err.strip() == f"coach: No knowledge base in {workspace / '.coach'}. Run: coach ingest knowledge/"
