"""Theme and polarity accuracy of the memory's sentence classifier on labelled sentences.

The labelled sentences of a split are the files of ``SPLIT_FILES`` (``evals/sentences/``) plus
the quality and feedback annotations of that split's floors (``annotations.jsonl``). None of
them was written by the process that wrote the taxonomy's examples. Scoring is pure:

- theme precision / recall per theme (a sentence with no theme, predicted as one, is a
  false positive of that theme); macro figures average the themes;
- polarity accuracy on correctly themed sentences: gap, strength, or neutral (feedback
  and plain mentions are neutral), as the classifier's polarity ``None``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.splits import verify

SENTENCES_DIR = Path(__file__).resolve().parent / "sentences"


@dataclass(frozen=True)
class LabelledSentence:
    text: str
    theme: str | None
    polarity: str  # gap, strength, neutral
    kind: str  # quality, feedback, other, injection
    origin: str  # the labelled file (without .jsonl) or the floor's name


@dataclass(frozen=True)
class Scored:
    item: LabelledSentence
    theme: str | None
    polarity: str  # gap, strength, neutral

    @property
    def theme_right(self) -> bool:
        return self.item.theme is not None and self.theme == self.item.theme

    @property
    def polarity_right(self) -> bool:
        return self.polarity == self.item.polarity


# Which files make a split. Round 1 (labelled-dev, labelled-test) was written blind to the
# taxonomy; its test half was read while tuning and was retired into dev on 2026-12-03, when
# round 2 (labelled-fresh, written blind to the whole system) became the frozen test.
SPLIT_FILES = {"dev": ("labelled-dev.jsonl", "labelled-test.jsonl"), "test": ("labelled-fresh.jsonl",)}
FROZEN_FILES = ("labelled-test.jsonl", "labelled-fresh.jsonl")  # checksums in evals/splits/


def labelled_sentences(split: str, floors: Sequence = ()) -> list[LabelledSentence]:
    items = []
    for name in SPLIT_FILES[split]:
        path = SENTENCES_DIR / name
        if name in FROZEN_FILES:
            verify(path)
        items += [LabelledSentence(r["text"], r["theme"], r["polarity"] or "neutral", r["kind"],
                                   name.removesuffix(".jsonl")) for r in _jsonl(path)]
    for floor in floors:
        annotations = floor.calls.parent / "annotations.jsonl"
        if floor.split != split or not annotations.is_file():
            continue
        items += [LabelledSentence(a["quote"], a["theme"], a["polarity"] or "neutral", a["kind"], floor.name)
                  for a in _jsonl(annotations) if a["kind"] in ("quality", "feedback")]
    return items


def score_sentences(classifier, items: Sequence[LabelledSentence], embedder) -> list[Scored]:
    vectors = embedder.encode([i.text for i in items])
    out = []
    for item, vector in zip(items, vectors):
        match = classifier.classify(item.text, vector)
        out.append(Scored(item, match.theme, match.polarity or "neutral"))
    return out


@dataclass(frozen=True)
class Accuracy:
    per_theme: dict[str, tuple[float, float, int]]  # theme -> (precision, recall, gold count)
    macro_precision: float
    macro_recall: float
    micro_precision: float
    micro_recall: float
    polarity_right: int
    polarity_total: int

    @property
    def polarity_accuracy(self) -> float:
        return self.polarity_right / self.polarity_total if self.polarity_total else 0.0


def accuracy(scored: Sequence[Scored], themes: Sequence[str]) -> Accuracy:
    tp, fp, fn = Counter(), Counter(), Counter()
    for s in scored:
        if s.theme_right:
            tp[s.theme] += 1
            continue
        if s.theme is not None:
            fp[s.theme] += 1
        if s.item.theme is not None:
            fn[s.item.theme] += 1
    per_theme = {}
    for theme in themes:
        p = tp[theme] / (tp[theme] + fp[theme]) if tp[theme] + fp[theme] else 0.0
        r = tp[theme] / (tp[theme] + fn[theme]) if tp[theme] + fn[theme] else 0.0
        per_theme[theme] = (p, r, tp[theme] + fn[theme])
    present = [t for t in themes if per_theme[t][2]]
    total_tp, predicted = sum(tp.values()), sum(tp.values()) + sum(fp.values())
    gold = sum(1 for s in scored if s.item.theme is not None)
    right = [s for s in scored if s.theme_right]
    return Accuracy(
        per_theme=per_theme,
        macro_precision=sum(per_theme[t][0] for t in present) / len(present) if present else 0.0,
        macro_recall=sum(per_theme[t][1] for t in present) / len(present) if present else 0.0,
        micro_precision=total_tp / predicted if predicted else 0.0,
        micro_recall=total_tp / gold if gold else 0.0,
        polarity_right=sum(s.polarity_right for s in right), polarity_total=len(right),
    )


def render_accuracy(scored: Sequence[Scored], themes: Sequence[str]) -> str:
    result = accuracy(scored, themes)
    origins = Counter(s.item.origin for s in scored)
    lines = [f"{len(scored)} sentences (" + ", ".join(f"{n} {o}" for o, n in sorted(origins.items())) + ")", "",
             "| theme | precision | recall | n |", "| --- | --- | --- | --- |"]
    for theme in themes:
        p, r, n = result.per_theme[theme]
        lines.append(f"| {theme} | {p:.2f} | {r:.2f} | {n} |")
    lines += ["", f"- macro precision {result.macro_precision:.3f}, macro recall {result.macro_recall:.3f}",
              f"- micro precision {result.micro_precision:.3f}, micro recall {result.micro_recall:.3f}",
              f"- polarity right on {result.polarity_right}/{result.polarity_total} correctly themed sentences "
              f"({result.polarity_accuracy:.3f})"]
    for origin in sorted(origins):
        part = accuracy([s for s in scored if s.item.origin == origin], themes)
        lines.append(f"- {origin}: macro P {part.macro_precision:.2f}, R {part.macro_recall:.2f}, "
                     f"polarity {part.polarity_right}/{part.polarity_total}")
    return "\n".join(lines)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
