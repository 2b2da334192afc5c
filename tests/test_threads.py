"""numpy's BLAS gets one thread while answering, unless the user chose a limit."""

from __future__ import annotations

import pytest

from core import threads


@pytest.fixture
def fresh(monkeypatch):
    for name in threads.USER_LIMITS:
        monkeypatch.delenv(name, raising=False)
    threads.one_blas_thread.cache_clear()
    yield
    threads.one_blas_thread.cache_clear()


def test_blas_runs_on_one_thread_once_a_knowledge_base_would_open(fresh):
    import numpy  # noqa: F401  (loads the BLAS library the limit applies to)
    from threadpoolctl import threadpool_info

    assert threads.one_blas_thread() is True
    assert {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"} == {1}


def test_a_limit_the_user_set_is_left_alone(fresh, monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert threads.one_blas_thread() is False
