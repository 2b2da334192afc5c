"""Shared fixtures: every test gets its own workspace and data dir, a clean environment,
and no network beyond loopback. The real embedding model is loaded once per process."""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
KNOWLEDGE = REPO / "knowledge"


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
