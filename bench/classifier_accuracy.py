"""Precision and recall of the theme classifier per theme, on evals/data/theme_sentences.jsonl.

Usage: python -m bench.classifier_accuracy
The labelled sentences were written apart from the sample floor; half of the original set
became the taxonomy's example sentences, and this file holds the other half, never used
for tuning, so it measures how the classifier generalises to new wording.
"""

from __future__ import annotations

import json
from collections import Counter

from bench.harness import ROOT
from memory.classify import ThemeClassifier
from memory.config import load_taxonomy
from rag.embedder import Embedder


def main() -> None:
    themes = load_taxonomy(ROOT / "knowledge" / "taxonomy.json")
    embedder = Embedder()
    classifier = ThemeClassifier.build(themes, embedder)
    items = [json.loads(l) for l in (ROOT / "evals/data/theme_sentences.jsonl").read_text().splitlines() if l.strip()]
    pairs = list(zip(items, embedder.encode([i["text"] for i in items])))
    print(f"{len(pairs)} held-out labelled sentences (the other half became taxonomy examples)")
    report(classifier, themes, pairs)


def report(classifier, themes, pairs) -> None:
    tp, fp, fn = Counter(), Counter(), Counter()
    polarity_right = polarity_total = 0
    items = [item for item, _ in pairs]
    for item, vector in pairs:
        got = classifier.classify(item["text"], vector)
        want = item["theme"]
        if got.theme == want and want is not None:
            tp[want] += 1
            if item.get("polarity"):
                polarity_total += 1
                polarity_right += got.polarity == item["polarity"]
        else:
            if got.theme is not None:
                fp[got.theme] += 1
            if want is not None:
                fn[want] += 1
    print(f"{'theme':24} precision recall  n")
    for theme in [t.id for t in themes]:
        p = tp[theme] / (tp[theme] + fp[theme]) if tp[theme] + fp[theme] else 0.0
        r = tp[theme] / (tp[theme] + fn[theme]) if tp[theme] + fn[theme] else 0.0
        print(f"{theme:24} {p:9.2f} {r:6.2f} {tp[theme] + fn[theme]:3d}")
    total_tp = sum(tp.values())
    labelled = sum(1 for i in items if i["theme"])
    predicted = total_tp + sum(fp.values())
    print(f"micro precision {total_tp / predicted:.2f}, recall {total_tp / labelled:.2f}, "
          f"polarity accuracy {polarity_right}/{polarity_total} on correctly themed quality sentences")


if __name__ == "__main__":
    main()
