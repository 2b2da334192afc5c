"""Run the golden sets against a knowledge base and collect typed results.

dev and heldout are measured and reported separately: dev is for tuning, heldout only
for reporting. Store-wide checks (mental models, the sample floor's observations) are
measured once per run and report "unavailable" when the store cannot provide them.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from core.errors import CoachError, InputError
from core.records import Hit
from evals import golden
from evals.floor import FloorCheck, floor_checks, unplanted
from evals.golden import GoldenQuestion, ModelExpectation
from evals.metrics import (
    CitedQuote, citation_problems, covered_groups, first_relevant_rank, group_coverage,
    hit_at_k, mean, ndcg_at_k, reciprocal_rank, same_source, share,
)
from evals.records import Metric, ModelCoverage, QuestionResult, SetReport, StoreInfo, SuiteReport
from core.store import STORE_FILE, Store

ANSWER_K = 5  # passages an answer is built from, as `coach ask` does by default
RANK_DEPTH = 10  # ranked hits kept per question for MRR
NDCG_K = 5
INDEX_PARTS = ("docstore.sqlite3", "chroma", "bm25", STORE_FILE)
Judge = Callable[..., bool]


def retrieve(kb, question: str, k: int = RANK_DEPTH) -> list[Hit]:
    """The ranked hits `coach ask` builds its answer from (same routing: playbooks unless the
    question is about the floor), ``k`` deep."""
    return kb.answerer.search(question, k=k).hits


def run_suite(kb, sets: Sequence[str] = golden.DEFAULT_SETS, subset: Sequence[str] | None = None,
              judge: Judge | None = None) -> SuiteReport:
    """Evaluate every question of ``sets`` (only ids in ``subset`` when given) and the memory."""
    kb.require_content()
    questions = {name: _selected(golden.load_set(name), subset) for name in sets}
    if subset is not None:
        unknown = set(subset) - {q.id for items in questions.values() for q in items}
        if unknown:
            raise InputError(f"unknown question ids in the subset: {', '.join(sorted(unknown))}; "
                             "fix evals/fast_subset.txt")
    sources = SourceTexts(kb)
    reports = {}
    for name, items in questions.items():
        results = tuple(evaluate_question(kb, item, sources, judge) for item in items)
        reports[name] = SetReport(name, set_metrics(results, judged=judge is not None), results)
    models, model_metric = mental_model_coverage(kb, golden.load_mental_models())
    checks, floor_metrics = observation_checks(kb, golden.load_floor())
    return SuiteReport(
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        store=store_info(kb), golden=golden.golden_digest(), sets=reports,
        suite={"mental_model_coverage": model_metric, **floor_metrics},
        subset=tuple(subset) if subset is not None else None, models=models, floor=checks,
    )


def _selected(items: list[GoldenQuestion], subset: Sequence[str] | None) -> list[GoldenQuestion]:
    return items if subset is None else [q for q in items if q.id in set(subset)]


# -- one question ------------------------------------------------------------------------
def evaluate_question(kb, item: GoldenQuestion, sources: SourceTexts,
                      judge: Judge | None = None) -> QuestionResult:
    hits = retrieve(kb, item.q)
    ranked = [(h.chunk.source, h.chunk.section) for h in hits]
    expected = [(e.source, e.section) for e in item.expected]
    answer = kb.ask(item.q, k=ANSWER_K)
    covered = covered_groups(answer.answer, item.must_mention) if answer.grounded else [False] * len(item.must_mention)
    cited = [CitedQuote(c.n, c.source, c.quote) for c in answer.citations]
    return QuestionResult(
        id=item.id, q=item.q, kind=item.kind,
        hit_rank=first_relevant_rank(ranked, expected) if expected else None,
        ndcg=ndcg_at_k(ranked, expected, NDCG_K) if expected else None,
        top_sections=tuple(f"{s} :: {sec}" for s, sec in ranked[:ANSWER_K]),
        covered=tuple(covered),
        missing=tuple(g[0] for g, ok in zip(item.must_mention, covered) if not ok),
        grounded=answer.grounded,
        citation_problems=tuple(citation_problems(answer.answer, cited, sources)),
        faithful=judge(answer) if judge is not None and answer.grounded else None,
        answer=answer.answer,
        match=answer.match,
    )


def set_metrics(results: Sequence[QuestionResult], judged: bool = False) -> dict[str, Metric]:
    ranked = [r for r in results if r.in_scope and r.ndcg is not None]
    in_scope = [r for r in results if r.in_scope]
    out = [r for r in results if not r.in_scope]
    answered = [r for r in results if r.grounded]
    metrics = {
        f"hit@{k}": _metric(share(hit_at_k(r.hit_rank, k) for r in ranked), len(ranked)) for k in (1, 3, 5)
    }
    metrics["mrr"] = _metric(mean(reciprocal_rank(r.hit_rank) for r in ranked), len(ranked))
    metrics[f"ndcg@{NDCG_K}"] = _metric(mean(r.ndcg for r in ranked), len(ranked))
    metrics["must_mention"] = _metric(group_coverage(r.covered for r in in_scope),
                                      sum(len(r.covered) for r in in_scope))
    words = [answer_words(r.answer) for r in in_scope if r.grounded]
    metrics["answer_words"] = _metric(float(statistics.median(words)) if words else None, len(words))
    metrics["citation_validity"] = _metric(share(not r.citation_problems for r in answered), len(answered))
    metrics["oos_refusal"] = _metric(share(not r.grounded for r in out), len(out))
    metrics["false_refusal"] = _metric(share(not r.grounded for r in in_scope), len(in_scope))
    # a weak answer is grounded (the closest sections, its first line saying the playbooks do not
    # address the question directly): oos_refusal counts it as answered, these make it visible
    metrics["oos_weak"] = _metric(share(r.match == "weak" for r in out), len(out))
    metrics["in_scope_weak"] = _metric(share(r.match == "weak" for r in in_scope), len(in_scope))
    if judged:
        metrics["faithfulness"] = _metric(share(bool(r.faithful) for r in answered), len(answered))
    return metrics


def answer_words(text: str) -> int:
    """Words a reader reads: the answer without its [n] markers, bullets and step numbers."""
    return sum(1 for w in _MARKER.sub(" ", text).split() if any(c.isalnum() for c in w))


_MARKER = re.compile(r"\[\d+\]|^\s*(?:-|\d+\.)\s", re.MULTILINE)


def _metric(value: float | None, n: int) -> Metric:
    return Metric(value, n, "" if value is not None else "no questions of this kind")


# -- store-wide checks -------------------------------------------------------------------
def mental_model_coverage(kb, expectations: Sequence[ModelExpectation]) -> tuple[tuple[ModelCoverage, ...], Metric]:
    if not hasattr(kb, "mental_models"):
        return (), Metric(None, 0, "unavailable: the coaching memory (kb.mental_models) is not built yet")
    try:
        models = {m.id: m for m in kb.mental_models()}
        note = ""
    except CoachError as error:  # the memory exists but holds no models: nothing is covered
        models, note = {}, f"no mental models: {error}"
    results = []
    for want in expectations:
        model = models.get(want.id)
        covered = covered_groups(model.content, want.must_cover) if model else [False] * len(want.must_cover)
        missing = tuple(g[0] for g, ok in zip(want.must_cover, covered) if not ok)
        results.append(ModelCoverage(want.id, tuple(covered), missing, model is not None))
    groups = sum(len(r.covered) for r in results)
    return tuple(results), Metric(group_coverage(r.covered for r in results), groups, note)


def observation_checks(kb, expected: dict | None) -> tuple[tuple[FloorCheck, ...], dict[str, Metric]]:
    """The floor checks, and the share of promoted observations that are planted patterns."""
    names = ("observation_checks", "observation_precision")
    if not (hasattr(kb, "observations") and hasattr(kb, "interventions")):
        return (), _unavailable(names, "unavailable: the coaching memory (kb.observations) is not built yet")
    if expected is None:
        return (), _unavailable(names, f"unavailable: {golden.FLOOR_FILE} is missing")
    stored = list(kb.docstore.documents())
    planted = {s for e in expected.get("observations", []) for s in e["calls"]}
    if not any(same_source(s, p) for s in stored for p in planted):
        return (), _unavailable(names, "unavailable: the sample floor (knowledge/calls/) is not in this store")
    observations = kb.observations(include_one_offs=True)
    checks = tuple(floor_checks(observations, kb.interventions(), expected))
    promoted = [o for o in observations if o.promoted]
    extra = unplanted(promoted, expected)
    note = "not planted: " + "; ".join(f"{o.rep or 'team'} {o.theme} {o.polarity}" for o in extra) if extra else ""
    return checks, {
        "observation_checks": Metric(share(c.passed for c in checks), len(checks)),
        "observation_precision": Metric(share(o not in extra for o in promoted), len(promoted), note),
    }


def _unavailable(names: Sequence[str], note: str) -> dict[str, Metric]:
    return {name: Metric(None, 0, note) for name in names}


def store_info(kb) -> StoreInfo:
    """What the store holds: every document's content hash, the memory's files, model and LLM."""
    documents = kb.docstore.documents()
    digest = hashlib.sha256()
    for source in sorted(documents):
        digest.update(f"{source}\0{documents[source].hash}\n".encode())
    for path in _memory_files(kb.data_dir):
        digest.update(path.relative_to(kb.data_dir).as_posix().encode() + b"\0" + path.read_bytes())
    digest.update(f"{kb.embedder.model_id}\0{kb.settings.llm}".encode())
    return StoreInfo(
        data_dir=str(kb.data_dir), generation=kb.docstore.generation(),
        fingerprint=digest.hexdigest()[:16], embed_model=kb.embedder.model_id, llm=kb.settings.llm,
    )


def _memory_files(data_dir: Path) -> list[Path]:
    """Files of the store other than the indexes (docstore, chroma/, bm25/): the coaching memory."""
    files = []
    for part in Store(data_dir).index_parts():
        if part.name.startswith(INDEX_PARTS):
            continue
        files.extend(sorted(p for p in part.rglob("*") if p.is_file()) if part.is_dir() else [part])
    return files


class SourceTexts:
    """Source display path -> text of the file it was ingested from (read once)."""

    def __init__(self, kb) -> None:
        self._paths = {source: Path(row.path) for source, row in kb.docstore.documents().items()}
        self._texts: dict[str, str | None] = {}

    def __call__(self, source: str) -> str | None:
        if source not in self._texts:
            self._texts[source] = self._read(source)
        return self._texts[source]

    def _read(self, source: str) -> str | None:
        for path in (self._paths.get(source), Path(source)):
            if path is None:
                continue
            try:
                return path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
        return None



def evaluate(kb, sets: Sequence[str], subset: Sequence[str] | None = None, baseline=None):
    """Run the suite with the store's judge and save the report: what ``coach eval`` and the
    app's Evals tab both do. Returns (report, comparison with ``baseline`` or None, saved paths)."""
    from evals.judge import build_judge
    from evals.report import compare, write_report

    report = run_suite(kb, sets, subset, judge=build_judge(kb.settings.llm))
    comparison = compare(report, baseline) if baseline is not None else None
    return report, comparison, write_report(report, kb.data_dir, comparison=comparison)
