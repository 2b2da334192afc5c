"""Compare section-ranker candidates by cross-validation over the dev questions (issue 23, item 3).

Usage: python -m bench.ranker_candidates [--data-dir STORE] [--repeats 3]

Measurement only: nothing here writes a shipped artifact (``rag/ranker_weights.json`` is
read, never written). The questions are the in-scope questions of the dev files
``DEV_FILES``: the ranker's own (``fit.ranker.DEV_FILES``, every question file already
read). The frozen test files (sellers-fresh, closers-fresh) are never opened.

For every question the product's own retriever is asked once (its routing, its Chroma and
BM25 candidates, its passage and sentence vectors and priors); everything after that runs
in memory, so a candidate ranker can be refitted and re-scored per fold in milliseconds.

Candidates:

- ``a``: the shipped ranker as is (``rag/ranker_weights.json``, with its section priors),
  scored per file. Since 2026-12-07 it is fitted on all three files, so ``a`` is in-sample
  everywhere; the out-of-fold rows of the candidate it was fitted as (``f``) are its estimate.
- ``b``: the same six features (``rag.ranker.FEATURES``), the same listwise softmax loss,
  refitted on the training folds of all three files; the L2 penalty chosen by nested
  cross-validation (inner folds on the training questions only) from ``L2_GRID``.
- ``c``: ``b`` plus two section-representation features: the cosine of the question and
  "heading path + the section's first two sentences" (``lead``), and of the heading path
  alone (``heading``), embedded with the store's embedder.
- ``c-lead``: ablation of ``c`` with ``lead`` only.
- ``d``: ``c`` with a linear adapter on the question vector: a 768x768 map fitted by ridge
  least squares towards the identity on (question, expected section) pairs of the training
  folds (target: the section's mean passage vector), ``q' = normalize(q W)``; ``q'``
  replaces ``q`` in every dense feature (passage, sentences, document, lead, heading).
  The ridge strength and the ranker's L2 are chosen together by nested cross-validation.
- ``d-b``: ablation: the adapter with ``b``'s six features only.
- ``e``: ``b`` with each sentence embedded after its section path ("Discovery Coach > ... :
  Budget/Value — ..."), for best_unit and top3_units; ``e+`` keeps both kinds.
- ``f``: ``b`` plus one indicator per playbook section (its prior, by heading path),
  standardized like the features: what ships since 2026-12-07 (``rag.ranker.section_bias``);
  ``f-d`` adds the question adapter.
- ``h``: ``f`` plus dense and best-sentence cosines taken as the maximum over the question and
  each of its own sentences, for a question of two or more ("... felt like being grilled.
  Where did I go wrong?").
- ``i``: ``f`` plus the votes of the questions already answered (``rag.answered``): for
  each section, the summed similarity of the ``k`` nearest training questions with another
  text whose expected sections include it; ``k`` chosen with the penalty. What ships since
  2026-12-07 (``fit/ranker.py`` fits it the same way).
- ``g``: ``f`` plus one column: the question is in a manager's words ("my rep", "coaching",
  "ramp", "1:1") and the section is in the coaching playbook.

Protocol: grouped 5-fold cross-validation over questions (a group is one question text,
whitespace and case folded; folds stratified by file), repeated ``--repeats`` times with
seeds 0, 1, 2...; inner selection by 3-fold cross-validation with the same seed. Reported
per file and pooled: out-of-fold hit@1, hit@5 and MRR (ranks 10 deep, as ``coach eval``),
averaged over the repeats, and the in-fold MRR of the same fitted models on their own
training questions (the gap between the two is how much a fit flatters itself). A second
table trains on the other files and scores the one left out (leave one file out), the closest dev
stand-in for a frozen set written by someone else.

Writes bench/results/ranker-candidates-<date>.md.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fit.ranker import DEV_FILES  # every question file already read

FOLDS = 5
INNER_FOLDS = 3
RANK_DEPTH = 10  # as evals.runner.RANK_DEPTH
L2_GRID = (0.1, 1.0, 10.0, 100.0, 1000.0)  # the shipped ranker's parametrisation (it ships l2=1)
ADAPTER_GRID = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0)  # ridge strength of the question adapter, towards identity
ADAPTER_L2_GRID = (1.0, 10.0, 100.0)
BASE = ("dense", "best_unit", "top3_units", "centrality", "document", "keyword")  # = rag.ranker.FEATURES
EXTRA = ("lead", "heading")
_COACH_WORDS = re.compile(r"\b(my reps?|reps?'s?|a rep|the rep|my team|the team|coach(?:ing|es)?|1:1s?|one-on-ones?|"
                          r"new hires?|ramp(?:ing)?|my (?:ae|aes|sdr|sdrs|seller|sellers)|manager)\b", re.IGNORECASE)
CONTEXT = ("dense", "best_unit_ctx", "top3_units_ctx", "centrality", "document", "keyword")


# -- the data: one retrieval per question, everything else in memory ------------------------
@dataclass
class Question:
    id: str
    file: str
    text: str
    kind: str | None  # the product's routing: "playbook", or None for a question about the floor
    vector: np.ndarray  # the product's question vector (encode_one)
    relevant: np.ndarray  # (sections,) bool
    chunk_vectors: np.ndarray  # (candidates, dim)
    unit_vectors: np.ndarray  # (units, dim), every candidate's units stacked
    unit_pad: np.ndarray  # (candidates, max units) row indices into unit_vectors, -1 padding
    unit_count: np.ndarray  # (candidates,)
    document_vectors: np.ndarray  # (candidates, dim): the document centroid, or the passage itself
    centrality: np.ndarray  # (candidates,)
    keyword: np.ndarray  # (candidates,) BM25 / the question's best
    section_of: np.ndarray  # (candidates,) index of the candidate's section
    lead_vectors: np.ndarray  # (sections, dim)
    heading_vectors: np.ndarray  # (sections, dim)
    product_raw: np.ndarray  # (sections, 6) the retriever's own raw features, for the check
    product_rank: int | None  # first relevant rank of the product's ranking
    section_keys: tuple = ()  # (source, section) of each section, in the feature rows' order
    part_vectors: np.ndarray | None = None  # (parts, dim): the question's own sentences, when it has two or more
    context_unit_vectors: np.ndarray | None = None  # (units, dim): "section path: unit", as unit_vectors
    cache: dict = field(default_factory=dict)


def load_questions() -> list[tuple[str, object]]:
    """(file, in-scope question) of the dev files; the frozen files are never opened."""
    from evals import golden

    out = []
    for name in DEV_FILES:
        assert name not in ("sellers-fresh", "closers-fresh")  # the splits kept for later rounds
        if name in golden.SETS:
            items = golden.load_set(name)
        else:  # objections-dev: the golden schema, not one of the eval command's sets
            path = golden.GOLDEN_DIR / f"{name}.jsonl"
            items = [golden._question(path, n, row) for n, row in golden.read_objects(path, "restore it from git")]
        out += [(name, q) for q in items if q.in_scope and not q.needs_review]
    return out


def section_texts(docstore, sources: set[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(heading path + first two sentences, heading path) of every section of these sources,
    from the section's first passage and its stored units."""
    out = {}
    for source in sorted(sources):
        chunks = docstore.chunks_of(source)
        first: dict[str, object] = {}
        for chunk in chunks:
            first.setdefault(chunk.section, chunk)
        units = docstore.units([c.id for c in first.values()])
        for section, chunk in first.items():
            lines = [u.unit.display for u in units.get(chunk.id, [])[:2]]
            out[(source, section)] = (" ".join([section + ":", *lines]) if lines else section, section)
    return out


def gather(kb) -> list[Question]:
    """Ask the product's retriever once per question and keep what every candidate needs."""
    from evals.metrics import first_relevant_rank, same_section
    from rag.ranker import FEATURES

    assert FEATURES == BASE
    answerer = kb.answerer
    retriever = answerer.retriever
    priors = retriever.priors()
    default_centrality = float(np.mean(list(priors.centrality.values())))
    raw = []
    from rag.retriever import CANDIDATES, _where

    for file, item in load_questions():
        vector = kb.embedder.encode_one(item.q)
        kind = answerer.route(item.q)
        retrieval = retriever.retrieve(item.q, vector, k=RANK_DEPTH, kind=kind)
        # the same candidates the retriever ranked: Chroma's and BM25's, in its order
        dense = retriever.vectors.query(vector, CANDIDATES, where=_where(kind, None))
        keyword = retriever.keyword.search(item.q, CANDIDATES, kind=kind)
        scores = {h.id: h.score for h in keyword}
        wanted = list(dict.fromkeys([h.id for h in dense] + [h.id for h in keyword]))
        chunks = retriever.docstore.chunks(wanted)
        memo = retriever._vectors_and_units([c.id for c in chunks], len(vector))
        chunks = [c for c in chunks if c.id in memo]
        raw.append((file, item, vector, kind, retrieval, chunks, memo, scores))
    sources = {c.source for *_, chunks, _, _ in raw for c in chunks}
    texts = section_texts(retriever.docstore, sources)
    keys = sorted(texts)
    lead = kb.embedder.encode([texts[k][0] for k in keys])
    heading = kb.embedder.encode([texts[k][1] for k in keys])
    lead_of = {k: lead[i] for i, k in enumerate(keys)}
    heading_of = {k: heading[i] for i, k in enumerate(keys)}

    # every candidate passage's units again, each embedded with its section path before it
    context_of: dict[str, np.ndarray] = {}
    all_chunks = {c.id: c for *_, chunks, _, _ in raw for c in chunks}
    memos = {cid: m for *_, memo, _ in raw for cid, m in memo.items()}
    texts_ctx, owners = [], []
    for cid, chunk in all_chunks.items():
        for stored in memos[cid].units:
            texts_ctx.append(f"{chunk.section}: {stored.unit.display}")
            owners.append(cid)
    encoded = kb.embedder.encode(texts_ctx) if texts_ctx else np.zeros((0, 1))
    for cid in all_chunks:
        rows = [i for i, o in enumerate(owners) if o == cid]
        context_of[cid] = encoded[rows] if rows else np.zeros((0, encoded.shape[1] if len(encoded) else 1))

    # the sentences of a question of two or more (a story, then the ask), each embedded alone
    part_texts = {item.id: [p for p in re.split(r"(?<=[.!?])\s+", item.q.strip()) if len(p.split()) >= 3]
                  for _, item, *_ in raw}
    flat = [p for parts in part_texts.values() if len(parts) >= 2 for p in parts]
    flat_vectors = kb.embedder.encode(flat) if flat else np.zeros((0, 1))
    part_of, at = {}, 0
    for qid, parts in part_texts.items():
        if len(parts) >= 2:
            part_of[qid] = np.asarray(flat_vectors[at:at + len(parts)], dtype=np.float32)
            at += len(parts)

    questions = []
    for file, item, vector, kind, retrieval, chunks, memo, scores in raw:
        dim = len(vector)
        best_keyword = max((scores.get(c.id, 0.0) for c in chunks), default=0.0) or 1.0
        section_index: dict[tuple[str, str], int] = {}
        section_of = np.array([section_index.setdefault((c.source, c.section), len(section_index)) for c in chunks])
        sections = list(section_index)
        unit_rows, pad_rows, counts, offset = [], [], [], 0
        width = max((len(memo[c.id].matrix) for c in chunks), default=0) or 1
        for c in chunks:
            m = memo[c.id].matrix
            unit_rows.append(m)
            pad_rows.append([offset + i for i in range(len(m))] + [-1] * (width - len(m)))
            counts.append(len(m))
            offset += len(m)
        expected = [(e.source, e.section) for e in item.expected]
        relevant = np.array([any(same_section(s, e) for e in expected) for s in sections])
        product_sections = [(s.chunk.source, s.chunk.section) for s in retrieval.sections]
        by_key = {(s.chunk.source, s.chunk.section): s.features for s in retrieval.sections}
        questions.append(Question(
            id=item.id, file=file, text=item.q, kind=kind, vector=np.asarray(vector, dtype=np.float32), relevant=relevant,
            chunk_vectors=np.vstack([memo[c.id].vector for c in chunks]).astype(np.float32),
            unit_vectors=np.vstack(unit_rows).astype(np.float32) if offset else np.zeros((0, dim), np.float32),
            unit_pad=np.array(pad_rows, dtype=int), unit_count=np.array(counts),
            document_vectors=np.vstack([priors.centroids.get(c.source, memo[c.id].vector) for c in chunks]
                                       ).astype(np.float32),
            centrality=np.array([priors.centrality.get(c.id, default_centrality) for c in chunks]),
            keyword=np.array([scores.get(c.id, 0.0) / best_keyword for c in chunks]),
            section_of=section_of,
            lead_vectors=np.vstack([lead_of[s] for s in sections]).astype(np.float32),
            heading_vectors=np.vstack([heading_of[s] for s in sections]).astype(np.float32),
            product_raw=np.array([[by_key[s][f] for f in BASE] for s in sections]),
            product_rank=first_relevant_rank(product_sections[:RANK_DEPTH], expected),
            section_keys=tuple(sections),
            part_vectors=part_of.get(item.id),
            context_unit_vectors=np.vstack([context_of[c.id] for c in chunks]).astype(np.float32) if offset
            else np.zeros((0, dim), np.float32),
        ))
    return questions


# -- features -------------------------------------------------------------------------------
def raw_features(q: Question, vector: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(sections, len(names)) raw features of q's sections for this question vector, computed
    exactly as rag.ranker.rank does (per passage, then the maximum over a section's passages)."""
    dense = q.chunk_vectors @ vector
    unit_scores = q.unit_vectors @ vector if len(q.unit_vectors) else np.zeros(0, np.float32)
    padded = np.where(q.unit_pad >= 0, unit_scores[np.maximum(q.unit_pad, 0)] if len(unit_scores) else 0.0, -np.inf)
    padded = -np.sort(-padded, axis=1)
    has = q.unit_count > 0
    best = np.where(has, padded[:, 0], dense)
    top = padded[:, :3]
    top3 = np.where(has, np.where(np.isfinite(top), top, 0.0).sum(axis=1) / np.clip(np.minimum(q.unit_count, 3), 1, None),
                    dense)
    per_chunk = {"dense": dense, "best_unit": best, "top3_units": top3, "centrality": q.centrality,
                 "document": np.einsum("ij,j->i", q.document_vectors, vector), "keyword": q.keyword}
    if any(name.endswith("_parts") for name in names):
        parts = [vector] + (list(q.part_vectors) if q.part_vectors is not None else [])
        per_chunk["dense_parts"] = np.max([q.chunk_vectors @ p for p in parts], axis=0)
        per_chunk["best_unit_parts"] = np.max(
            [_unit_maxima(q, q.unit_vectors @ p, q.chunk_vectors @ p)[0] for p in parts], axis=0)
    if any(name.endswith("_ctx") for name in names):
        per_chunk["best_unit_ctx"], per_chunk["top3_units_ctx"] = _unit_maxima(q, q.context_unit_vectors @ vector, dense)
    n_sections = len(q.relevant)
    columns = []
    for name in names:
        if name == "coach_doc":  # a question in a manager's words, and a section of the coaching playbook
            asks_coach = float(bool(_COACH_WORDS.search(q.text)))
            columns.append(np.array([asks_coach * float(k[1].startswith("Sales Coach")) for k in q.section_keys]))
        elif name.startswith("sec:"):  # one section's own bias (an indicator column)
            columns.append(np.array([float(k[1] == name[4:]) for k in q.section_keys]))
        elif name == "lead":
            columns.append(q.lead_vectors @ vector)
        elif name == "heading":
            columns.append(q.heading_vectors @ vector)
        else:
            col = np.full(n_sections, -np.inf)
            np.maximum.at(col, q.section_of, per_chunk[name].astype(np.float64))
            columns.append(col)
    return np.column_stack(columns).astype(np.float64)


def _unit_maxima(q: Question, unit_scores: np.ndarray, dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    padded = np.where(q.unit_pad >= 0, unit_scores[np.maximum(q.unit_pad, 0)] if len(unit_scores) else 0.0, -np.inf)
    padded = -np.sort(-padded, axis=1)
    has = q.unit_count > 0
    top = padded[:, :3]
    top3 = np.where(has, np.where(np.isfinite(top), top, 0.0).sum(axis=1) / np.clip(np.minimum(q.unit_count, 3), 1, None),
                    dense)
    return np.where(has, padded[:, 0], dense), top3


def standardize(matrix: np.ndarray) -> np.ndarray:
    """As rag.ranker.standardize: each column to mean 0, unit variance across the sections."""
    spread = matrix.std(axis=0)
    spread[spread == 0] = 1.0
    return (matrix - matrix.mean(axis=0)) / spread


def matrices(questions: list[Question], names: tuple[str, ...], vectors: np.ndarray | None = None) -> list[np.ndarray]:
    """Standardized feature matrices, one per question (``vectors``: adapted question vectors)."""
    out = []
    for i, q in enumerate(questions):
        v = q.vector if vectors is None else vectors[i]
        out.append(standardize(raw_features(q, v, names)))
    return out


# -- the linear ranker (as fit/ranker.py: listwise softmax, L2 / n) -------------------------
@dataclass
class Padded:
    x: np.ndarray  # (questions, sections, features)
    target: np.ndarray  # (questions, sections): spread evenly over the relevant sections
    mask: np.ndarray  # (questions, sections)


def pad(xs: list[np.ndarray], ys: list[np.ndarray]) -> Padded:
    keep = [i for i, y in enumerate(ys) if y.any()]
    width = max(len(xs[i]) for i in keep)
    features = xs[keep[0]].shape[1]
    x = np.zeros((len(keep), width, features))
    t = np.zeros((len(keep), width))
    m = np.zeros((len(keep), width), dtype=bool)
    for row, i in enumerate(keep):
        n = len(xs[i])
        x[row, :n], m[row, :n] = xs[i], True
        t[row, :n] = ys[i] / ys[i].sum()
    return Padded(x, t, m)


def fit_ranker(data: Padded, l2: float) -> np.ndarray:
    from scipy.optimize import minimize

    n = len(data.x)

    def loss(w):
        s = np.where(data.mask, data.x @ w, -np.inf)
        s = s - s.max(axis=1, keepdims=True)
        e = np.where(data.mask, np.exp(s), 0.0)
        p = e / e.sum(axis=1, keepdims=True)
        total = -float((data.target * np.log(p + 1e-12)).sum())
        grad = np.einsum("qs,qsf->f", p - data.target, data.x)
        return total / n + l2 * (w @ w) / (2 * n), grad / n + l2 * w / n

    return minimize(loss, np.full(data.x.shape[2], 0.1), jac=True, method="L-BFGS-B").x


def first_rank(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> int | None:
    order = np.argsort(-(x @ w), kind="stable")
    hit = np.flatnonzero(y[order][:RANK_DEPTH])
    return int(hit[0]) + 1 if len(hit) else None


def summarize(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {"hit@1": sum(r == 1 for r in ranks) / n, "hit@5": sum(r is not None and r <= 5 for r in ranks) / n,
            "mrr": sum(1.0 / r for r in ranks if r) / n}


def mrr(ranks: list[int | None]) -> float:
    return summarize(ranks)["mrr"]


# -- the question adapter ---------------------------------------------------------------------
def fit_adapter(pairs_q: np.ndarray, pairs_t: np.ndarray, strength: float) -> np.ndarray:
    """W minimising |Q W - T|^2 + strength |W - I|^2 (ridge towards the identity)."""
    dim = pairs_q.shape[1]
    gram = pairs_q.T @ pairs_q + strength * np.eye(dim)
    return np.linalg.solve(gram, pairs_q.T @ pairs_t + strength * np.eye(dim))


def adapted(vectors: np.ndarray, w: np.ndarray) -> np.ndarray:
    out = vectors @ w
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


# -- folds ------------------------------------------------------------------------------------
def grouped_folds(files: list[str], groups: list[str], k: int, seed: int) -> list[np.ndarray]:
    """k disjoint index arrays; one question text never straddles two folds, and each
    file's groups are dealt round-robin over the folds in a seeded random order."""
    rng = np.random.RandomState(seed)
    fold_of: dict[str, int] = {}
    for name in sorted(set(files)):
        names = sorted({g for f, g in zip(files, groups) if f == name and g not in fold_of})
        for position, g in enumerate(rng.permutation(len(names))):
            fold_of[names[g]] = (position + len(fold_of)) % k
    return [np.array([i for i, g in enumerate(groups) if fold_of[g] == f], dtype=int) for f in range(k)]


# -- candidates -------------------------------------------------------------------------------
class Candidate:
    """A ranker recipe: ``fit(train indices, choice) -> model`` and ``ranks(model, indices)``;
    ``choices`` is its hyper-parameter grid."""

    def __init__(self, name: str, names: tuple[str, ...], questions: list[Question], targets: np.ndarray | None,
                 adapter: bool = False) -> None:
        self.name, self.names, self.questions, self.adapter = name, names, questions, adapter
        self.targets = targets  # (questions, dim): mean vector of each question's expected sections
        self.vectors = np.vstack([q.vector for q in questions])
        self.ys = [q.relevant for q in questions]
        self.fixed = None if adapter else matrices(questions, names)
        self.choices = [(a, l2) for a in ADAPTER_GRID for l2 in ADAPTER_L2_GRID] if adapter else [(None, l2) for l2 in L2_GRID]

    def features(self, w_adapter):
        if w_adapter is None:
            return self.fixed
        return matrices(self.questions, self.names, adapted(self.vectors, w_adapter))

    def adapter_for(self, train: np.ndarray, strength: float) -> np.ndarray:
        q = np.vstack([np.repeat(self.vectors[i][None], len(self.targets[i]), axis=0) for i in train])
        t = np.vstack([self.targets[i] for i in train])
        return fit_adapter(q.astype(np.float64), t.astype(np.float64), strength)

    def fit_grid(self, train: np.ndarray) -> dict:
        """{choice: (adapter, weights)} for every choice, fitted on ``train``."""
        out = {}
        strengths = sorted({a for a, _ in self.choices}, key=lambda a: (a is None, a))
        for strength in strengths:
            w_adapter = None if strength is None else self.adapter_for(train, strength)
            xs = self.features(w_adapter)
            data = pad([xs[i] for i in train], [self.ys[i] for i in train])
            for a, l2 in self.choices:
                if a == strength:
                    out[(a, l2)] = (w_adapter, fit_ranker(data, l2), xs)
        return out

    def ranks(self, fitted, indices: np.ndarray) -> list[int | None]:
        _, w, xs = fitted
        return [first_rank(xs[i], self.ys[i], w) for i in indices]

    def choose(self, train: np.ndarray, seed: int, files: list[str], groups: list[str]) -> tuple:
        """The choice of best inner cross-validated MRR on ``train`` (ties: the most regularised)."""
        inner = grouped_folds([files[i] for i in train], [groups[i] for i in train], INNER_FOLDS, seed)
        ranks: dict[tuple, list] = {c: [] for c in self.choices}
        for part in inner:
            held = train[part]
            fit_on = np.setdiff1d(train, held)
            for choice, fitted in self.fit_grid(fit_on).items():
                ranks[choice] += self.ranks(fitted, held)
        score = {c: mrr(r) for c, r in ranks.items()}
        best = max(score.values())
        tied = [c for c in self.choices if score[c] >= best - 1e-12]
        return max(tied, key=lambda c: (c[0] or 0.0, c[1]))

    def fit_one(self, train: np.ndarray, choice: tuple):
        a, l2 = choice
        w_adapter = None if a is None else self.adapter_for(train, a)
        xs = self.features(w_adapter)
        return (w_adapter, fit_ranker(pad([xs[i] for i in train], [self.ys[i] for i in train]), l2), xs)


class NeighbourCandidate(Candidate):
    """``f`` plus one column from the questions already answered: for each section, the summed
    similarity of the ``k`` nearest training questions (other question texts only) whose
    expected sections include it. Rebuilt from the training questions of every fold."""

    K_GRID = (5, 10, 20)

    def __init__(self, name: str, names: tuple[str, ...], questions: list[Question], groups: list[str]) -> None:
        super().__init__(name, names, questions, None)
        self.groups = np.array(groups)
        self.similarity = self.vectors @ self.vectors.T
        self.labels = [{q.section_keys[j][1] for j in np.flatnonzero(q.relevant)} for q in questions]
        self.choices = [(k, l2) for k in self.K_GRID for l2 in L2_GRID]

    def neighbour_features(self, train: np.ndarray, k: int) -> list[np.ndarray]:
        out = []
        for i, q in enumerate(self.questions):
            pool = train[self.groups[train] != self.groups[i]]
            sims = self.similarity[i, pool]
            nearest = np.argsort(-sims)[:k]
            column = np.zeros(len(q.section_keys))
            for j, sim in zip(pool[nearest], sims[nearest]):
                weight = max(0.0, float(sim))
                for r, key in enumerate(q.section_keys):
                    if key[1] in self.labels[j]:
                        column[r] += weight
            out.append(np.hstack([self.fixed[i], standardize(column[:, None])]))
        return out

    def fit_grid(self, train: np.ndarray) -> dict:
        out = {}
        for k in self.K_GRID:
            xs = self.neighbour_features(train, k)
            data = pad([xs[i] for i in train], [self.ys[i] for i in train])
            for a, l2 in self.choices:
                if a == k:
                    out[(a, l2)] = (None, fit_ranker(data, l2), xs)
        return out

    def fit_one(self, train: np.ndarray, choice: tuple):
        k, l2 = choice
        xs = self.neighbour_features(train, k)
        return (None, fit_ranker(pad([xs[i] for i in train], [self.ys[i] for i in train]), l2), xs)


@dataclass
class CVResult:
    out_ranks: dict[int, list[int | None]]  # question index -> its out-of-fold rank per repeat
    in_mrr: list[tuple[float, int]]  # (in-fold MRR, training size) per outer fold
    in_mrr_by_file: dict[str, list[float]]
    choices: Counter
    weights: list[np.ndarray]


def cross_validate(candidate: Candidate, files: list[str], groups: list[str], repeats: int) -> CVResult:
    n = len(files)
    result = CVResult({i: [] for i in range(n)}, [], {f: [] for f in DEV_FILES}, Counter(), [])
    for seed in range(repeats):
        for part in grouped_folds(files, groups, FOLDS, seed):
            train = np.setdiff1d(np.arange(n), part)
            choice = candidate.choose(train, seed, files, groups)
            fitted = candidate.fit_one(train, choice)
            result.choices[choice] += 1
            result.weights.append(fitted[1])
            for i, r in zip(part, candidate.ranks(fitted, part)):
                result.out_ranks[i].append(r)
            in_ranks = candidate.ranks(fitted, train)
            result.in_mrr.append((mrr(in_ranks), len(train)))
            for f in DEV_FILES:
                sel = [r for i, r in zip(train, in_ranks) if files[i] == f]
                if sel:
                    result.in_mrr_by_file[f].append(mrr(sel))
    return result


def averaged(ranks_per_question: dict[int, list], indices) -> dict[str, float]:
    """Metrics per repeat over ``indices``, averaged over the repeats."""
    repeats = len(next(iter(ranks_per_question.values())))
    per = [summarize([ranks_per_question[i][r] for i in indices]) for r in range(repeats)]
    return {k: float(np.mean([p[k] for p in per])) for k in per[0]}


def leave_one_file_out(candidate: Candidate, files: list[str], groups: list[str]) -> dict[str, dict]:
    """Train on the other files (choice by inner CV on them), score the one left out."""
    out = {}
    for held_file in DEV_FILES:
        held = np.array([i for i, f in enumerate(files) if f == held_file])
        train = np.array([i for i, f in enumerate(files) if f != held_file])
        choice = candidate.choose(train, 0, files, groups)
        fitted = candidate.fit_one(train, choice)
        out[held_file] = {**summarize(candidate.ranks(fitted, held)), "choice": choice,
                          "in_mrr": mrr(candidate.ranks(fitted, train))}
    return out


# -- the report -------------------------------------------------------------------------------
def fmt_choice(choice: tuple) -> str:
    a, l2 = choice
    if isinstance(a, int):  # a neighbour count (candidate i)
        return f"k={a}, L2={l2:g}"
    return f"L2={l2:g}" if a is None else f"ridge={a:g}, L2={l2:g}"


def reading(results, labels, index_of, a_ranks) -> list[str]:
    """The automatic summary: the best candidate by pooled out-of-fold MRR and its margins."""
    if not results:
        return ["Only the shipped ranker was scored."]
    pooled = {k: averaged(cv.out_ranks, index_of["pooled"]) for k, (_, cv) in results.items()}
    best = max(pooled, key=lambda k: pooled[k]["mrr"])
    a = summarize([a_ranks[i] for i in index_of["pooled"]])
    lines = [(f"- Best pooled out-of-fold MRR: {labels[best]}, {pooled[best]['mrr']:.3f} "
              f"(hit@1 {pooled[best]['hit@1']:.3f}, hit@5 {pooled[best]['hit@5']:.3f}); the shipped ranker on the "
              f"same questions: MRR {a['mrr']:.3f} (hit@1 {a['hit@1']:.3f}, hit@5 {a['hit@5']:.3f}), all of them "
              "in-sample.")]
    for k, m in pooled.items():
        if k != best:
            lines.append(f"- {labels[k]}: MRR {m['mrr']:.3f} ({m['mrr'] - pooled[best]['mrr']:+.3f} against the best).")
    return lines


def main() -> None:
    from bench.harness import RESULTS, cell, machine, open_store, table
    from rag.ranker import WEIGHTS_FILE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="b,c,c-lead,d,d-b", help="comma-separated candidates besides a")
    parser.add_argument("--date", default=None, help="date in the report's name (default: today)")
    args = parser.parse_args()
    started = time.perf_counter()
    kb = open_store(args.data_dir)
    questions = gather(kb)
    gathered = time.perf_counter() - started
    files = [q.file for q in questions]
    from evals.golden import question_key

    groups = [question_key(q.text) for q in questions]
    counts = Counter(files)
    routed_floor = sum(q.kind != "playbook" for q in questions)
    playbook_passages = sorted({len(q.chunk_vectors) for q in questions if q.kind == "playbook"})

    # the in-memory features must be the product's: check every question
    shipped = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    w_shipped = np.array([shipped["weights"][f] for f in BASE])
    worst = max(float(np.abs(raw_features(q, q.vector, BASE) - q.product_raw).max()) for q in questions)
    base_x = matrices(questions, BASE)
    from rag.ranker import prior_columns

    bias = shipped.get("section_bias", {})
    known = sorted(bias)
    w_bias = np.array([bias[k] for k in known])
    a_x = [np.hstack([x, prior_columns([k[1] for k in q.section_keys], known)]) if known else x
           for x, q in zip(base_x, questions)]
    w_a = np.concatenate([w_shipped, w_bias]) if known else w_shipped
    if shipped.get("answered"):  # the shipped answered questions vote as in the product (a question finds itself)
        from rag.answered import answered_questions, section_votes

        shipped_questions = answered_questions()
        answered_vectors = kb.embedder.encode([q.text for q in shipped_questions])
        k_vote = int(shipped["answered"]["k"])
        a_x = [np.hstack([x, standardize(section_votes(q.vector, answered_vectors, shipped_questions,
                                                       [key[1] for key in q.section_keys], k_vote)[:, None])])
               for x, q in zip(a_x, questions)]
        w_a = np.concatenate([w_a, [float(shipped["answered"]["weight"])]])
    a_ranks = [first_rank(x, q.relevant, w_a) for x, q in zip(a_x, questions)]
    agree = sum(r == q.product_rank for r, q in zip(a_ranks, questions))

    # training targets for the adapter: the mean passage vector of each expected section
    from evals.metrics import same_section

    chunks, vectors, _ = kb.answerer.docstore.kind_vectors("playbook")
    section_vectors: dict[tuple[str, str], np.ndarray] = {}
    for key in {(c.source, c.section) for c in chunks}:
        v = vectors[[i for i, c in enumerate(chunks) if (c.source, c.section) == key]].mean(axis=0)
        section_vectors[key] = v / np.linalg.norm(v)
    items = {(f, q.id): q for f, q in load_questions()}
    targets = []
    for q in questions:
        wanted = [(e.source, e.section) for e in items[(q.file, q.id)].expected]
        matched = [section_vectors[k] for k in section_vectors if any(same_section(k, e) for e in wanted)]
        targets.append(np.vstack(matched) if matched else np.zeros((0, vectors.shape[1])))  # a heading with no text
    kb.close()

    wanted = args.only.split(",")
    playbook_sections = sorted({k[1] for q in questions for k in q.section_keys if "playbooks/" in k[0]})
    SECTION_BIAS = tuple(f"sec:{k}" for k in playbook_sections)
    recipes = {"b": ("b", BASE, False), "c": ("c", BASE + EXTRA, False), "c-lead": ("c-lead", BASE + ("lead",), False),
               "d": ("d", BASE + EXTRA, True), "d-b": ("d-b", BASE, True),
               "f": ("f", BASE + SECTION_BIAS, False), "g": ("g", BASE + ("coach_doc",) + SECTION_BIAS, False),
               "h": ("h", BASE + ("dense_parts", "best_unit_parts") + SECTION_BIAS, False),
               "i": ("i", BASE + SECTION_BIAS, False), "f-d": ("f-d", BASE + SECTION_BIAS, True),
               "e": ("e", CONTEXT, False), "e+": ("e+", BASE + ("best_unit_ctx", "top3_units_ctx"), False)}
    results, lofo, timings = {}, {}, {}
    for key in wanted:
        if key not in recipes:
            continue
        name, names, adapter = recipes[key]
        t0 = time.perf_counter()
        if key == "i":
            candidate = NeighbourCandidate(name, names, questions, groups)
        else:
            candidate = Candidate(name, names, questions, targets, adapter=adapter)
        results[key] = (candidate, cross_validate(candidate, files, groups, args.repeats))
        lofo[key] = leave_one_file_out(candidate, files, groups)
        timings[key] = time.perf_counter() - t0
        print(f"{key}: {timings[key]:.0f} s", flush=True)

    scopes = [*DEV_FILES, "pooled"]
    index_of = {s: [i for i, f in enumerate(files) if s in (f, "pooled")] for s in scopes}
    rows = []
    for s in scopes:
        m = summarize([a_ranks[i] for i in index_of[s]])
        note = "in-sample: " + shipped.get("fitted_on", "")[:60]
        rows.append(("a shipped", s, len(index_of[s]), cell(m["hit@1"]), cell(m["hit@5"]), cell(m["mrr"]), "-", "-", note))
    labels = {"b": "b refit, 6 features", "c": "c + lead + heading", "c-lead": "c-lead + lead only",
              "d": "d c + question adapter", "d-b": "d-b b + question adapter",
              "f": "f b + a bias per playbook section", "g": "g f + manager's words x coaching playbook",
              "h": "h f + the question's sentences apart",
              "i": "i f + the nearest answered questions' sections", "f-d": "f-d f + question adapter",
              "e": "e units with section path", "e+": "e+ b + units with section path"}
    for key, (candidate, cv) in results.items():
        total = sum(n for _, n in cv.in_mrr)
        in_pooled = sum(m * n for m, n in cv.in_mrr) / total
        for s in scopes:
            m = averaged(cv.out_ranks, index_of[s])
            in_m = in_pooled if s == "pooled" else float(np.mean(cv.in_mrr_by_file[s]))
            chosen = ", ".join(f"{fmt_choice(c)} x{n}" for c, n in cv.choices.most_common()) if s == "pooled" else ""
            rows.append((labels[key], s, len(index_of[s]), cell(m["hit@1"]), cell(m["hit@5"]), cell(m["mrr"]),
                         cell(in_m), cell(in_m - m["mrr"]), chosen))

    rr = {"a": np.array([1.0 / r if r else 0.0 for r in a_ranks])}
    for key, (_, cv) in results.items():
        rr[key] = np.array([np.mean([1.0 / r if r else 0.0 for r in cv.out_ranks[i]]) for i in range(len(files))])
    pairs = [("b", "a"), ("c", "b"), ("c-lead", "b"), ("c", "a"), ("d", "c"), ("d", "b"), ("d", "a"), ("d-b", "b"),
             ("d-b", "a"), ("e", "b"), ("e+", "b"), ("e", "a"), ("f", "b"), ("f", "a"), ("f-d", "f"), ("g", "f"), ("h", "f"), ("i", "f")]
    paired = []
    for new, old in pairs:
        if new in rr and old in rr:
            cells = []
            for s in scopes:
                diff = rr[new][index_of[s]] - rr[old][index_of[s]]
                cells.append(f"{diff.mean():+.3f} +- {diff.std(ddof=1) / np.sqrt(len(diff)):.3f}")
            paired.append((f"{new} - {old}", *cells))

    today = args.date or time.strftime("%Y-%m-%d")
    lines = [
        f"# Section-ranker candidates on the dev questions (issue 23, item 3), {today}", "",
        f"Machine: {machine()}", "",
        (f"`python -m bench.ranker_candidates --repeats {args.repeats}`. Questions: the in-scope questions of "
         + ", ".join(f"{f} ({counts[f]})" for f in DEV_FILES) + f", {len(questions)} in all, all dev. "
         "The frozen field-fresh and objections-fresh were not opened."), "",
        (f"Each question was retrieved once by the product, with its routing ({routed_floor} questions name the "
         "floor and search every kind, their call-note sections included; the others search the playbooks, whose "
         f"{'/'.join(map(str, playbook_passages))} passages are all candidates, Chroma's 60 covering them); "
         f"features were then recomputed in memory (largest difference from the retriever's own raw features: "
         f"{worst:.1e}; the shipped weights on them give the product's first relevant rank for {agree} of "
         f"{len(questions)} questions)."), "",
        (f"Protocol: grouped {FOLDS}-fold CV over questions (group = question text, case and spaces folded: "
         f"{len(set(groups))} groups for {len(groups)} questions; folds stratified by file), "
         f"{args.repeats} repeats (seeds 0..{args.repeats - 1}), out-of-fold metrics averaged over the repeats; "
         f"hyper-parameters chosen per outer fold by inner {INNER_FOLDS}-fold CV MRR on the training folds only "
         f"(L2 grid {list(L2_GRID)}; adapter: ridge {list(ADAPTER_GRID)} x L2 {list(ADAPTER_L2_GRID)}). "
         "In-fold MRR: the same fitted models scored on their own training questions. MRR is 10 ranks deep, "
         "as `coach eval`. Gap = in-fold MRR - out-of-fold MRR."), "",
        "## Cross-validated (out-of-fold) on the three dev files", "",
        *table(("candidate", "file", "n", "hit@1", "hit@5", "MRR", "in-fold MRR", "gap", "notes"), rows), "",
        "## Leave one file out (train on the other files, score this one)", "",
        *table(("candidate", "held-out file", "n", "hit@1", "hit@5", "MRR", "in-fold MRR", "gap", "chosen"),
               [(labels[k], f, counts[f], cell(r["hit@1"]), cell(r["hit@5"]), cell(r["mrr"]), cell(r["in_mrr"]),
                 cell(r["in_mrr"] - r["mrr"]), fmt_choice(r["choice"])) for k, per in lofo.items() for f, r in per.items()]),
        "",
        ("Candidate a, the shipped ranker, is fitted on all three files (in-sample); candidate f is how it was "
         "fitted, so f's rows are its out-of-fold estimate."), "",
        "## Mean fitted weights (standardized features, over the outer folds)", "",
        *table(("candidate", *BASE, *EXTRA),
               [("a shipped", *(f"{v:.2f}" for v in w_shipped), "-", "-")]
               + [(labels[k], *(f"{v:.2f}" for v in np.mean(cv.weights, axis=0)[:len(BASE)]),
                   *[f"{np.mean(cv.weights, axis=0)[len(BASE) + j]:.2f}" if len(c.names) > len(BASE) + j else "-"
                     for j in range(len(EXTRA))]) for k, (c, cv) in results.items()]), "",
        (f"Run time: {time.perf_counter() - started:.0f} s (retrieval of every question once {gathered:.0f} s; "
         + ", ".join(f"{k} {t:.0f} s" for k, t in timings.items()) + ")."), "",
        "## Paired differences in out-of-fold MRR", "",
        ("Per question: reciprocal rank averaged over the repeats; mean difference +- standard error over "
         "questions (a's field-dev rows are in-sample for a)."), "",
        *table(("comparison", *scopes), paired),
        "", "## Reading", "", *reading(results, labels, index_of, a_ranks), "",
    ]
    out = RESULTS / f"ranker-candidates-{today}.md"
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
