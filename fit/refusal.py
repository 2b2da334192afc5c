"""Calibrate the refusal model (rag/refusal.json) on the dev questions, choosing its two
thresholds by the cost of each error.

Usage: python -m fit.refusal [--data-dir DIR] [--score-test]    (from the repository root)

Dev is every question file already read (``DEV_FILES``): dev.jsonl, field-dev, field-test
(round 1's test split, retired into dev on 2026-12-03), objections-dev, field-fresh, and
issue 23's four test splits, each scored once on 2026-12-07 and read since
(objections-fresh, reps-fresh, floor-talk-fresh, next-round-fresh). Test is sellers-fresh
(frozen, written blind): scored only with ``--score-test``, once, when every choice is
final.

1. For every dev question (in scope and out of scope) the product's own search gives the
   support features (best sentence, best passage, nearest not-covered example, nearest
   covered example: ``rag.grounding``), and the questions asked before
   (``rag.answered``, written by ``fit/ranker.py``: run that first) give two more: the
   closest answered and the closest not-covered question. A question never finds its own
   text there, and in cross-validation never a text of its held-out fold.
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
from dataclasses import dataclass
from datetime import date
from functools import cached_property
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
             "floor-talk-fresh": "evals/golden/floor-talk-fresh.jsonl",
             # field-fresh (round 2's test, reported since 2026-12-03) and next-round-fresh (scored once on 2026-12-07)
             "field-fresh": "evals/golden/field-fresh.jsonl", "next-round-fresh": "evals/golden/next-round-fresh.jsonl"}
TEST_SET = "sellers-fresh"
# (question in scope or out, outcome) -> cost; see the module docstring
COSTS = {("in", "strong"): 0.0, ("in", "weak"): 0.5, ("in", "refused"): 5.0,
         ("out", "strong"): 3.0, ("out", "weak"): 1.0, ("out", "refused"): 0.0}
C = 10.0
MODELS = {"with_asked": ("best_unit", "dense", "out_of_scope", "in_scope", "asked_in", "asked_out"),
          "with_scope": ("best_unit", "dense", "out_of_scope", "in_scope"),
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


@dataclass(frozen=True)
class Asked:
    """The questions asked before as the fit sees them: the similarity of every dev
    question to every asked question, which asked ones were covered, and each side's text."""
    similarity: np.ndarray  # dev question x asked question
    covered: np.ndarray
    dev_texts: list[str]
    asked_texts: list[str]

    @cached_property
    def own(self) -> np.ndarray:
        """dev question x asked question: the same text."""
        return np.array(self.dev_texts)[:, None] == np.array(self.asked_texts)[None, :]

    def columns(self, excluded: set[str] = frozenset()) -> dict[str, np.ndarray]:
        """``asked_in`` and ``asked_out`` per dev question, never from its own text nor from ``excluded``."""
        return self.within(np.array([t not in excluded for t in self.asked_texts], dtype=bool))

    def within(self, usable: np.ndarray) -> dict[str, np.ndarray]:
        """The same, from the asked questions marked ``usable`` only (never the question's own text)."""
        allowed = usable[None, :] & ~self.own
        inside = np.where(allowed & self.covered[None, :], self.similarity, -1.0).max(axis=1, initial=-1.0)
        outside = np.where(allowed & ~self.covered[None, :], self.similarity, -1.0).max(axis=1, initial=-1.0)
        return {"asked_in": inside, "asked_out": outside}


def features(kb, questions) -> tuple[dict[str, np.ndarray], np.ndarray, Asked]:
    values = {name: [] for name in ("best_unit", "dense", "out_of_scope", "in_scope")}
    for item in questions:
        found = kb.answerer.search(item.q).support
        for name in values:
            values[name].append(getattr(found, name))
    labels = np.array([0 if q.in_scope else 1 for q in questions])
    index = kb.answerer.retriever.answered
    vectors = kb.embedder.encode([q.q for q in questions])
    asked = Asked(vectors @ index.vectors().T, np.array([q.covered for q in index.questions], dtype=bool),
                  [golden.question_key(q.q) for q in questions], [golden.question_key(q.text) for q in index.questions])
    return {k: np.array(v, dtype=float) for k, v in values.items()}, labels, asked


def design(values, cols, asked: dict[str, np.ndarray]) -> np.ndarray:
    """The model's columns, in order: a support feature from ``values``, an asked one from ``asked``."""
    return np.stack([asked[c] if c in asked else values[c] for c in cols], axis=1)


def cross_validated(values, asked: Asked, cols, y, repeats: int = 5) -> np.ndarray:
    """Out-of-fold probabilities, folds grouped by question text; the asked questions of a
    held-out fold's texts are out of reach of every question while that fold is held out."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold

    groups = np.unique(asked.dev_texts, return_inverse=True)[1]
    p = np.zeros(len(y))
    for seed in range(repeats):
        for train, held in StratifiedGroupKFold(5, shuffle=True, random_state=seed).split(y, y, groups):
            x = design(values, cols, asked.columns({asked.dev_texts[i] for i in held}))
            p[held] += LogisticRegression(C=C, max_iter=1000).fit(x[train], y[train]).predict_proba(x[held])[:, 1] / repeats
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
    values, y, asked = features(kb, dev)
    out = {"models": {}}
    for name, cols in MODELS.items():
        p = cross_validated(values, asked, cols, y)
        weak, refuse = choose(p, y)
        lr = LogisticRegression(C=C, max_iter=1000).fit(design(values, cols, asked.columns()), y)
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
    values, y, asked = features(kb, test)
    values.update(asked.columns())
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
