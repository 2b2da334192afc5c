"""The same ingest + ask flow against a real `chroma run` server on loopback."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port

pytestmark = pytest.mark.server




@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists():
        chroma = Path(shutil.which("chroma") or "chroma")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("w")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"chroma run exited with {process.returncode}: {(path / 'server.log').read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("chroma run did not answer within 60 s")
    yield url
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def test_ingest_and_ask_through_a_chroma_server(coach, workspace, chroma_server, monkeypatch):
    monkeypatch.setenv("COACH_CHROMA_URL", chroma_server)
    report = coach("ingest", "knowledge/playbooks", "--json")
    assert report.code == 0, report.err
    assert report.json()["added"] == 2
    assert not (workspace / ".coach" / "chroma").exists()  # vectors went to the server

    again = coach("ingest", "knowledge/playbooks", "--json").json()
    assert again["unchanged"] == 2 and again["added"] == 0

    answer = coach("ask", "How do I handle a timing objection?", "--json").json()
    assert answer["grounded"]
    assert answer["citations"][0]["section"] == "Discovery Coach > Objection Handling: The AECR Framework"


def test_unreachable_server_is_one_clear_line(coach, workspace, monkeypatch):
    monkeypatch.setenv("COACH_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    result = coach("ingest", "knowledge/playbooks")
    assert result.code == 1
    assert result.err.startswith("coach: Cannot open the Chroma store at http://127.0.0.1:")
    assert "unset COACH_CHROMA_URL" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_bad_chroma_url_is_a_config_error(coach, workspace, monkeypatch):
    monkeypatch.setenv("COACH_CHROMA_URL", "ftp://nowhere")
    result = coach("ask", "anything")
    assert result.code == 1
    assert "use http://host:port" in result.err
