"""Each text is embedded once per machine: a second store of the same files, or an edited
file's unchanged chunks, embed nothing again; damaged cache entries are embedded again,
not served; ONNX Runtime's passage vectors match PyTorch's. Real model, real stores."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

import rag.embedder
from core.settings import Settings

pytestmark = pytest.mark.slow

PLAYBOOK = ("# Objection Guide\n\n## Timing objections\n\nWhen the buyer says now is not a good time, ask what "
            "changes next quarter.\n\n- Ask what waiting costs.\n- Agree a date to revisit.\n\n"
            "## Budget objections\n\nAsk how the budget was set and who owns the problem.\n")
NOTE = "rep: Dana Okafor\ndate: 2026-09-02\n\nDana asked what waiting would cost the buyer. She booked a next step.\n"


@pytest.fixture
def team(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_VECTOR_CACHE", str(tmp_path / "vector-cache"))
    rag.embedder._VECTORS.clear()  # nothing remembered from other tests in this process
    root = tmp_path / "team"
    root.mkdir()
    (root / "guide.md").write_text(PLAYBOOK)
    (root / "dana.md").write_text(NOTE)
    return root


def ingest(folder, store):
    from coach.knowledge_base import KnowledgeBase

    rag.embedder._VECTORS.clear()  # as a new process would start
    kb = KnowledgeBase(Settings.from_env(store, env={}))
    try:
        report = kb.ingest([folder])
        vectors = kb.docstore.chunk_vectors(sorted(kb.docstore.chunk_ids()))
    finally:
        kb.close()
    return report, vectors


def test_a_second_store_embeds_nothing_and_gets_the_same_vectors(team, tmp_path):
    first, vectors = ingest(team, tmp_path / "one")
    assert first.embedded > 0 and first.added == 2
    second, again = ingest(team, tmp_path / "two")
    assert second.embedded == 0 and second.chunks == first.chunks
    assert vectors.keys() == again.keys()
    assert all(np.array_equal(vectors[k], again[k]) for k in vectors)


def test_a_one_line_edit_embeds_only_the_changed_chunks_texts(team, tmp_path):
    first, _ = ingest(team, tmp_path / "store")
    text = (team / "guide.md").read_text().replace("who owns the problem.", "who owns the problem today.")
    (team / "guide.md").write_text(text)
    edited, _ = ingest(team, tmp_path / "store")
    assert edited.updated == 1
    # the budget chunk and its one sentence, nothing of the timing section or the note
    assert 0 < edited.embedded <= 3 < first.embedded


def test_damaged_cache_entries_are_embedded_again_not_served(team, tmp_path):
    first, vectors = ingest(team, tmp_path / "one")
    (cache_file,) = (tmp_path / "vector-cache").glob("*.sqlite3")
    with sqlite3.connect(cache_file) as db:
        db.execute("UPDATE vectors SET vector = substr(vector, 2) || x'00'")
    second, again = ingest(team, tmp_path / "two")
    assert second.embedded == first.embedded
    assert all(np.allclose(vectors[k], again[k], atol=1e-6) for k in vectors)


def test_onnx_passage_vectors_match_pytorchs(team):
    from rag.embedder import Embedder

    texts = [PLAYBOOK, NOTE, "Ask what waiting costs.", "A longer passage. " * 40, "ok"]
    torch_vectors = Embedder(onnx=False, shared_cache=False).encode(texts)
    rag.embedder._VECTORS.clear()
    onnx_vectors = Embedder(shared_cache=False).encode(texts)
    cosines = (torch_vectors * onnx_vectors).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines


def test_two_ingests_into_two_stores_at_once_share_the_cache(team, tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "COACH_VECTOR_CACHE": str(tmp_path / "vector-cache"), "HF_HUB_OFFLINE": "1"}
    runs = [subprocess.Popen([sys.executable, "-m", "coach.cli", "--data-dir", str(tmp_path / f"s{i}"), "ingest",
                              str(team), "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i in range(2)]
    reports = []
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
        reports.append(json.loads(out))
    assert [r["added"] for r in reports] == [2, 2] and reports[0]["chunks"] == reports[1]["chunks"]
    third, _ = ingest(team, tmp_path / "s3")
    assert third.embedded == 0
