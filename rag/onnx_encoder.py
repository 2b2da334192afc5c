"""Texts embedded by ONNX Runtime: the same vectors as sentence-transformers, sooner.

Questions are embedded one at a time while the user waits: on a 2-core CPU, mpnet takes
a median 90 ms per field-dev question in PyTorch and 44 ms in ONNX Runtime
(bench/question_speed.py). Passages are embedded at ingest in batches of similar length
(little padding). Both agree with PyTorch's vectors to a cosine of 0.9999 or more
(tests/test_embedder.py checks this), and a process that only uses this never imports
PyTorch.

The ONNX graph is exported from the bundled weights once, on first use (about half a
minute), and kept in ONNX Runtime's optimized form in the model cache
(``COACH_MODEL_CACHE``/onnx), under a lock so that concurrent processes export it once.
Nothing is downloaded. When the export cannot run (no ``onnx`` package, a model that
does not mean-pool, a read-only cache), questions fall back to PyTorch: slower, the same
answers.
"""

from __future__ import annotations

import fcntl
import json
import sys
import uuid
from pathlib import Path

import numpy as np

from rag.models import pooling_config

ONNX_VERSION = 1  # bump to re-export when the export below changes


class OnnxEncoder:
    """Tokenizer + ONNX transformer + mean pooling + unit length."""

    def __init__(self, model_dir: Path, graph: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL  # optimized at export
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=_max_length(model_dir))

    def encode_one(self, text: str) -> np.ndarray:
        return self._run([self._tokenizer.encode(text)])[0]

    def encode(self, texts: list[str], batch_size: int = 32, progress=None) -> np.ndarray:
        """Vectors for ``texts`` in input order; ``progress(done, total)`` after each batch."""
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # similar lengths together
        batches = []
        for start in range(0, len(order), batch_size):
            batches.append(self._run([encodings[i] for i in order[start:start + batch_size]]))
            if progress is not None:
                progress(min(start + batch_size, len(texts)), len(texts))
        in_order = np.concatenate(batches)
        out = np.empty_like(in_order)
        out[order] = in_order
        return out

    def _run(self, encodings) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, :len(encoding.ids)] = encoding.ids
            mask[row, :len(encoding.ids)] = encoding.attention_mask
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)


def onnx_encoder(model_dir: Path, cache: Path, load_torch_model) -> OnnxEncoder | None:
    """The ONNX encoder for the model in ``model_dir``, exporting it into ``cache`` first if
    needed (``load_torch_model()`` is called only then); None when that is not possible
    (the caller uses PyTorch)."""
    if not _mean_pooled(model_dir):
        return None
    try:
        import onnxruntime

        graph = cache / f"{model_dir.name}-{_fingerprint(model_dir)}-ort{onnxruntime.__version__}-v{ONNX_VERSION}.onnx"
        if not graph.is_file():
            _export(load_torch_model, graph)
        return OnnxEncoder(model_dir, graph)
    except Exception:  # no onnx package, weights not in safetensors, a read-only cache, a refused export
        return None


def _export(load_torch_model, graph: Path) -> None:
    """Export the transformer, then keep ONNX Runtime's optimized form of it (fused
    attention and layer norms), which loads in about half a second."""
    import warnings

    import onnxruntime
    import torch

    graph.parent.mkdir(parents=True, exist_ok=True)
    with open(graph.parent / ".onnx.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be exporting it right now
        if graph.is_file():
            return
        if sys.stderr.isatty():
            sys.stderr.write("Preparing the ONNX encoder (once per machine, about half a minute)…\n")
        torch_model = load_torch_model()
        transformer = torch_model[0].auto_model.eval()
        sample = torch_model.tokenizer(["a short sample question"], return_tensors="pt")
        work = graph.with_name(f".export-{uuid.uuid4().hex[:8]}.onnx")
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    transformer, (sample["input_ids"], sample["attention_mask"]), str(work),
                    input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                    dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "last_hidden_state")},
                    opset_version=17, dynamo=False,
                )
            optimized = work.with_name(f"{work.stem}-optimized.onnx")
            options = onnxruntime.SessionOptions()
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
            options.optimized_model_filepath = str(optimized)
            options.log_severity_level = 3
            onnxruntime.InferenceSession(str(work), options, providers=["CPUExecutionProvider"])
            optimized.rename(graph)
        finally:
            work.unlink(missing_ok=True)
            work.with_name(f"{work.stem}-optimized.onnx").unlink(missing_ok=True)


def _mean_pooled(model_dir: Path) -> bool:
    pooling = pooling_config(model_dir) or {}
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    return modes == ["pooling_mode_mean_tokens"] and (model_dir / "tokenizer.json").is_file()


def _max_length(model_dir: Path) -> int:
    try:
        return int(json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256


def _fingerprint(model_dir: Path) -> str:
    """Size and mtime of the weights: a changed model gets a graph of its own."""
    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    return f"{stat.st_size:x}{int(stat.st_mtime):x}"
