"""Settings read once from flags and environment, then passed around explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from core.errors import ConfigError

DEFAULT_DATA_DIR = ".coach"


@dataclass(frozen=True)
class ChromaServer:
    host: str
    port: int
    ssl: bool = False


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    chroma: ChromaServer | None = None  # None: embedded PersistentClient in data_dir
    embed_model: str | None = None  # None: the store's own model, else the bundled all-mpnet-base-v2
    llm: str | None = None  # e.g. "ollama:qwen2.5:7b", "openai:gpt-4o-mini"

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        root = Path(data_dir or env.get("COACH_DATA_DIR") or DEFAULT_DATA_DIR)
        return cls(
            data_dir=root.expanduser().resolve(),
            chroma=parse_chroma_url(env.get("COACH_CHROMA_URL") or None),
            embed_model=env.get("COACH_EMBED_MODEL") or None,
            llm=env.get("COACH_LLM") or None,
        )


def parse_chroma_url(url: str | None) -> ChromaServer | None:
    if not url:
        return None
    parsed = urlparse(url if "://" in url else f"http://{url}")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(
            f"COACH_CHROMA_URL={url!r} is not a Chroma server address; use http://host:port"
        )
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
    except ValueError:
        raise ConfigError(f"COACH_CHROMA_URL={url!r} has a bad port; use http://host:port") from None
    return ChromaServer(host=parsed.hostname, port=port, ssl=parsed.scheme == "https")


def cache_folder(variable: str, name: str) -> Path:
    """A machine-wide cache folder: ``$variable`` if set, else ``<XDG cache>/coach/<name>``
    (``~/.cache/coach/<name>``). Shared by every store of this user."""
    configured = os.environ.get(variable)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "coach" / name
