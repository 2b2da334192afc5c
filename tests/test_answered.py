"""The questions asked before (rag.answered): who votes, what the refusal check compares
with, and that the shipped file holds dev questions only."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.answered import ANSWERED_FILE, SHIPPED_VECTORS, AnsweredQuestion, nearest_asked, section_votes, vectors_key


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_nearest_asked_gives_the_closest_covered_and_not_covered_question():
    vectors = np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(0.6, 0.8, 0)])
    covered = np.array([True, False, True])
    inside, outside = nearest_asked(unit(0, 1, 0), vectors, covered)
    assert inside == pytest.approx(0.8) and outside == pytest.approx(1.0)
    assert nearest_asked(unit(1, 0, 0), vectors[:1], covered[:1]) == (pytest.approx(1.0), None)
    assert nearest_asked(unit(1, 0, 0), np.zeros((0, 3), dtype=np.float32), np.zeros(0, dtype=bool)) == (None, None)


def test_only_the_k_nearest_vote_and_each_vote_is_its_cosine():
    questions = (AnsweredQuestion("a", ("A",)), AnsweredQuestion("b", ("B",)), AnsweredQuestion("c", ("A", "C")))
    vectors = np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(0.8, 0.6, 0)])
    votes = section_votes(unit(1, 0, 0), vectors, questions, ["A", "B", "C", "D"], k=2)
    assert votes == pytest.approx([1.0 + 0.8, 0.0, 0.8, 0.0])


def test_the_shipped_file_and_its_vectors_agree_and_hold_dev_questions_only(monkeypatch):
    from conftest import REPO

    monkeypatch.syspath_prepend(str(REPO))  # fit/ is a script folder, run from the repository root
    from evals import golden

    data = json.loads(ANSWERED_FILE.read_text(encoding="utf-8"))
    texts = [q["q"] for q in data["questions"]]
    with np.load(SHIPPED_VECTORS, allow_pickle=False) as stored:
        assert stored["vectors"].shape[0] == len(texts)
        assert str(stored["key"]) == vectors_key("sentence-transformers/all-mpnet-base-v2", texts)
    covered = [q for q in data["questions"] if q["sections"]]
    declined = [q for q in data["questions"] if not q["sections"]]
    assert covered and declined  # questions the playbooks answered, and ones they do not cover
    # every shipped question comes from the dev files; the splits kept for later rounds are never read
    from fit.ranker import DEV_FILES

    dev = {golden.question_key(q.q) for name in DEV_FILES for q in golden.load_set(name)}
    assert {golden.question_key(t) for t in texts} <= dev
    assert not {"sellers-fresh", "closers-fresh"} & set(DEV_FILES)
    assert "sellers-fresh" not in data["fitted_on"] and "closers-fresh" not in data["fitted_on"]
