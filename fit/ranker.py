"""Fit the section ranker's weights (rag/ranker_weights.json) on the field dev split.

Usage: python -m fit.ranker [--data-dir DIR]    (from the repository root)

For every in-scope dev question, the product's own retriever ranks the candidate
sections and reports each one's raw features; a linear model over the standardized
features is fitted with a listwise softmax loss (the target spreads evenly over the
expected sections) and an L2 penalty. Five-fold cross-validation, repeated three times,
estimates how the weights do on questions they were not fitted on; the final weights are
fitted on all dev questions. The test split is never read here.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from bench.harness import open_store
from evals import golden
from evals.metrics import same_section
from rag.ranker import FEATURES, WEIGHTS_FILE, standardize

L2 = 1.0


def question_matrices(kb, questions):
    """Per question: standardized section features and which sections are expected."""
    rows = []
    answerer = kb.answerer
    for item in questions:
        vector = kb.embedder.encode_one(item.q)
        kind = answerer.route(item.q)
        sections = answerer.retriever.retrieve(item.q, vector, k=5, kind=kind).sections
        raw = np.array([[s.features[f] for f in FEATURES] for s in sections], dtype=np.float64)
        relevant = np.array([any(same_section((s.chunk.source, s.chunk.section), (e.source, e.section))
                                 for e in item.expected) for s in sections])
        rows.append((standardize(raw), relevant))
    return rows


def fit(rows, l2: float = L2) -> np.ndarray:
    usable = [(x, y) for x, y in rows if y.any()]

    def loss(w):
        total, grad = 0.0, np.zeros_like(w)
        for x, y in usable:
            s = x @ w
            s = s - s.max()
            p = np.exp(s) / np.exp(s).sum()
            t = y / y.sum()
            total -= float(t @ np.log(p + 1e-12))
            grad += x.T @ (p - t)
        n = len(usable)
        return total / n + l2 * (w @ w) / (2 * n), grad / n + l2 * w / n

    return minimize(loss, np.full(len(FEATURES), 0.1), jac=True, method="L-BFGS-B").x


def metrics(rows, w) -> dict[str, float]:
    ranks = []
    for x, y in rows:
        order = np.argsort(-(x @ w))
        hit = np.flatnonzero(y[order][:10])
        ranks.append(int(hit[0]) + 1 if len(hit) else None)
    return {"hit@1": np.mean([r == 1 for r in ranks]), "hit@5": np.mean([r is not None and r <= 5 for r in ranks]),
            "mrr": np.mean([1.0 / r if r else 0.0 for r in ranks])}


def cross_validate(rows, folds: int = 5, repeats: int = 3) -> dict[str, float]:
    results = []
    for seed in range(repeats):
        order = np.random.RandomState(seed).permutation(len(rows))
        for part in np.array_split(order, folds):
            held = set(part.tolist())
            w = fit([r for i, r in enumerate(rows) if i not in held])
            results.append((metrics([rows[i] for i in part], w), len(part)))
    total = sum(n for _, n in results)
    return {k: sum(m[k] * n for m, n in results) / total for k in ("hit@1", "hit@5", "mrr")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    kb = open_store(args.data_dir)
    questions = [q for q in golden.load_set("field-dev") if q.in_scope]
    rows = question_matrices(kb, questions)
    cv = cross_validate(rows)
    w = fit(rows)
    fitted = metrics(rows, w)
    data = {
        "weights": {f: round(float(v), 4) for f, v in zip(FEATURES, w)},
        "fitted_on": f"evals/golden/field-dev.jsonl ({len(rows)} in-scope questions), {date.today()}",
        "embed_model": kb.embedder.model_id, "l2": L2,
        "cross_validated": {k: round(float(v), 3) for k, v in cv.items()},
        "on_fitting_questions": {k: round(float(v), 3) for k, v in fitted.items()},
    }
    WEIGHTS_FILE.write_text(json.dumps(data, indent=1) + "\n")
    print(json.dumps(data, indent=1))


if __name__ == "__main__":
    main()
