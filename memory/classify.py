"""Tag a sentence with a coaching theme, a polarity and a kind, with no LLM.

Theme: a small multinomial logistic regression, trained when the classifier is built (a
fraction of a second, deterministic) on the taxonomy's own sentences only: each theme's
label and description and its example sentences (gap, strength, neutral, feedback,
mention), plus the taxonomy's background sentences (buyer facts, logistics: about no
theme) as a class of their own. Its features are the sentence's vector from the store's
embedding model (whatever model the store uses: the vectors ingest stored are reused) and,
per theme, how many of the theme's words (``terms`` and multi-word cues) the sentence uses
(up to ``MAX_TERMS``). The best theme is kept when its probability reaches
``MIN_PROBABILITY`` and beats the background class.

Polarity and kind come from the words (``memory.polarity``): an instruction is feedback
and has no polarity; otherwise cue phrases, praise and criticism, and negations in scope
decide gap or strength, and a sentence with none of them is a neutral mention.

Measured by ``bench/floors.py`` (``evals/classifier_eval.py``) on labelled sentences that
were written apart from the taxonomy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from core.store import inputs_digest
from rag.vector_cache import CLASSIFIERS, default_folder

from memory.config import Theme
from memory.polarity import is_instruction, is_mention, phrase_pattern, reported_part, votes

TOP_K = 3  # prototypes per theme in theme_similarity (questions, polarity fallback)
MAX_TERMS = 3
# chosen on the dev sentences (labelled-dev and the dev floors' annotations), bench/floors.py
VECTOR_SCALE = 5.0  # unit vectors are scaled so the regression needs no large weights
TERM_WEIGHT = 1.0  # feature value per theme word found
L2 = 0.01
ITERATIONS = 600
TRAINING_VERSION = 1  # bump when _train or _features change
STEP = 0.5
MIN_PROBABILITY = 0.25
POLARITY_K = 2  # closest examples per side when the words leave polarity open
MENTION_MARGIN = 0.0
POLARITY_MIN = 0.0


@dataclass(frozen=True)
class ThemeMatch:
    theme: str | None
    polarity: str | None  # gap, strength, or None (neutral, or an instruction)
    score: float
    similarity: float = 0.0  # embedding part of the score
    cue: str | None = None  # a cue phrase of the theme found in the sentence, if any
    plain: str | None = None  # kept for callers of the old classifier: same as polarity
    kind: str = "quality"  # quality (a remark on what happened), feedback (an instruction), other
    terms: int = 0  # theme words found
    basis: str = "words"  # what decided the polarity: words (cues, praise, criticism), report, nearest example


class ThemeClassifier:
    def __init__(self, themes: tuple[Theme, ...], prototypes: np.ndarray, owners: np.ndarray,
                 polarities: tuple[str | None, ...], background: np.ndarray | None = None,
                 kinds: tuple[str, ...] | None = None, training: tuple[np.ndarray, tuple[str, ...], np.ndarray] | None = None) -> None:
        self.themes, self.prototypes, self.owners, self.polarities = themes, prototypes, owners, polarities
        self.kinds = np.array(kinds if kinds is not None else [p or "mention" for p in polarities])
        self.background = background if background is not None else np.zeros((0, prototypes.shape[1] if prototypes.size else 0))
        self._vocab = [_vocabulary(t) for t in themes]
        # prototypes grouped by theme, for per-theme maxima in one reduction
        self._by_owner = np.argsort(owners, kind="stable")
        grouped = owners[self._by_owner]
        self._group_starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if grouped.size else grouped
        self.weights = self._trained(*training) if training is not None and themes else None

    def _trained(self, vectors: np.ndarray, texts: tuple[str, ...], labels: np.ndarray) -> np.ndarray:
        """``_train``'s weights, from the machine's cache when the same inputs were trained
        before (a second store, a re-index): the cache key is a digest of every input."""
        key = inputs_digest([
            f"v{TRAINING_VERSION} {VECTOR_SCALE} {TERM_WEIGHT} {L2} {ITERATIONS} {STEP} {MAX_TERMS}",
            repr([(t.id, t.label, t.terms, t.gap_cues, t.strength_cues) for t in self.themes]),
            np.ascontiguousarray(vectors, dtype=np.float32).tobytes(), "\n".join(texts), labels.astype(np.int64).tobytes(),
        ])
        path = default_folder() / CLASSIFIERS / f"{key[:32]}.npy"
        try:
            weights = np.load(path, allow_pickle=False)
            if weights.shape == (vectors.shape[1] + len(self.themes) + 1, len(self.themes) + 1):
                return weights
        except (OSError, ValueError):
            pass
        weights = self._train(vectors, texts, labels)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.stem}-{os.getpid()}.npy")
            np.save(tmp, weights)
            tmp.replace(path)
        except OSError:
            pass  # a read-only cache: train again next time
        return weights

    def _features(self, texts, vectors: np.ndarray) -> np.ndarray:
        terms = np.array([np.minimum(self.term_counts(t), MAX_TERMS) for t in texts]).reshape(len(texts), -1)
        return np.hstack([vectors * VECTOR_SCALE, terms * TERM_WEIGHT, np.ones((len(texts), 1))])

    def _train(self, vectors: np.ndarray, texts: tuple[str, ...], labels: np.ndarray) -> np.ndarray:
        """Softmax regression by full-batch gradient descent: classes are the themes, then
        the background."""
        features = self._features(texts, vectors)
        classes = len(self.themes) + 1
        target = np.eye(classes)[labels]
        weights = np.zeros((features.shape[1], classes))
        for _ in range(ITERATIONS):
            probabilities = _softmax(features @ weights)
            weights -= STEP * (features.T @ (probabilities - target) / len(features) + L2 * weights)
        return weights

    def probabilities(self, text: str, vector: np.ndarray) -> np.ndarray:
        """Per theme, then the background class: the regression's probabilities."""
        return _softmax(self._features([text], vector[None, :]) @ self.weights)[0]

    @classmethod
    def build(cls, themes: tuple[Theme, ...], embedder, background: tuple[str, ...] = ()) -> ThemeClassifier:
        texts, owners, polarities, kinds = [], [], [], []
        for i, theme in enumerate(themes):
            own = [(f"{theme.label}. {theme.description}", None, "label")]
            own += [(c, "gap", "gap") for c in theme.gap_cues if len(c.split()) >= 2]
            own += [(c, "strength", "strength") for c in theme.strength_cues if len(c.split()) >= 2]
            own += [(text, p, p or "neutral") for text, p in theme.examples]
            own += [(text, None, "feedback") for text in theme.feedback_examples]
            own += [(text, None, "mention") for text in theme.mention_examples]
            texts.extend(text for text, _, _ in own)
            polarities.extend(p for _, p, _ in own)
            kinds.extend(k for _, _, k in own)
            owners.extend([i] * len(own))
        vectors = embedder.encode(texts + list(background))
        # the regression learns from sentences: labels and descriptions, examples, background
        chosen = [i for i, k in enumerate(kinds) if not (k in ("gap", "strength") and _is_cue(texts[i], themes[owners[i]]))]
        train_texts = tuple(texts[i] for i in chosen) + tuple(background)
        train_labels = np.array([owners[i] for i in chosen] + [len(themes)] * len(background), dtype=int)
        train_vectors = np.vstack([vectors[chosen], vectors[len(texts):]])
        return cls(themes, vectors[: len(texts)], np.array(owners, dtype=int), tuple(polarities),
                   vectors[len(texts):], tuple(kinds), (train_vectors, train_texts, train_labels))

    # -- theme --------------------------------------------------------------------------------
    def theme_similarity(self, vector: np.ndarray) -> np.ndarray:
        """Per theme: the mean similarity of its TOP_K closest prototypes."""
        sims = self.prototypes @ vector
        out = np.full(len(self.themes), -1.0)
        for i in range(len(self.themes)):
            own = sims[self.owners == i]
            if own.size:
                k = min(TOP_K, own.size)
                out[i] = float(np.mean(np.partition(own, -k)[-k:]))
        return out

    def closest_prototype(self, vector: np.ndarray) -> np.ndarray:
        """Per theme: the similarity of its closest prototype (-1 for a theme with none)."""
        out = np.full(len(self.themes), -1.0)
        if self.prototypes.size:
            sims = (self.prototypes @ vector)[self._by_owner]
            out[self.owners[self._by_owner][self._group_starts]] = np.maximum.reduceat(sims, self._group_starts)
        return out

    def background_similarity(self, vector: np.ndarray) -> float:
        if not len(self.background):
            return -1.0
        sims = self.background @ vector
        k = min(TOP_K, sims.size)
        return float(np.mean(np.partition(sims, -k)[-k:]))

    def term_counts(self, text: str) -> np.ndarray:
        """Per theme, how many of its words and phrases the text uses. A phrase's pattern
        can only match when each of its words is in the text, so that is checked first
        (a substring test, far cheaper than the pattern)."""
        lowered = text.lower()
        return np.array([sum(1 for words, p in vocab if all(w in lowered for w in words) and p.search(lowered))
                         for vocab in self._vocab], dtype=float)

    def classify(self, text: str, vector: np.ndarray) -> ThemeMatch:
        if not self.themes:
            return ThemeMatch(None, None, 0.0, kind="other")
        probabilities = self.probabilities(text, vector)
        best = int(np.argmax(probabilities[:-1]))
        score = float(probabilities[best])
        similarity = self.theme_similarity(vector)
        terms = self.term_counts(text)
        if score < MIN_PROBABILITY or score <= float(probabilities[-1]):
            return ThemeMatch(None, None, score, float(similarity[best]), kind="other")
        theme = self.themes[best]
        report = reported_part(text)
        if report is None and is_instruction(text):
            return ThemeMatch(theme.id, None, score, float(similarity[best]), kind="feedback", terms=int(terms[best]))
        polarity, basis = votes(report or text, theme.id, theme.gap_cues, theme.strength_cues, theme.terms).polarity, "words"
        if polarity is None and report is not None:
            polarity, basis = "gap", "report"  # what happened, then what to do instead: the coach is correcting it
        if polarity is None and not is_mention(text):
            polarity, basis = self._nearest_polarity(best, vector), "nearest"
        return ThemeMatch(theme.id, polarity, score, float(similarity[best]), cue=_cue(text, theme),
                          plain=polarity, kind="quality", terms=int(terms[best]), basis=basis)


    def _nearest_polarity(self, index: int, vector: np.ndarray) -> str | None:
        """No word decided: the side of the theme's closer examples (gap or strength), unless
        its mentions (the theme named, not judged) are closer still."""
        sims = self.prototypes @ vector
        side = {}
        for kind in ("gap", "strength", "mention"):
            own = sims[(self.owners == index) & (self.kinds == kind)]
            k = min(POLARITY_K, own.size)
            side[kind] = float(np.mean(np.partition(own, -k)[-k:])) if k else -1.0
        best = max(("gap", "strength"), key=side.get)
        if side[best] < side["mention"] + MENTION_MARGIN or side[best] < POLARITY_MIN:
            return None
        return best


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _is_cue(text: str, theme: Theme) -> bool:
    return text in theme.gap_cues or text in theme.strength_cues


def _vocabulary(theme: Theme):
    words = {*theme.terms, *(c for c in (*theme.gap_cues, *theme.strength_cues) if len(c.split()) >= 2)}
    return [(tuple(w.lower().split()), phrase_pattern(w)) for w in sorted(words)]


def _cue(text: str, theme: Theme) -> str | None:
    lowered = text.lower()
    found = [c for c in (*theme.gap_cues, *theme.strength_cues) if phrase_pattern(c).search(lowered)]
    return max(found, key=len) if found else None
