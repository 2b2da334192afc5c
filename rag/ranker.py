"""Rank candidate passages by section with a small learned linear model.

Candidates come from Chroma (dense) and BM25 (keyword). They are grouped by section, each
section described by six features, every feature standardized across the sections of
this question, and scored ``sum(weight * feature)``:

- ``dense``: cosine of the question and the passage (section path + text);
- ``best_unit`` / ``top3_units``: the best, and the mean of the three best, cosines of the
  question and the passage's sentences, bullets and table rows (a paraphrase usually
  matches one sentence better than a whole passage);
- ``centrality``: how close the passage is to sentences of *other* sections (a corpus
  property; it learns a negative weight, so "hub" sections that resemble everything,
  such as a style guide of example phrases, stop winning every vague question);
- ``document``: cosine of the question and the centroid of the passage's document;
- ``keyword``: the BM25 score, divided by the question's best BM25 score.

The questions already answered (``rag.answered``) add a column: the summed similarity of
the nearest earlier questions whose answer was the section.

Another term is a prior per playbook section (``section_bias``, keyed by the section's
heading path): how much more or less often than its features say that section is the
answer reps and coaches want. Summary sections that echo every topic (a checklist of
signs, a style guide of example phrases) learn a negative prior; the table a question is
really about learns a positive one. It is an indicator column per section, standardized
like the features, so a section the fit never saw (a team's own playbook) scores on its
features alone.

The weights and priors (``ranker_weights.json``) are fitted with a listwise softmax loss
and an L2 penalty chosen by cross-validation by ``fit/ranker.py`` on the dev questions;
the frozen test splits are only reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.records import Chunk
from rag.answered import AnsweredIndex

FEATURES = ("dense", "best_unit", "top3_units", "centrality", "document", "keyword")
WEIGHTS_FILE = Path(__file__).with_name("ranker_weights.json")
CENTRAL_NEIGHBOURS = 30  # other-section sentences averaged for a passage's centrality


@dataclass(frozen=True)
class Candidate:
    chunk: Chunk
    vector: np.ndarray  # the chunk's own vector
    unit_vectors: np.ndarray  # (units, dim)
    keyword: float  # raw BM25 score, 0 when BM25 did not find it


@dataclass(frozen=True)
class RankedSection:
    chunk: Chunk  # the section's best passage
    score: float  # ranker score (standardized units)
    similarity: float  # cosine of the question and that passage
    features: dict[str, float]  # raw (unstandardized) section features, for diagnosis and fitting


@lru_cache(maxsize=1)
def weights() -> dict[str, float]:
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    return {name: float(data["weights"][name]) for name in FEATURES}


@dataclass(frozen=True)
class AnsweredVote:
    weight: float  # of the standardized vote column
    k: int  # answered questions that vote


@lru_cache(maxsize=1)
def answered_vote() -> AnsweredVote | None:
    """How the answered questions' votes count (None when the weights were fitted without them)."""
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")).get("answered")
    return AnsweredVote(float(data["weight"]), int(data["k"])) if data else None


@lru_cache(maxsize=1)
def section_bias() -> dict[str, float]:
    """The fitted prior of each playbook section, by heading path (empty when none was fitted)."""
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    return {section: float(value) for section, value in data.get("section_bias", {}).items()}


def prior_columns(sections: list[str], known: list[str]) -> np.ndarray:
    """(len(sections), len(known)) standardized indicators: is this row that known section.
    A known section absent from the rows gives a constant column, so it adds nothing."""
    column = {k: j for j, k in enumerate(known)}
    indicator = np.zeros((len(sections), len(known)))
    for i, section in enumerate(sections):
        if section in column:
            indicator[i, column[section]] = 1.0
    return standardize(indicator)


class Priors:
    """Query-independent features of every chunk of one kind: centrality and its document's
    centroid. Rebuilt when the docstore generation changes (cheap: one matrix product)."""

    def __init__(self, chunks: list[Chunk], vectors: np.ndarray, unit_vectors: list[np.ndarray]) -> None:
        self.centrality: dict[str, float] = {}
        self.centroids: dict[str, np.ndarray] = {}
        if not chunks:
            return
        section_ids: dict[tuple[str, str], int] = {}
        section_of_chunk = np.array([section_ids.setdefault((c.source, c.section), len(section_ids)) for c in chunks])
        section_of_unit = np.array([section_of_chunk[i] for i, units in enumerate(unit_vectors) for _ in range(len(units))],
                                   dtype=int)
        filled = [u for u in unit_vectors if len(u)]
        similarity = vectors @ np.vstack(filled).T if filled else np.zeros((len(chunks), 0))
        for i, chunk in enumerate(chunks):
            others = similarity[i][section_of_unit != section_of_chunk[i]]
            nearest = np.sort(others)[-CENTRAL_NEIGHBOURS:] if len(others) else np.zeros(1)
            self.centrality[chunk.id] = float(nearest.mean())
        by_source: dict[str, list[int]] = {}
        for i, chunk in enumerate(chunks):
            by_source.setdefault(chunk.source, []).append(i)
        for source, rows in by_source.items():
            centroid = vectors[rows].mean(axis=0)
            self.centroids[source] = centroid / (np.linalg.norm(centroid) or 1.0)


def rank(query: np.ndarray, candidates: list[Candidate], priors: Priors,
         answered: AnsweredIndex | None = None) -> list[RankedSection]:
    """Sections of the candidates, best first (``answered``: the questions already answered,
    whose nearest ones vote for their sections)."""
    if not candidates:
        return []
    best_keyword = max((c.keyword for c in candidates), default=0.0) or 1.0
    default_centrality = float(np.mean(list(priors.centrality.values()))) if priors.centrality else 0.0
    sections: dict[tuple[str, str], dict] = {}
    for candidate in candidates:
        chunk = candidate.chunk
        dense = float(candidate.vector @ query)
        unit_scores = np.sort(candidate.unit_vectors @ query)[::-1] if len(candidate.unit_vectors) else np.array([dense])
        centroid = priors.centroids.get(chunk.source)
        values = {
            "dense": dense,
            "best_unit": float(unit_scores[0]),
            "top3_units": float(unit_scores[:3].mean()),
            "centrality": priors.centrality.get(chunk.id, default_centrality),
            "document": float(centroid @ query) if centroid is not None else dense,
            "keyword": candidate.keyword / best_keyword,
        }
        key = (chunk.source, chunk.section)
        entry = sections.get(key)
        if entry is None:
            sections[key] = {"values": values, "chunk": chunk, "lead": dense + values["best_unit"]}
            continue
        entry["values"] = {name: max(entry["values"][name], values[name]) for name in FEATURES}
        if dense + values["best_unit"] > entry["lead"]:  # the section is shown by its best passage
            entry["chunk"], entry["lead"] = chunk, dense + values["best_unit"]
    entries = list(sections.values())
    matrix = np.array([[e["values"][name] for name in FEATURES] for e in entries], dtype=np.float64)
    scores = standardize(matrix) @ np.array([weights()[name] for name in FEATURES])
    bias = section_bias()
    names = [e["chunk"].section for e in entries]
    known = [name for name in dict.fromkeys(names) if name in bias]
    if known:
        scores = scores + prior_columns(names, known) @ np.array([bias[name] for name in known])
    vote = answered_vote()
    if answered is not None and vote is not None:
        votes = answered.votes(query, names, vote.k)
        scores = scores + standardize(votes[:, None])[:, 0] * vote.weight
    ranked = [
        RankedSection(e["chunk"], float(score), float(e["values"]["dense"]), e["values"])
        for e, score in zip(entries, scores)
    ]
    return sorted(ranked, key=lambda r: -r.score)


def standardize(matrix: np.ndarray) -> np.ndarray:
    """Each column to mean 0 and unit variance across rows (a constant column becomes 0)."""
    if len(matrix) == 0:
        return matrix
    spread = matrix.std(axis=0)
    spread[spread == 0] = 1.0
    return (matrix - matrix.mean(axis=0)) / spread
