"""Questions embedded by PyTorch or by ONNX Runtime: speed, and that answers do not change.

    python bench/question_speed.py        # writes bench/results/question-speed-<date>.md

Passages are always embedded by PyTorch at ingest; only the question's vector is computed
differently. Both settings answer field-dev and the frozen field-test split from the same
store in the same run. Nothing (thresholds, ranker, refusal) was refitted for ONNX.
"""

from __future__ import annotations

import platform
import statistics
import time
from datetime import date

import numpy as np

from field_report import SETS, _cell, coach_metrics  # noqa: E402  (puts the project on sys.path)
from field_store import ROOT, open_store  # noqa: E402
from evals import golden  # noqa: E402

ROWS = ("hit@1", "hit@5", "mrr", "must_mention", "answer_words", "oos_refusal", "false_refusal", "citation_validity")


def question_ms(kb, questions: list[str]) -> float:
    """Median time to embed one question the process has not seen."""
    import rag.embedder as embedder_module

    kb.embedder.encode_one("warm up")
    times = []
    for q in questions:
        embedder_module._VECTORS.clear()
        started = time.perf_counter()
        kb.embedder.encode_one(q)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    import rag.embedder as embedder_module

    kb = open_store()
    timed = [item.q for item in golden.load_set("field-dev")][:60]
    results, vectors = {}, {}
    for onnx in (False, True):
        kb.embedder.onnx_questions = onnx
        embedder_module._VECTORS.clear()
        vectors[onnx] = np.stack([kb.embedder.encode_one(q) for q in timed])
        results[onnx] = ({name: coach_metrics(kb, name) for name in SETS}, question_ms(kb, timed))
    cosines = (vectors[False] * vectors[True]).sum(axis=1)
    slow, fast = results[False][1], results[True][1]
    lines = [f"# Question vectors: PyTorch vs ONNX Runtime, {date.today().isoformat()}", "",
             f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}; "
             f"model {kb.embedder.model_id}.", "",
             f"Median time to embed one new question (60 field-dev questions): PyTorch {slow:.1f} ms, "
             f"ONNX Runtime {fast:.1f} ms ({slow / fast:.2f}x faster). Cosine between the two vectors: "
             f"min {cosines.min():.6f}, median {np.median(cosines):.6f}.", ""]
    for name in SETS:
        lines += [f"## {name}", "", "| metric | PyTorch questions | ONNX questions |", "| --- | --- | --- |"]
        for row in ROWS:
            cells = (_cell(results[onnx][0][name].get(row), row == "answer_words") for onnx in (False, True))
            lines.append(f"| {row} | " + " | ".join(cells) + " |")
        lines.append("")
    text = "\n".join(lines)
    out = ROOT / "bench" / "results" / f"question-speed-{date.today().isoformat()}.md"
    out.write_text(text + "\n", encoding="utf-8")
    print(text)
    kb.close()


if __name__ == "__main__":
    main()
