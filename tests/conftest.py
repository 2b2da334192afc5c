"""Shared fixtures: every test gets its own workspace and data dir, a clean environment,
and no network beyond loopback. The real embedding model is loaded once per process.

Two tiers. A test that loads the embedding model, opens Chroma, runs an LLM or starts a
server is ``slow``: marked ``@pytest.mark.slow`` (or ``pytestmark`` for a module), or
implied by the marks ``server``, ``llm``, ``browser`` or by using ``knowledge_store``.
Everything else is the fast tier: ``make test-fast`` (``pytest -m "not slow"``) runs it in
seconds; ``make test`` runs both. The fast tier is kept honest here: while a test that is
not slow runs (its fixtures included), importing sentence-transformers, transformers,
torch, ONNX Runtime, chromadb or llama-cpp, starting a subprocess or listening on a
socket fails that test."""

from __future__ import annotations

import importlib.abc
import ipaddress
import json
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
KNOWLEDGE = REPO / "knowledge"

# What a fast test may not import: the embedding model's stack, the vector store, the LLM.
HEAVY_MODULES = ("sentence_transformers", "transformers", "torch", "onnxruntime", "chromadb", "llama_cpp")
SLOW_MARKS = ("server", "llm", "browser")
SLOW_FIXTURES = ("knowledge_store",)  # used directly or through another fixture


def is_slow(item: pytest.Item) -> bool:
    return item.get_closest_marker("slow") is not None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if is_slow(item):
            continue
        if any(item.get_closest_marker(name) for name in SLOW_MARKS) or \
                any(name in getattr(item, "fixturenames", ()) for name in SLOW_FIXTURES):
            item.add_marker(pytest.mark.slow)


def pytest_collection_finish(session):
    """The import guard sees only first imports: in a run of fast tests alone, nothing
    heavy may be loaded by collecting them (a test module importing it at the top)."""
    if session.items and not any(is_slow(item) for item in session.items):
        loaded = sorted(name for name in HEAVY_MODULES if name in sys.modules)
        if loaded:
            raise pytest.UsageError(
                f"collecting the tests imported {', '.join(loaded)}; import it inside the slow tests that need it")


class FastTierGuard(importlib.abc.MetaPathFinder):
    """While a fast test runs, a first import of a heavy package raises ImportError and is
    remembered, so that code which catches the ImportError still fails the test."""

    def __init__(self) -> None:
        self.test: str | None = None
        self.blocked: list[str] = []

    def find_spec(self, fullname, path=None, target=None):
        if self.test is not None and fullname.partition(".")[0] in HEAVY_MODULES:
            self.blocked.append(fullname)
            raise ImportError(f"{self.test} imported {fullname}: a fast-tier test may not load the embedding "
                              "model, Chroma or an LLM; mark it @pytest.mark.slow")
        return None

    def refuse(self, what: str):
        test = self.test

        def refused(*args, **kwargs):
            self.blocked.append(what)
            raise RuntimeError(f"{test} tried to {what}: a fast-tier test may not start a server or a "
                               "process; mark it @pytest.mark.slow")

        return refused


GUARD = FastTierGuard()
sys.meta_path.insert(0, GUARD)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if is_slow(item):
        return
    GUARD.test, GUARD.blocked = item.nodeid, []
    item.stash[_RESTORE] = (subprocess.Popen.__init__, socket.socket.listen)
    subprocess.Popen.__init__ = GUARD.refuse("start a subprocess")
    socket.socket.listen = GUARD.refuse("listen on a socket")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    if not is_slow(item) and GUARD.blocked:
        pytest.fail(f"fast-tier test used {', '.join(dict.fromkeys(GUARD.blocked))}; mark it @pytest.mark.slow",
                    pytrace=False)
    return result


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    restore = item.stash.get(_RESTORE, None)
    if restore is not None:
        subprocess.Popen.__init__, socket.socket.listen = restore
        GUARD.test = None


_RESTORE = pytest.StashKey[tuple]()


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Fail any connection that leaves the machine (model downloads, telemetry, APIs)."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise RuntimeError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("COACH_DATA_DIR", "COACH_CHROMA_URL", "COACH_EMBED_MODEL", "COACH_LLM", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    """A working directory holding a private copy of knowledge/ (tests may edit it)."""
    root = tmp_path / "work"
    shutil.copytree(KNOWLEDGE, root / "knowledge")
    monkeypatch.chdir(root)
    return root


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)

    def json_lines(self):
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@pytest.fixture
def coach(capsys, workspace):
    """Run the real `coach` CLI in-process against the workspace's own data dir."""
    from coach.cli import main

    def run(*args: str, data_dir: Path | None = None) -> Result:
        capsys.readouterr()
        code = main(["--data-dir", str(data_dir or workspace / ".coach"), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def knowledge_store(tmp_path_factory) -> Path:
    """A store with knowledge/ ingested once, for read-only tests; returns its workspace root."""
    from core.settings import Settings
    from coach.knowledge_base import KnowledgeBase

    root = tmp_path_factory.mktemp("shared-store")
    shutil.copytree(KNOWLEDGE, root / "knowledge")
    kb = KnowledgeBase(Settings.from_env(root / ".coach", env={}))
    cwd = Path.cwd()
    try:
        import os

        os.chdir(root)
        report = kb.ingest([Path("knowledge")])
    finally:
        os.chdir(cwd)
        kb.close()
    assert report.added > 0 and not report.skipped, report
    return root


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def normalise(text: str) -> str:
    """Whitespace and markdown emphasis do not count when checking verbatim quotes."""
    return " ".join(text.replace("*", "").replace("_", "").split())
