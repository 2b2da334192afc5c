"""Passages embedded by PyTorch or by ONNX Runtime at ingest: the vectors agree, and the
answers on the read question sets do not change.

    python -m bench.passage_vectors     # writes bench/results/passage-vectors-<date>.md

Two stores of knowledge/ are built in the same run, one with every passage through
PyTorch (sentence-transformers) and one through ONNX Runtime, neither using the vector
cache. Questions go through ONNX Runtime in both, so only the passages differ. Reported
on field-dev and field-test (both read while tuning); the frozen field-fresh is left
unscored on purpose.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import numpy as np

import rag.embedder
from bench.field_report import coach_metrics, figure
from bench.harness import RESULTS, ROOT, machine, stopwatch, table
from coach.knowledge_base import KnowledgeBase
from core.settings import Settings
from rag.embedder import Embedder

SETS = ("field-dev", "field-test")
ROWS = ("hit@1", "hit@5", "mrr", "must_mention", "answer_words", "oos_refusal", "false_refusal", "citation_validity")


def build(folder: Path, onnx: bool) -> tuple[KnowledgeBase, float]:
    rag.embedder._VECTORS.clear()  # nothing carried over from the other store
    kb = KnowledgeBase(Settings.from_env(folder, env={}), embedder=Embedder(onnx=onnx, shared_cache=False))
    took: list[float] = []
    with stopwatch(took):
        kb.ingest([ROOT / "knowledge"])
    kb.embedder.onnx = True  # questions the same way in both
    rag.embedder._VECTORS.clear()
    return kb, took[0]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="coach-passages-") as tmp:
        torch_kb, torch_seconds = build(Path(tmp) / "torch", onnx=False)
        onnx_kb, onnx_seconds = build(Path(tmp) / "onnx", onnx=True)
        ids = sorted(torch_kb.docstore.chunk_ids())
        a, b = torch_kb.docstore.chunk_vectors(ids), onnx_kb.docstore.chunk_vectors(ids)
        cosines = np.array([float(a[i] @ b[i]) for i in ids])
        results = {}
        for name, kb in (("PyTorch", torch_kb), ("ONNX Runtime", onnx_kb)):
            results[name] = {s: coach_metrics(kb, s) for s in SETS}
            rag.embedder._VECTORS.clear()
        embedded = onnx_kb.embedder.embedded
        torch_kb.close()
        onnx_kb.close()
    lines = [f"# Passage vectors: PyTorch vs ONNX Runtime at ingest, {date.today().isoformat()}", "",
             f"Machine: {machine()}. Ingest of knowledge/ ({embedded} texts, vector cache off): PyTorch "
             f"{torch_seconds:.1f} s, ONNX Runtime {onnx_seconds:.1f} s (model loads and, for ONNX, a graph "
             f"already exported on this machine). Cosine between the two vectors of each of {len(ids)} chunks: "
             f"min {cosines.min():.6f}, median {np.median(cosines):.6f}.", ""]
    for name in SETS:
        lines += [f"## {name}", "", *table(("metric", "PyTorch passages", "ONNX passages"),
                                           ((m, figure(results["PyTorch"][name], m), figure(results["ONNX Runtime"][name], m))
                                            for m in ROWS)), ""]
    text = "\n".join(lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"passage-vectors-{date.today().isoformat()}.md").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
