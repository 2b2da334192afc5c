"""Tag a sentence with a coaching theme and a polarity, with no LLM.

Each theme has prototypes: its label + description, each cue phrase and each example
sentence from the taxonomy. Score =
cosine similarity to the closest prototype, plus a bonus when a cue phrase occurs in the
sentence verbatim. A theme is assigned when a cue matched
or the similarity clears ``MIN_SIMILARITY``. Polarity comes from the matched cue, else
from plain strength/gap wording; a sentence with no clear polarity is not a call-quality
fact. Measured on evals/data/theme_sentences.jsonl by bench/classifier_accuracy.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from memory.config import Theme

CUE_BONUS = 0.30
MIN_SIMILARITY = 0.45
_GAP_WORDS = re.compile(
    r"\b(didn't|did not|hasn't|haven't|isn't|wasn't|doesn't|don't|won't|can't|never|no|not|without|missed|forgot|skipped|too (?:early|much|soon|long)|"
    r"jumped|rushed|again|still|instead of|failed|weak|struggled|before (?:she|he|they) had)\b",
    re.IGNORECASE,
)
_STRENGTH_WORDS = re.compile(
    r"\b(great|strong|nailed|excellent|good|well|solid|held|waited|properly|clearly|nice|"
    r"textbook|improved|this time|finally|best)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ThemeMatch:
    theme: str | None
    polarity: str | None
    score: float
    similarity: float = 0.0  # to the closest prototype of the theme
    cue: str | None = None  # the cue phrase found verbatim, if any
    plain: str | None = None  # polarity from plain strength/gap wording, if any


class ThemeClassifier:
    def __init__(self, themes: tuple[Theme, ...], prototypes: np.ndarray, owners: np.ndarray,
                 polarities: tuple[str | None, ...]) -> None:
        self.themes, self.prototypes, self.owners, self.polarities = themes, prototypes, owners, polarities

    @classmethod
    def build(cls, themes: tuple[Theme, ...], embedder) -> ThemeClassifier:
        texts, owners, polarities = [], [], []
        for i, theme in enumerate(themes):
            own = [f"{theme.label}. {theme.description}", *theme.gap_cues, *theme.strength_cues]
            own_polarities = [None] + ["gap"] * len(theme.gap_cues) + ["strength"] * len(theme.strength_cues)
            own += [text for text, _ in theme.examples]
            own_polarities += [polarity for _, polarity in theme.examples]
            texts.extend(own)
            owners.extend([i] * len(own))
            polarities.extend(own_polarities)
        return cls(themes, embedder.encode(texts), np.array(owners, dtype=int), tuple(polarities))

    def classify(self, text: str, vector: np.ndarray) -> ThemeMatch:
        if not self.themes:
            return ThemeMatch(None, None, 0.0)
        lowered = text.lower()
        per_prototype = self.prototypes @ vector
        similarity = np.full(len(self.themes), -1.0)
        np.maximum.at(similarity, self.owners, per_prototype)
        best, best_score, best_cue = None, -1.0, None
        for i, theme in enumerate(self.themes):
            cue = _matched_cue(lowered, theme)
            score = float(similarity[i]) + (CUE_BONUS if cue else 0.0)
            if score > best_score:
                best, best_score, best_cue = theme, score, cue
        if best_cue is None and best_score < MIN_SIMILARITY:
            return ThemeMatch(None, None, best_score)
        polarity = best_cue[1] if best_cue else self._nearest_polarity(best, per_prototype, text)
        similarity = best_score - (CUE_BONUS if best_cue else 0.0)
        return ThemeMatch(best.id, polarity, best_score, similarity,
                          best_cue[0] if best_cue else None, plain_polarity(text))

    def _nearest_polarity(self, theme: Theme, per_prototype: np.ndarray, text: str) -> str | None:
        """Plain strength/gap wording first; else the polarity of the closest cue phrase."""
        plain = plain_polarity(text)
        if plain:
            return plain
        index = self.themes.index(theme)
        own = np.flatnonzero(self.owners == index)
        cues = [i for i in own if self.polarities[i]]
        if not cues:
            return None
        return self.polarities[max(cues, key=lambda i: per_prototype[i])]


def _matched_cue(lowered: str, theme: Theme) -> tuple[str, str] | None:
    """The longest cue phrase of the theme found in the text, with its polarity. A cue's
    words must appear in order, with at most three other words between two of them."""
    found = [(len(c), c, "gap") for c in theme.gap_cues if cue_pattern(c).search(lowered)]
    found += [(len(c), c, "strength") for c in theme.strength_cues if cue_pattern(c).search(lowered)]
    if not found:
        return None
    _, cue, polarity = max(found)
    return cue, polarity


@lru_cache(maxsize=4096)
def cue_pattern(cue: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in cue.split()]
    return re.compile(r"\b" + r"\W+(?:[\w'’]+\W+){0,3}?".join(words) + r"\b")


_HELD_OFF = re.compile(r"\b(?:didn't|did not|never|wouldn't|would not)\b[^.;]{0,60}\buntil\b", re.IGNORECASE)


def plain_polarity(text: str) -> str | None:
    if _HELD_OFF.search(text):  # "didn't share her screen until minute 21": she waited
        return "strength"
    gaps, strengths = len(_GAP_WORDS.findall(text)), len(_STRENGTH_WORDS.findall(text))
    if gaps > strengths:
        return "gap"
    if strengths > gaps:
        return "strength"
    return None
