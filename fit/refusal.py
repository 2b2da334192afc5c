"""Calibrate the refusal model (rag/refusal.json) on the dev questions, choosing its two
thresholds by the cost of each error.

Usage: python -m fit.refusal [--data-dir DIR] [--score-test]    (from the repository root)

Dev is every question file already read (``DEV_FILES``): dev.jsonl, field-dev, field-test
(round 1's test split, retired into dev on 2026-12-03), objections-dev, and issue 23's three
test splits, scored once each on 2026-12-07 (objections-fresh, reps-fresh, floor-talk-fresh).
next-round-fresh, written after them, is never read here. Test is
field-fresh (round 2, frozen): scored only with ``--score-test``, once, when every choice
is final.

1. For every dev question (in scope and out of scope) the product's own search gives the
   support features (best sentence, best passage, nearest not-covered example, nearest
   covered example: ``rag.grounding``).
2. A logistic regression (question is out of scope) is fitted on them per model
   (``MODELS``: with the covered examples, with the not-covered ones only, without a
   scope); five-fold cross-validated probabilities (five repeats, fixed seeds) stand for
   unseen questions.
3. Two thresholds split the probability three ways: a strong answer, a weak-match answer
   (the closest sections, marked) and a refusal. They are the pair that minimises the
   total cost of the outcomes on the cross-validated dev probabilities (``COSTS``):

   | question      | refused | weak-match answer | strong answer |
   | ------------- | ------- | ----------------- | ------------- |
   | in scope      | 5       | 0.5               | 0             |
   | out of scope  | 0       | 1                 | 3             |

   A refused real question teaches a rep not to ask, so it costs five times an
   out-of-scope question answered with the closest sections under a plain "the playbooks
   do not address this directly". An out-of-scope question answered as if the playbooks
   covered it misleads (3); a real question marked weak still gets its answer, with less
   trust (0.5). Ties go to fewer refused real questions.
4. The model is refitted on all dev questions and written out, with the costs, the rule
   and the cross-validated dev figures.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import numpy as np

from evals import golden
from rag import grounding

# (sklearn and the bench store are imported where they are used: the cost arithmetic below is
# imported by the fast tests and by bench.refusal_costs)
# every dev question file: the refusal costs are measured and the thresholds chosen on these
DEV_FILES = {"dev": "evals/golden/dev.jsonl", "field-dev": "evals/golden/field-dev.jsonl",
             "field-test": "evals/golden/field-test.jsonl", "objections-dev": "evals/golden/objections-dev.jsonl",
             # the test splits of issue 23, each scored once on 2026-12-07 and seen since: dev now
             "objections-fresh": "evals/golden/objections-fresh.jsonl", "reps-fresh": "evals/golden/reps-fresh.jsonl",
             "floor-talk-fresh": "evals/golden/floor-talk-fresh.jsonl"}
TEST_SET = "field-fresh"
# (question in scope or out, outcome) -> cost; see the module docstring
COSTS = {("in", "strong"): 0.0, ("in", "weak"): 0.5, ("in", "refused"): 5.0,
         ("out", "strong"): 3.0, ("out", "weak"): 1.0, ("out", "refused"): 0.0}
C = 10.0
MODELS = {"with_scope": ("best_unit", "dense", "out_of_scope", "in_scope"),
          "not_covered_only": ("best_unit", "dense", "out_of_scope"),
          "without_scope": ("best_unit", "dense")}
THRESHOLDS = np.round(np.arange(0.02, 1.0, 0.01), 2)


def load_dev() -> list[tuple[str, golden.GoldenQuestion]]:
    """(file name, question) for every reviewed question of the dev files."""
    out = []
    for name in DEV_FILES:
        if name in golden.SETS:
            out += [(name, q) for q in golden.load_set(name)]
        else:  # objections-dev: same schema, not one of the eval command's sets
            path = golden.GOLDEN_DIR / f"{name}.jsonl"
            rows = golden.read_objects(path, "restore it from git")
            out += [(name, golden._question(path, n, row)) for n, row in rows]
    return [(name, q) for name, q in out if not q.needs_review]


def features(kb, questions) -> tuple[dict[str, np.ndarray], np.ndarray]:
    values = {name: [] for name in ("best_unit", "dense", "out_of_scope", "in_scope")}
    for item in questions:
        found = kb.answerer.search(item.q).support
        for name in values:
            values[name].append(getattr(found, name))
    labels = np.array([0 if q.in_scope else 1 for q in questions])
    return {k: np.array(v, dtype=float) for k, v in values.items()}, labels


def cross_validated(x, y, repeats: int = 5) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    p = np.zeros(len(y))
    for seed in range(repeats):
        for train, held in StratifiedKFold(5, shuffle=True, random_state=seed).split(x, y):
            p[held] += LogisticRegression(C=C).fit(x[train], y[train]).predict_proba(x[held])[:, 1] / repeats
    return p


def outcomes(p: np.ndarray, weak: float, refuse: float) -> np.ndarray:
    return np.where(p >= refuse, "refused", np.where(p >= weak, "weak", "strong"))


def cost(p, y, weak: float, refuse: float) -> float:
    done = outcomes(p, weak, refuse)
    return float(sum(COSTS[("out" if label else "in", str(o))] for label, o in zip(y, done)))


def rates(p, y, weak: float, refuse: float) -> dict[str, float]:
    done = outcomes(p, weak, refuse)
    inside, outside = done[y == 0], done[y == 1]
    return {"false_refusals": float(np.mean(inside == "refused")), "in_scope_weak": float(np.mean(inside == "weak")),
            "oos_refused": float(np.mean(outside == "refused")), "oos_weak": float(np.mean(outside == "weak")),
            "oos_strong": float(np.mean(outside == "strong")), "cost": cost(p, y, weak, refuse),
            "cost_per_question": cost(p, y, weak, refuse) / len(y)}


def choose(p, y) -> tuple[float, float]:
    """The (weak, refuse) thresholds of least total cost; ties: fewer refused real
    questions, then fewer real questions marked weak, then the middle of what is left."""
    scored = []
    for refuse in THRESHOLDS:
        for weak in THRESHOLDS[THRESHOLDS <= refuse]:
            r = rates(p, y, weak, refuse)
            scored.append(((round(r["cost"], 6), r["false_refusals"], r["in_scope_weak"]), float(weak), float(refuse)))
    best = min(s[0] for s in scored)
    tied = sorted((w, t) for key, w, t in scored if key == best)
    return tied[len(tied) // 2]


def probabilities(model: grounding.RefusalModel, values, n) -> np.ndarray:
    return np.array([model.probability({f: values[f][i] for f in model.features}) for i in range(n)])


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    from bench.harness import open_store

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--score-test", action="store_true",
                        help=f"then score the frozen {TEST_SET} once with the written model (only when every choice is final)")
    parser.add_argument("--dev-only", action="store_true", help="(the default; kept for old command lines)")
    args = parser.parse_args()
    kb = open_store(args.data_dir)
    dev = [q for _, q in load_dev()]
    values, y = features(kb, dev)
    out = {"models": {}}
    for name, cols in MODELS.items():
        x = np.stack([values[c] for c in cols], axis=1)
        p = cross_validated(x, y)
        weak, refuse = choose(p, y)
        lr = LogisticRegression(C=C).fit(x, y)
        out["models"][name] = {"features": list(cols), "weights": [round(float(w), 4) for w in lr.coef_[0]],
                               "intercept": round(float(lr.intercept_[0]), 4), "threshold": refuse,
                               "weak_threshold": weak,
                               "cross_validated": {k: round(v, 4) for k, v in rates(p, y, weak, refuse).items()}}
    out["costs"] = {f"{scope} scope, {outcome}": c for (scope, outcome), c in COSTS.items()}
    out["fitted_on"] = (f"{' + '.join(DEV_FILES.values())} ({int((y == 0).sum())} in scope, "
                        f"{int(y.sum())} out), {date.today()}")
    out["rule"] = ("refuse at or above threshold, a weak-match answer from weak_threshold up to it, a strong answer "
                   "below: the pair of least total cost (costs) on 5-fold cross-validated dev probabilities")
    grounding.CALIBRATION_FILE.write_text(json.dumps(out, indent=1) + "\n")
    grounding.calibration.cache_clear()
    for name, m in out["models"].items():
        cv = m["cross_validated"]
        print(f"{name} (weak from {m['weak_threshold']}, refused from {m['threshold']}): dev (cross-validated) "
              f"false refusals {cv['false_refusals']:.3f}, in-scope weak {cv['in_scope_weak']:.3f}; out of scope "
              f"refused {cv['oos_refused']:.3f}, weak {cv['oos_weak']:.3f}, strong {cv['oos_strong']:.3f}; "
              f"cost per question {cv['cost_per_question']:.3f}")
    if args.score_test:
        score_test(kb)


def score_test(kb) -> None:
    """The frozen test split, once, with the written model."""
    from bench.harness import RESULTS
    test = golden.load_set(TEST_SET)
    values, y = features(kb, test)
    lines = [f"# Refusal on {TEST_SET}, {date.today()}", ""]
    for name in MODELS:
        model = grounding.calibration()[name]
        r = rates(probabilities(model, values, len(test)), y, model.weak_threshold, model.threshold)
        lines.append(f"- {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in r.items()))
    text = "\n".join(lines) + "\n"
    (RESULTS / f"refusal-{date.today()}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
