"""The machine-wide vector cache: what it serves is what was stored, damage is detected and
re-embedded, it stays bounded, and a cache that cannot be written never stops an ingest.
Pure: numpy and SQLite only."""

from __future__ import annotations

import sqlite3
import threading

import numpy as np

from rag.vector_cache import VectorCache, cache_stats, clear_cache, text_key


def vectors(n: int, dim: int = 8, seed: int = 0) -> dict[bytes, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {text_key(f"text {seed}-{i}"): rng.standard_normal(dim).astype(np.float32) for i in range(n)}


def test_a_vector_comes_back_as_it_was_stored(tmp_path):
    cache = VectorCache("sentence-transformers/all-mpnet-base-v2", 8, tmp_path)
    items = vectors(5)
    cache.put(items)
    got = cache.get(list(items) + [text_key("never stored")])
    assert set(got) == set(items)
    assert all(np.array_equal(got[k], items[k]) for k in items)
    assert cache.path.parent == tmp_path and "all-mpnet-base-v2-8" in cache.path.name


def test_a_damaged_or_truncated_entry_is_never_served_and_is_dropped(tmp_path):
    cache = VectorCache("m", 8, tmp_path)
    items = vectors(3)
    cache.put(items)
    first, second, third = items
    with sqlite3.connect(cache.path) as db:
        blob = db.execute("SELECT vector FROM vectors WHERE key = ?", (first,)).fetchone()[0]
        flipped = bytes([blob[0] ^ 0xFF]) + blob[1:]
        db.execute("UPDATE vectors SET vector = ? WHERE key = ?", (flipped, first))
        db.execute("UPDATE vectors SET vector = substr(vector, 1, 12) WHERE key = ?", (second,))
    got = VectorCache("m", 8, tmp_path).get(items)
    assert set(got) == {third}
    with sqlite3.connect(cache.path) as db:
        assert db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == 1


def test_a_vector_of_another_dimension_is_not_stored(tmp_path):
    cache = VectorCache("m", 8, tmp_path)
    cache.put({text_key("x"): np.zeros(7, dtype=np.float32)})
    assert cache.get([text_key("x")]) == {}


def test_the_cache_keeps_at_most_its_bound_dropping_the_least_recently_used(tmp_path):
    cache = VectorCache("m", 8, tmp_path, max_entries=20)
    old = vectors(15, seed=1)
    cache.put(old)
    with sqlite3.connect(cache.path) as db:
        db.execute("UPDATE vectors SET used = 0")  # long ago
    keep = list(old)[:3]
    cache.get(keep)  # used again now
    cache.put(vectors(15, seed=2))
    with sqlite3.connect(cache.path) as db:
        count = db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
    assert count <= 20
    assert set(cache.get(keep)) == set(keep)


def test_a_cache_that_cannot_be_written_is_skipped_without_an_error(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    cache = VectorCache("m", 8, blocked / "vectors")
    cache.put(vectors(2))
    assert cache.get(vectors(2)) == {} and cache.failed


def test_writers_in_parallel_all_land(tmp_path):
    errors = []

    def write(seed: int) -> None:
        try:
            VectorCache("m", 8, tmp_path).put(vectors(50, seed=seed))
        except Exception as exc:  # the test fails on any error
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(seed,)) for seed in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert cache_stats(tmp_path)[0].entries == 300


def test_clear_removes_every_models_file(tmp_path):
    VectorCache("a", 8, tmp_path).put(vectors(1))
    VectorCache("b", 4, tmp_path).put(vectors(1, dim=4))
    assert len(cache_stats(tmp_path)) == 2
    (tmp_path / "classifiers").mkdir()
    (tmp_path / "classifiers" / "0123.npy").write_bytes(b"weights")
    assert clear_cache(tmp_path) == 3
    assert cache_stats(tmp_path) == [] and not (tmp_path / "classifiers").exists()
