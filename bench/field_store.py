"""A store of knowledge/ for the field benchmarks: built once into a folder, reused after.

``open_store(folder)`` ingests ``knowledge/`` into ``folder`` unless it already holds this
exact knowledge (the ingest is incremental, so an unchanged folder embeds nothing).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.settings import Settings  # noqa: E402
from coach.knowledge_base import KnowledgeBase  # noqa: E402

DEFAULT_DIR = ROOT / ".coach-bench"


def open_store(folder: Path | None = None) -> KnowledgeBase:
    folder = (folder or DEFAULT_DIR).resolve()
    kb = KnowledgeBase(Settings.from_env(folder))
    report = kb.ingest([ROOT / "knowledge"])
    if report.skipped:
        raise SystemExit(f"ingest skipped files: {report.skipped}")
    return kb
