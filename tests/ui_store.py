"""The small store both UI test modules run against: playbooks, Dana's call notes and one
hostile note (markup and script inside a note must render inert)."""

from __future__ import annotations

import shutil
from pathlib import Path

from core.settings import Settings
from coach.knowledge_base import KnowledgeBase
from conftest import REPO


def build_store(root: Path, hostile_note: str) -> KnowledgeBase:
    knowledge = root / "knowledge"
    shutil.copytree(REPO / "knowledge" / "playbooks", knowledge / "playbooks")
    (knowledge / "calls").mkdir()
    for note in sorted((REPO / "knowledge" / "calls").glob("*dana-okafor*")):
        shutil.copy(note, knowledge / "calls" / note.name)
    for extra in ("taxonomy.json", "bank.json"):
        shutil.copy(REPO / "knowledge" / extra, knowledge / extra)
    (knowledge / "calls" / "2026-09-03-nora-quill-lantern-bikes.md").write_text(hostile_note)
    kb = KnowledgeBase(Settings.from_env(root / ".coach", env={}))
    report = kb.ingest([knowledge])
    assert report.added and not report.skipped, report
    return kb
