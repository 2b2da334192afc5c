"""Refusal features compared by cross-validated cost on the dev questions.

Usage: python -m bench.refusal_candidates [--data-dir DIR] [--out FILE]   (from the repository root)

Every dev question of ``fit.refusal.DEV_FILES`` (in scope and out of scope) gets the
shipped support features (``rag.grounding``) plus two from the questions already asked:

- ``asked_in``: cosine to the nearest in-scope dev question (another text);
- ``asked_out``: cosine to the nearest out-of-scope dev question (another text).

In each cross-validation fold both come from the training fold's questions only, as a new
question would see them. A second protocol leaves one question file out at a time (a new
writer's questions): fitted, and asked questions taken, from the other files only. Each candidate feature set is a logistic model; its two thresholds
are chosen by least total cost (``fit.refusal.COSTS``) on the cross-validated probabilities,
then the rates at those thresholds are reported. The thresholds are chosen on the same
probabilities they are reported on, so every candidate is equally optimistic; compare the
candidates, not the absolute figures. The frozen test splits are never read.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import numpy as np

from bench.harness import RESULTS, machine, open_store
from evals.golden import question_key
from fit.refusal import C, Asked, choose, design, load_dev, rates

BASE = ("best_unit", "dense", "out_of_scope", "in_scope")
CANDIDATES = {
    "shipped features": BASE,
    "+ asked_in": (*BASE, "asked_in"),
    "+ asked_out": (*BASE, "asked_out"),
    "+ asked_in, asked_out": (*BASE, "asked_in", "asked_out"),
    "+ asked margin": (*BASE, "asked_margin"),
}


def asked_features(asked: Asked, pool: np.ndarray) -> dict[str, np.ndarray]:
    """``asked_in`` and ``asked_out`` from the dev questions in ``pool``, and their margin."""
    columns = asked.within(pool)
    return columns | {"asked_margin": columns["asked_out"] - columns["asked_in"]}


def left_file_out(values, asked: Asked, y, cols, files: np.ndarray) -> np.ndarray:
    """Probabilities for each file's questions from a model fitted on the other files, its
    asked questions taken from the other files only: as a new writer's questions would fare."""
    from sklearn.linear_model import LogisticRegression

    p = np.zeros(len(y))
    for name in np.unique(files):
        held = files == name
        x = design(values, cols, asked_features(asked, ~held))
        p[held] = LogisticRegression(C=C, max_iter=1000).fit(x[~held], y[~held]).predict_proba(x[held])[:, 1]
    return p


def cross_validated(values, asked: Asked, y, cols, groups, repeats: int = 5) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold

    p = np.zeros(len(y))
    for seed in range(repeats):
        for train, held in StratifiedGroupKFold(5, shuffle=True, random_state=seed).split(y, y, groups):
            pool = np.zeros(len(y), dtype=bool)
            pool[train] = True
            x = design(values, cols, asked_features(asked, pool))
            model = LogisticRegression(C=C, max_iter=1000).fit(x[train], y[train])
            p[held] += model.predict_proba(x[held])[:, 1] / repeats
    return p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--out", type=Path, default=RESULTS / f"refusal-candidates-{date.today()}.md")
    args = parser.parse_args()
    kb = open_store(args.data_dir)
    dev = [q for _, q in load_dev()]
    names = [name for name, _ in load_dev()]
    values = {f: [] for f in BASE}
    for item in dev:
        found = kb.answerer.search(item.q).support
        for f in BASE:
            values[f].append(getattr(found, f))
    values = {f: np.array(v, dtype=float) for f, v in values.items()}
    vectors = kb.embedder.encode([q.q for q in dev])
    kb.close()
    y = np.array([0 if q.in_scope else 1 for q in dev])
    texts = [question_key(q.q) for q in dev]
    groups = np.unique(texts, return_inverse=True)[1]
    asked = Asked(vectors @ vectors.T, y == 0, texts, texts)  # the dev questions are the questions asked before
    lines = [f"# Refusal candidates on the dev questions, {date.today()}", "",
             f"Machine: {machine()}. Dev: {len(y) - int(y.sum())} in scope, {int(y.sum())} out of scope "
             f"({', '.join(sorted(set(names)))}). Protocols: 5-fold cross-validation grouped by question text (5 repeats), and one question file left out at a time.", "",
             "| candidate | protocol | weak from | refused from | false refusals | in-scope weak | oos refused "
             "| oos weak | oos strong | cost per question |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    files = np.array(names)
    for label, cols in CANDIDATES.items():
        for protocol, p in (("grouped 5-fold", cross_validated(values, asked, y, cols, groups)),
                            ("leave one file out", left_file_out(values, asked, y, cols, files))):
            weak, refuse = choose(p, y)
            r = rates(p, y, weak, refuse)
            lines.append(f"| {label} | {protocol} | {weak:.2f} | {refuse:.2f} | {r['false_refusals']:.3f} "
                         f"| {r['in_scope_weak']:.3f} "
                         f"| {r['oos_refused']:.3f} | {r['oos_weak']:.3f} | {r['oos_strong']:.3f} "
                         f"| {r['cost_per_question']:.3f} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
