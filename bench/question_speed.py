"""Questions embedded by PyTorch or by ONNX Runtime: speed, and that answers do not change.

    python -m bench.question_speed        # writes bench/results/question-speed-<date>.md

Passages are always embedded by PyTorch at ingest; only the question's vector is computed
differently. Both settings answer every field question set (field-dev, field-test,
field-fresh) from the same store in the same run. Nothing (thresholds, ranker, refusal)
was refitted for ONNX.
"""

from __future__ import annotations

import statistics
from datetime import date

import numpy as np

from bench.field_report import DEV_SETS, coach_metrics, figure
from bench.harness import RESULTS, cold_seconds, forget_questions, machine, open_store, table
from evals import golden

ROWS = ("hit@1", "hit@5", "mrr", "must_mention", "answer_words", "oos_refusal", "false_refusal", "citation_validity")


def question_ms(kb, questions: list[str]) -> float:
    """Median time to embed one question the process has not seen."""
    kb.embedder.encode_one("warm up")
    return statistics.median(cold_seconds(kb.embedder.encode_one, questions)) * 1000


def main() -> None:
    kb = open_store()
    timed = [item.q for item in golden.load_set("field-dev")][:60]
    results, vectors = {}, {}
    for onnx in (False, True):
        kb.embedder.onnx = onnx
        forget_questions()
        vectors[onnx] = np.stack([kb.embedder.encode_one(q) for q in timed])
        results[onnx] = ({name: coach_metrics(kb, name) for name in DEV_SETS}, question_ms(kb, timed))
    cosines = (vectors[False] * vectors[True]).sum(axis=1)
    slow, fast = results[False][1], results[True][1]
    lines = [f"# Question vectors: PyTorch vs ONNX Runtime, {date.today().isoformat()}", "",
             f"Machine: {machine()}; model {kb.embedder.model_id}.", "",
             f"Median time to embed one new question (60 field-dev questions): PyTorch {slow:.1f} ms, "
             f"ONNX Runtime {fast:.1f} ms ({slow / fast:.2f}x faster). Cosine between the two vectors: "
             f"min {cosines.min():.6f}, median {np.median(cosines):.6f}.", ""]
    for name in DEV_SETS:
        lines += [f"## {name}", "",
                  *table(("metric", "PyTorch questions", "ONNX questions"),
                         ((metric, *(figure(results[onnx][0][name], metric) for onnx in (False, True)))
                          for metric in ROWS)),
                  ""]
    text = "\n".join(lines)
    out = RESULTS / f"question-speed-{date.today().isoformat()}.md"
    out.write_text(text + "\n", encoding="utf-8")
    print(text)
    kb.close()


if __name__ == "__main__":
    main()
