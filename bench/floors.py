"""Floor checks and theme-classifier accuracy, dev and test reported separately.

Usage: python -m bench.floors [--split dev|test|all] [--no-write]
Ingests each floor (evals/floors/*/ and the shipped sample floor) into its own temporary
store with the shipped knowledge/bank.json and taxonomy.json, runs the checks of
evals/floor.py, measures the theme classifier on the labelled sentences of the same split
(evals/sentences/labelled-<split>.jsonl plus the floors' quality and feedback
annotations), and writes bench/results/floors-<split>-<date>.md.

The test floors (glacier, mesa: round 3, written blind to the whole system on 2026-12-07,
checksums in evals/splits/) are frozen: run them once, at the end, after every cue,
example, threshold and rule is final. Earlier test floors were read after they were scored
and are dev now (round 1: lakeside, prairie; round 2: ridge, fjord). Each floor's coach
questions (questions.jsonl) are asked too, beside the plain baseline, and each quote shown
under an observation is checked against the annotations (evidence precision).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from bench.harness import RESULTS, ROOT
from coach.knowledge_base import KnowledgeBase
from evals.classifier_eval import (FROZEN_FILES, SENTENCES_DIR, SPLIT_FILES, labelled_sentences, render_accuracy,
                                   score_sentences)
from evals.floor_suite import render_floors, run_floors, select_floors
from memory.classify import ThemeClassifier
from memory.config import load_background, load_taxonomy
from rag.embedder import Embedder


def untouched(paths: list[Path]) -> str:
    """What git says about the evaluation files (read-only)."""
    rel = [str(p.relative_to(ROOT)) for p in paths]
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", *rel], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "git status unavailable"
    return "unchanged since the last commit" if not out else "CHANGED:\n" + out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    splits = ("dev", "test") if args.split == "all" else (args.split,)
    embedder = Embedder()
    taxonomy = ROOT / "knowledge" / "taxonomy.json"
    themes = load_taxonomy(taxonomy)
    embedder.encode(["warm up the model"])
    started = time.perf_counter()
    classifier = ThemeClassifier.build(themes, embedder, load_background(taxonomy))
    built = time.perf_counter() - started
    out = [f"# Coaching memory on the evaluation floors, {date.today().isoformat()}", "",
           f"Embedding model {embedder.model_id}; classifier built from knowledge/taxonomy.json "
           f"in {built:.2f} s. Call-count rule: a planted pattern passes when it is promoted with "
           "its polarity and a call count within one of the planted count.", ""]
    for split in splits:
        floors = select_floors(split)
        results = run_floors(floors, KnowledgeBase, embedder=embedder)
        items = labelled_sentences(split, floors)
        scored = score_sentences(classifier, items, embedder)
        frozen = [f.calls.parent for f in floors if f.split == "test"]
        frozen += [SENTENCES_DIR / name for name in SPLIT_FILES[split] if name in FROZEN_FILES and split == "test"]
        out += [f"## {split}", "",
                "Floors: " + ", ".join(f.name for f in floors) + (
                    f" (frozen files: {untouched(frozen)})"
                    if frozen else ""), "",
                "### Floor checks", "", render_floors(results), "",
                "### Interventions found", ""]
        for r in results:
            out += [f"- {r.floor.name}: {line}" for line in r.interventions]
        out += ["", "### Theme classifier", "", render_accuracy(scored, [t.id for t in themes]), ""]
    text = "\n".join(out) + "\n"
    print(text)
    if not args.no_write:
        target = RESULTS / f"floors-{args.split}-{date.today().isoformat()}.md"
        target.write_text(text, encoding="utf-8")
        print(f"written: {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
