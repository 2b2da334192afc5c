"""Fit the section ranker (rag/ranker_weights.json, rag/answered_questions.json) on every dev question.

Usage: python -m fit.ranker [--data-dir DIR]    (from the repository root)

For every in-scope question of the dev files (``DEV_FILES``), the product's own retriever
ranks the candidate sections and reports each one's raw features. The ranker is linear
over the standardized features plus one standardized indicator per playbook section (the
section's prior, ``rag.ranker.section_bias``) and one column of votes from the questions
already answered (``rag.answered``: the ``k`` nearest dev questions vote for their expected
sections). A question never votes for itself: its votes come from the other question
texts, and in cross-validation from the training folds only. The model is fitted with a
listwise softmax loss (the target spreads evenly over the expected sections) and an L2
penalty. ``k`` and the penalty are chosen from ``K_GRID`` x ``L2_GRID`` by 5-fold
cross-validation repeated three times, with folds grouped by question text; the same
folds report how the chosen fit does on questions it was not fitted on. The final model
is fitted on all dev questions, which also become the shipped answered questions. The
frozen test splits are never read here.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from bench.harness import open_store
from evals import golden
from evals.metrics import same_section
from rag.answered import ANSWERED_FILE, SHIPPED_VECTORS, AnsweredQuestion, section_votes, vectors_key
from rag.ranker import FEATURES, WEIGHTS_FILE, prior_columns, standardize

DEV_FILES = ("field-dev", "field-test", "objections-dev",
             # issue 23's test splits, each scored once on 2026-12-07 and read since: dev now
             "field-fresh", "objections-fresh", "reps-fresh", "floor-talk-fresh", "next-round-fresh")
L2_GRID = (0.1, 1.0, 10.0, 100.0)
K_GRID = (5, 10, 20)
FOLDS, REPEATS = 5, 3


@dataclass(frozen=True)
class Row:
    sections: list[str]  # heading paths, in the retriever's order
    features: np.ndarray  # (sections, len(FEATURES)), standardized
    relevant: np.ndarray  # (sections,) bool
    group: str  # the question text, case and spaces folded
    vector: np.ndarray  # the question's, as the product encodes it
    answered: AnsweredQuestion  # the question and its expected sections, as shipped


def question_rows(kb, questions) -> tuple[list[Row], list[str]]:
    """Per question: its sections' standardized features and which are expected; and every
    playbook section seen among the candidates (the priors to fit)."""
    rows, known = [], {}
    answerer = kb.answerer
    for item in questions:
        vector = kb.embedder.encode_one(item.q)
        kind = answerer.route(item.q)
        sections = answerer.retriever.retrieve(item.q, vector, k=5, kind=kind).sections
        raw = np.array([[s.features[f] for f in FEATURES] for s in sections], dtype=np.float64)
        relevant = np.array([any(same_section((s.chunk.source, s.chunk.section), (e.source, e.section))
                                 for e in item.expected) for s in sections])
        known.update((s.chunk.section, True) for s in sections if s.chunk.kind == "playbook")
        rows.append(Row([s.chunk.section for s in sections], standardize(raw), relevant,
                        golden.question_key(item.q), vector,
                        AnsweredQuestion(item.q, tuple(dict.fromkeys(e.section for e in item.expected)))))
    return rows, sorted(known)


def design(rows: list[Row], known: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features | section priors, relevant) per question (the questions with an expected section)."""
    return [(np.hstack([r.features, prior_columns(r.sections, known)]), r.relevant) for r in rows]


def with_votes(data, rows: list[Row], answered_vectors: np.ndarray, pool: np.ndarray, k: int):
    """``data`` with the answered-question vote column appended, the votes of each question
    coming from the questions of ``pool`` (indices into ``rows``) with another text."""
    groups = np.array([r.group for r in rows])
    questions = tuple(r.answered for r in rows)
    out = []
    for i, ((x, y), row) in enumerate(zip(data, rows)):
        voters = pool[groups[pool] != groups[i]]
        votes = section_votes(row.vector, answered_vectors[voters], tuple(questions[j] for j in voters), row.sections, k)
        out.append((np.hstack([x, standardize(votes[:, None])]), y))
    return out


def fit(data, l2: float) -> np.ndarray:
    def loss(w):
        total, grad = 0.0, np.zeros_like(w)
        for x, y in data:
            s = x @ w
            s = s - s.max()
            p = np.exp(s) / np.exp(s).sum()
            t = y / y.sum()
            total -= float(t @ np.log(p + 1e-12))
            grad += x.T @ (p - t)
        n = len(data)
        return total / n + l2 * (w @ w) / (2 * n), grad / n + l2 * w / n

    start = np.zeros(data[0][0].shape[1])
    start[: len(FEATURES)] = 0.1
    return minimize(loss, start, jac=True, method="L-BFGS-B").x


def ranks(data, w) -> list[int | None]:
    out = []
    for x, y in data:
        order = np.argsort(-(x @ w), kind="stable")
        hit = np.flatnonzero(y[order][:10])
        out.append(int(hit[0]) + 1 if len(hit) else None)
    return out


def summary(found: list[int | None]) -> dict[str, float]:
    return {"hit@1": float(np.mean([r == 1 for r in found])),
            "hit@5": float(np.mean([r is not None and r <= 5 for r in found])),
            "mrr": float(np.mean([1.0 / r if r else 0.0 for r in found]))}


def cross_validate(data, rows: list[Row], answered_vectors: np.ndarray) -> dict[tuple[int, float], dict[str, float]]:
    """Out-of-fold metrics of every (k, L2), folds grouped by question text, pooled over the
    repeats; the votes of every question come from the training folds only."""
    groups = [r.group for r in rows]
    names = sorted(set(groups))
    found: dict[tuple[int, float], list[int | None]] = {(k, l2): [] for k in K_GRID for l2 in L2_GRID}
    for seed in range(REPEATS):
        order = np.random.RandomState(seed).permutation(len(names))
        for part in np.array_split(order, FOLDS):
            held_groups = {names[i] for i in part}
            held = [i for i, g in enumerate(groups) if g in held_groups]
            train = np.array([i for i, g in enumerate(groups) if g not in held_groups])
            for k in K_GRID:
                voted = with_votes(data, rows, answered_vectors, train, k)
                for l2 in L2_GRID:
                    found[(k, l2)] += ranks([voted[i] for i in held], fit([voted[i] for i in train], l2))
    return {choice: summary(r) for choice, r in found.items()}


def not_covered_questions() -> list[str]:
    """The out-of-scope questions of the dev files, each text once, in file order."""
    seen: dict[str, str] = {}
    for name in DEV_FILES:
        for q in golden.load_set(name):
            if not q.in_scope:
                seen.setdefault(golden.question_key(q.q), q.q)
    return list(seen.values())


def write_asked(model_id: str | None, answered: list[AnsweredQuestion], answered_vectors: np.ndarray,
                declined: list[str], declined_vectors: np.ndarray, fitted_on: str) -> None:
    """The questions asked before (``rag.answered``): the answered ones with their sections,
    then the ones the playbooks do not cover (no sections), and their vectors."""
    ANSWERED_FILE.write_text(json.dumps({
        "about": ("Questions asked before, read by rag/answered.py; written by fit/ranker.py. The in-scope dev "
                  "questions with the playbook sections that answer them, then the dev questions the playbooks do "
                  "not cover (no sections: they never vote, the refusal check compares with them)."),
        "fitted_on": f"{fitted_on}; and {len(declined)} out-of-scope questions of the same files",
        "questions": [{"q": a.text, "sections": list(a.sections)} for a in answered]
                     + [{"q": text, "sections": []} for text in declined],
    }, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    texts = [a.text for a in answered] + declined
    vectors = np.concatenate([answered_vectors, declined_vectors]) if declined else answered_vectors
    with SHIPPED_VECTORS.open("wb") as shipped:  # float16: a new store of the bundled model embeds none of them
        np.savez_compressed(shipped, key=np.array(vectors_key(model_id, texts)), vectors=vectors.astype(np.float16))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    kb = open_store(args.data_dir)
    questions = [q for name in DEV_FILES for q in golden.load_set(name) if q.in_scope]
    rows, known = question_rows(kb, questions)
    rows = [r for r in rows if r.relevant.any()]
    answered_vectors = kb.embedder.encode([r.answered.text for r in rows])  # as rag.answered.AnsweredIndex does
    declined = not_covered_questions()
    declined_vectors = kb.embedder.encode(declined)
    model_id = kb.embedder.model_id
    kb.close()
    data = design(rows, known)
    by_choice = cross_validate(data, rows, answered_vectors)
    for (k, l2), m in by_choice.items():
        print(f"k {k:>2}, L2 {l2:>6}: " + ", ".join(f"{name} {v:.3f}" for name, v in m.items()), flush=True)
    k, l2 = max(by_choice, key=lambda c: (round(by_choice[c]["mrr"], 6), c[1]))
    voted = with_votes(data, rows, answered_vectors, np.arange(len(rows)), k)
    w = fit(voted, l2)
    weights, bias, vote = w[: len(FEATURES)], w[len(FEATURES):-1], w[-1]
    out = {
        "weights": {f: round(float(v), 4) for f, v in zip(FEATURES, weights)},
        "section_bias": {section: round(float(v), 4) for section, v in zip(known, bias)},
        "answered": {"weight": round(float(vote), 4), "k": k},
        "fitted_on": (f"evals/golden/{{{','.join(DEV_FILES)}}}.jsonl ({len(rows)} in-scope questions with an "
                      f"expected section among the candidates), {date.today()}"),
        "embed_model": model_id, "l2": l2,
        "cross_validated": {name: round(v, 3) for name, v in by_choice[(k, l2)].items()},
        "on_fitting_questions": {name: round(v, 3) for name, v in summary(ranks(voted, w)).items()},
    }
    WEIGHTS_FILE.write_text(json.dumps(out, indent=1) + "\n")
    write_asked(model_id, [r.answered for r in rows], answered_vectors, declined, declined_vectors, out["fitted_on"])
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
