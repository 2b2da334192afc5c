"""Calibrate the refusal model (rag/refusal.json) on the field dev questions, then report test.

Usage: python -m fit.refusal [--data-dir DIR] [--dev-only]    (from the repository root)

Dev is field-dev plus field-test (round 1's test split, retired into dev on 2026-12-03);
test is field-fresh (round 2, frozen).

1. For every dev question (in scope and out of scope) the product's own search
   gives the support features (best sentence, best passage, nearest not-covered example).
2. A logistic regression (question is out of scope) is fitted on them; five-fold
   cross-validated probabilities give the dev curve of refusal rate and false-refusal
   rate against the threshold.
3. The threshold is the one that refuses the most out-of-scope dev questions while
   refusing at most ``MAX_FALSE_REFUSAL`` of the in-scope ones (cross-validated), then
   the model is refitted on all dev questions and written out, before the test split is
   read.
4. Unless ``--dev-only``, the test split is scored once with the written model; both curves are plotted into
   bench/results/refusal-curve-<date>.png and the figures printed.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from bench.harness import RESULTS, open_store
from evals import golden
from rag import grounding

MAX_FALSE_REFUSAL = 0.03
DEV_SETS = ("field-dev", "field-test")
TEST_SET = "field-fresh"
C = 10.0
MODELS = {"with_scope": ("best_unit", "dense", "out_of_scope"), "without_scope": ("best_unit", "dense")}
THRESHOLDS = np.round(np.arange(0.02, 0.99, 0.01), 2)


def features(kb, questions) -> tuple[dict[str, np.ndarray], np.ndarray]:
    values = {name: [] for name in ("best_unit", "dense", "out_of_scope")}
    for item in questions:
        found = kb.answerer.search(item.q).support
        values["best_unit"].append(found.best_unit)
        values["dense"].append(found.dense)
        values["out_of_scope"].append(found.out_of_scope)
    labels = np.array([0 if q.in_scope else 1 for q in questions])
    return {k: np.array(v, dtype=float) for k, v in values.items()}, labels


def cross_validated(x, y, repeats: int = 5) -> np.ndarray:
    p = np.zeros(len(y))
    for seed in range(repeats):
        for train, held in StratifiedKFold(5, shuffle=True, random_state=seed).split(x, y):
            p[held] += LogisticRegression(C=C).fit(x[train], y[train]).predict_proba(x[held])[:, 1] / repeats
    return p


def curve(p, y):
    """(threshold, share of out-of-scope refused, share of in-scope refused) per threshold."""
    return [(t, float(np.mean(p[y == 1] >= t)), float(np.mean(p[y == 0] >= t))) for t in THRESHOLDS]


def choose(points) -> float:
    allowed = [pt for pt in points if pt[2] <= MAX_FALSE_REFUSAL]
    best = max(allowed, key=lambda pt: (pt[1], -pt[2], -pt[0]))
    return best[0]


def probabilities(model: grounding.RefusalModel, values, n) -> np.ndarray:
    return np.array([model.probability({f: values[f][i] for f in model.features}) for i in range(n)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--dev-only", action="store_true", help="fit and print the dev curve; leave test unread")
    args = parser.parse_args()
    kb = open_store(args.data_dir)
    dev = [q for name in DEV_SETS for q in golden.load_set(name)]
    values, y = features(kb, dev)
    out, curves = {"models": {}}, {}
    for name, cols in MODELS.items():
        x = np.stack([values[c] for c in cols], axis=1)
        points = curve(cross_validated(x, y), y)
        threshold = choose(points)
        lr = LogisticRegression(C=C).fit(x, y)
        out["models"][name] = {"features": list(cols), "weights": [round(float(w), 4) for w in lr.coef_[0]],
                               "intercept": round(float(lr.intercept_[0]), 4), "threshold": threshold}
        curves[name] = points
    out["fitted_on"] = (f"evals/golden/{' + '.join(f'{n}.jsonl' for n in DEV_SETS)} ({int((y == 0).sum())} in scope, "
                        f"{int(y.sum())} out), {date.today()}")
    out["rule"] = f"threshold: most out-of-scope dev questions refused with at most {MAX_FALSE_REFUSAL:.0%} " \
                  "in-scope dev questions refused (5-fold cross-validated probabilities)"
    grounding.CALIBRATION_FILE.write_text(json.dumps(out, indent=1) + "\n")
    grounding.calibration.cache_clear()
    if args.dev_only:
        for name in MODELS:
            t = out["models"][name]["threshold"]
            refused, false = dict((p[0], p[1:]) for p in curves[name])[t]
            print(f"{name} (threshold {t}): dev (cross-validated) refused {refused:.3f} of out-of-scope, "
                  f"{false:.3f} of in-scope")
        return
    # only now, with the model written, is the test split scored
    test = golden.load_set(TEST_SET)
    test_values, test_y = features(kb, test)
    report = [f"# Refusal calibration, {date.today()}", "", out["rule"], ""]
    for name, cols in MODELS.items():
        model = grounding.calibration()[name]
        dev_t = dict((t, (r, f)) for t, r, f in curves[name])[model.threshold]
        test_points = curve(probabilities(model, test_values, len(test)), test_y)
        test_t = dict((t, (r, f)) for t, r, f in test_points)[model.threshold]
        report.append(f"- {name} (threshold {model.threshold}): dev (cross-validated) refused "
                      f"{dev_t[0]:.3f} of out-of-scope, {dev_t[1]:.3f} of in-scope; test refused "
                      f"{test_t[0]:.3f} of out-of-scope, {test_t[1]:.3f} of in-scope")
        curves[f"{name} test"] = test_points
    plot(curves, RESULTS / f"refusal-curve-{date.today()}.png")
    text = "\n".join(report) + "\n"
    (RESULTS / f"refusal-{date.today()}.md").write_text(text)
    print(text)


def plot(curves, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, name in zip(axes, MODELS):
        model = grounding.calibration()[name]
        for label, style in ((name, "-"), (f"{name} test", "--")):
            t, refused, false = zip(*curves[label])
            split = "test" if label.endswith("test") else "dev (cross-validated)"
            ax.plot(t, refused, style, color="tab:blue", label=f"out-of-scope refused, {split}")
            ax.plot(t, false, style, color="tab:red", label=f"in-scope refused, {split}")
        ax.axvline(model.threshold, color="grey", lw=0.8)
        ax.set_title(f"{name.replace('_', ' ')} (threshold {model.threshold})")
        ax.set_xlabel("refusal threshold (probability out of scope)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of questions refused")
    axes[0].legend(fontsize=7, loc="center left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
