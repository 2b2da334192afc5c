"""bench.ranker_candidates' pure parts: the in-memory features equal rag.ranker's, the folds
are grouped and seeded, the ranker fit and the adapter behave (fast tier: numpy only)."""

from __future__ import annotations

import numpy as np

from bench.ranker_candidates import (
    BASE,
    Question,
    first_rank,
    fit_adapter,
    fit_ranker,
    grouped_folds,
    pad,
    raw_features,
    summarize,
)
from core.records import Chunk
from rag.ranker import Candidate, Priors, rank


def _unit(rng, n, dim=8):
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_features_are_the_rankers():
    rng = np.random.RandomState(0)
    chunks = [Chunk(f"c{i}", f"doc{i % 2}.md", "playbook", f"S{i // 2}", "text", i, None, None) for i in range(6)]
    vectors = _unit(rng, 6)
    units = [_unit(rng, n) for n in (0, 1, 2, 3, 4, 5)]
    priors = Priors(chunks, vectors, units)
    query = _unit(rng, 1)[0]
    keyword = [0.0, 2.0, 0.5, 0.0, 1.0, 3.0]
    ranked = rank(query, [Candidate(c, v, u, k) for c, v, u, k in zip(chunks, vectors, units, keyword)], priors)
    width = max(len(u) for u in units)
    pad_rows, offset = [], 0
    for u in units:
        pad_rows.append([offset + i for i in range(len(u))] + [-1] * (width - len(u)))
        offset += len(u)
    sections = list(dict.fromkeys((c.source, c.section) for c in chunks))
    q = Question(
        id="q", file="f", text="t", kind="playbook", vector=query, relevant=np.zeros(len(sections), bool),
        chunk_vectors=vectors, unit_vectors=np.vstack([u for u in units if len(u)]), unit_pad=np.array(pad_rows),
        unit_count=np.array([len(u) for u in units]),
        document_vectors=np.vstack([priors.centroids[c.source] for c in chunks]),
        centrality=np.array([priors.centrality[c.id] for c in chunks]), keyword=np.array(keyword) / 3.0,
        section_of=np.array([sections.index((c.source, c.section)) for c in chunks]),
        lead_vectors=np.zeros((len(sections), 8), np.float32), heading_vectors=np.zeros((len(sections), 8), np.float32),
        product_raw=np.zeros((len(sections), 6)), product_rank=None,
    )
    ours = raw_features(q, query, BASE)
    theirs = {(r.chunk.source, r.chunk.section): r.features for r in ranked}
    for i, key in enumerate(sections):
        assert np.allclose(ours[i], [theirs[key][f] for f in BASE], atol=1e-6)


def test_folds_are_grouped_seeded_and_cover_everything():
    files = ["a"] * 7 + ["b"] * 5
    groups = ["x", "x", "y", "z", "w", "v", "u", "p", "q", "r", "s", "t"]
    folds = grouped_folds(files, groups, 3, seed=1)
    assert sorted(np.concatenate(folds).tolist()) == list(range(12))
    assert any(0 in f and 1 in f for f in folds)  # one question text stays in one fold
    assert [f.tolist() for f in folds] == [f.tolist() for f in grouped_folds(files, groups, 3, seed=1)]


def test_ranker_learns_the_informative_feature():
    rng = np.random.RandomState(0)
    xs, ys = [], []
    for _ in range(40):
        x = rng.normal(size=(10, 2))
        y = np.zeros(10, bool)
        y[np.argmax(x[:, 0])] = True
        xs.append(x)
        ys.append(y)
    w = fit_ranker(pad(xs, ys), l2=0.1)
    assert w[0] > abs(w[1])
    assert summarize([first_rank(x, y, w) for x, y in zip(xs, ys)])["hit@1"] > 0.9


def test_adapter_is_the_identity_under_a_strong_ridge():
    rng = np.random.RandomState(0)
    q, t = _unit(rng, 20).astype(np.float64), _unit(rng, 20).astype(np.float64)
    assert np.allclose(fit_adapter(q, t, 1e9), np.eye(8), atol=1e-6)
    near = fit_adapter(q, t, 1e-6)
    assert np.linalg.norm(q @ near - t) < np.linalg.norm(q - t)  # weak ridge: fits the pairs more closely
