"""The knowledge-update gate: a harmful edit is refused and leaves the live store untouched;
a harmless one is promoted and answers from it at once. Real store, real model, real files."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from core.settings import ChromaServer, Settings
from core.errors import ConfigError, GateRefused, StoreError
from coach.knowledge_base import KnowledgeBase
from conftest import KNOWLEDGE
from coach.gated_update import gated_ingest
from evals.gate import UpdateRefused

pytestmark = pytest.mark.slow


def release_chroma(_path: Path) -> None:
    """Forget this process's embedded Chroma systems before a test swaps store folders on
    disk (the store's own code closes its clients; a test's leftover ones are dropped here)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()

AECR_HEADING = "## Objection Handling: The AECR Framework"
AECR = "Discovery Coach > Objection Handling: The AECR Framework"
NEW_NOTE = "knowledge/calls/2026-10-27-dana-okafor-quarry-lane.md"
NOTE_TEXT = """---
rep: Dana Okafor
date: 2026-10-27
account: Quarry Lane Bakeries
call_type: discovery
---

Dana asked Quarry Lane's operations lead how flour moves between their four bakeries and learned
that the night shift loses about two hours a week re-labelling flour pallets by hand.
"""


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A live store ingested once from a copy of knowledge/, kept aside for every test to start from."""
    root = tmp_path_factory.mktemp("gate")
    shutil.copytree(KNOWLEDGE, root / "knowledge-pristine")
    shutil.copytree(KNOWLEDGE, root / "knowledge")
    cwd = Path.cwd()
    os.chdir(root)
    try:
        kb = KnowledgeBase(Settings.from_env(root / "data", env={}))
        report = kb.ingest([Path("knowledge")])
        kb.close()
    finally:
        os.chdir(cwd)
    assert report.added > 0 and not report.skipped, report
    release_chroma(root / "data" / "chroma")
    shutil.copytree(root / "data", root / "data-pristine")
    return root


@pytest.fixture
def floor(pristine, monkeypatch) -> Path:
    """The pristine live store and knowledge/ copy, restored, with the working dir they were ingested from."""
    for name in ("data", "knowledge"):
        release_chroma(pristine / name / "chroma")
        shutil.rmtree(pristine / name, ignore_errors=True)
        shutil.copytree(pristine / f"{name}-pristine", pristine / name)
    monkeypatch.chdir(pristine)
    return pristine


def settings(root: Path) -> Settings:
    return Settings.from_env(root / "data", env={})


def delete_aecr(root: Path) -> None:
    playbook = root / "knowledge/playbooks/discovery-coach.md"
    text = playbook.read_text(encoding="utf-8")
    start = text.index(AECR_HEADING)
    end = text.index("\n## ", start + len(AECR_HEADING))
    playbook.write_text(text[:start] + text[end + 1:], encoding="utf-8")


def store_snapshot(data_dir: Path) -> str:
    """Every store file's path and bytes (eval reports aside)."""
    digest = hashlib.sha256()
    for path in sorted(data_dir.rglob("*")):
        if path.is_file() and "evals" not in path.relative_to(data_dir).parts:
            digest.update(str(path.relative_to(data_dir)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def ask(root: Path, question: str, rep: str | None = None):
    kb = KnowledgeBase(settings(root))
    try:
        return kb.ask(question, rep=rep)
    finally:
        kb.close()


def test_a_harmful_edit_is_refused_and_the_live_store_is_untouched(floor):
    before = store_snapshot(floor / "data")
    delete_aecr(floor)
    with pytest.raises(GateRefused) as refused:
        gated_ingest(settings(floor), [Path("knowledge")])
    error = refused.value
    assert error.exit_code == 3 and isinstance(error, UpdateRefused)
    message = str(error)
    assert "\n" not in message
    assert "dev hit@5" in message and "may drop at most 0.02" in message
    assert "dev-001 (retrieval rank 1 -> miss" in message
    assert not error.result.promoted and error.result.ingest.updated == 1
    assert {q.id for q in error.result.worse_questions} >= {"dev-001", "dev-021", "ho-001"}
    assert error.result.report.markdown_path.exists()
    assert store_snapshot(floor / "data") == before
    assert not [p.name for p in (floor / "data").iterdir() if p.name.startswith(("staging-", "retired-"))]
    answer = ask(floor, "How do I handle a timing objection?")
    assert answer.grounded and answer.citations[0].section == AECR


def test_a_harmless_edit_is_promoted_and_answers_from_it(floor):
    (floor / NEW_NOTE).write_text(NOTE_TEXT, encoding="utf-8")
    result = gated_ingest(settings(floor), [Path("knowledge")])
    assert result.promoted and result.regressions == ()
    assert (result.ingest.added, result.ingest.updated, result.ingest.deleted) == (1, 0, 0)
    assert result.baseline is not None and result.worse_questions == ()
    assert (floor / "data/evals/latest.json").exists()
    assert not [p.name for p in (floor / "data").iterdir() if p.name.startswith(("staging-", "retired-"))]
    answer = ask(floor, "How much time does the night shift lose re-labelling flour pallets?", rep="Dana Okafor")
    assert answer.grounded and answer.citations[0].source == NEW_NOTE
    assert ask(floor, "How do I handle a timing objection?").citations[0].section == AECR
    # the report of the promoted store is the next gate's baseline
    again = gated_ingest(settings(floor), [Path("knowledge")])
    assert again.promoted and again.baseline_reused and again.ingest.unchanged > 0


def test_the_gate_needs_the_embedded_store(tmp_path):
    server = Settings(data_dir=tmp_path, chroma=ChromaServer("127.0.0.1", 8000))
    with pytest.raises(ConfigError, match="needs the embedded store for now; unset COACH_CHROMA_URL"):
        gated_ingest(server, [KNOWLEDGE])


def test_the_gate_waits_for_no_other_ingest(floor):
    with KnowledgeBase(settings(floor)).ingest_lock():
        with pytest.raises(StoreError, match="Another ingest is running"):
            gated_ingest(settings(floor), [Path("knowledge")])


def test_coach_ingest_gate_exits_3_on_a_harmful_edit(floor, capsys):
    from coach.cli import main

    before = store_snapshot(floor / "data")
    delete_aecr(floor)
    code = main(["--data-dir", str(floor / "data"), "ingest", "--gate", "knowledge"])
    err = capsys.readouterr().err
    assert code == 3
    assert "coach: the update was refused by the evaluation gate:" in err and "dev-001" in err
    assert store_snapshot(floor / "data") == before
