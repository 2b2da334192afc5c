"""Coach and a plain llama-index pipeline on the field question sets, in one run.

    python -m bench.field_report [--dev-only] [--suffix=-NAME]   # writes bench/results/field-<date>NAME.md

Both systems answer every question of the dev sets (``DEV_SETS``: every question file
already read, including the test splits of earlier rounds, each scored once and read
since) and of the test split (``TEST_SETS``: frozen, written blind, checked against its
checksum on load). ``--dev-only`` leaves the test split alone (for tuning). Coach is
measured with the same code as ``coach eval`` (evals/runner.py); the baseline is
bench/llamaindex_baseline.py. Each figure is reported beside the baseline's, with their
ratio. The baseline never refuses, and its "answer" is the text of its five retrieved
nodes, so its must-mention coverage is shown with the word count that bought it.
"""

from __future__ import annotations

import argparse
import json
import statistics
from datetime import date

from bench.harness import RESULTS, ROOT, cell, machine, open_store, stopwatch, table
from bench.llamaindex_baseline import LlamaIndexBaseline, score
from evals import golden
from evals.metrics import covered_groups, group_coverage, mean, share
from evals.runner import SourceTexts, evaluate_question, set_metrics
from rag.models import MINILM, bundled_model_dir

# every choice was made on these; the ranker, its votes and the refusal model are fitted on them
DEV_SETS = ("field-dev", "field-test", "objections-dev", "field-fresh", "objections-fresh", "reps-fresh",
            "floor-talk-fresh", "next-round-fresh")
TEST_SETS = ("sellers-fresh",)  # frozen, written blind, scored once when the round's choices are final
SETS = (*DEV_SETS, *TEST_SETS)
ROWS = ("hit@1", "hit@5", "mrr", "must_mention", "answer_words", "must_mention_at_coach_length", "oos_refusal",
        "oos_weak", "false_refusal", "in_scope_weak", "citation_validity")
RATIOS = ("hit@5", "mrr", "must_mention", "must_mention_at_coach_length")


def coach_metrics(kb, name: str) -> dict[str, float | None]:
    sources = SourceTexts(kb)
    results = [evaluate_question(kb, item, sources) for item in golden.load_set(name)]
    return {k: m.value for k, m in set_metrics(results).items()}


def baseline_metrics(baseline: LlamaIndexBaseline, name: str, words: float | None) -> dict[str, float | None]:
    """``words``: coach's median answer length, at which the baseline's text is also cut."""
    items = golden.load_set(name)
    scored = []
    for item in items:
        if item.kind == "out-of-scope":
            continue
        expected = [(e.source, e.section) for e in item.expected]
        answer = baseline.ask(item.q)
        cut = " ".join(answer.text.split()[: int(words or 0)])
        scored.append(score(answer, expected, item.must_mention)
                      | {"ranked": bool(expected), "cut": covered_groups(cut, item.must_mention)})
    ranked = [s for s in scored if s["ranked"]]
    return {
        "hit@1": share(s["rank"] == 1 for s in ranked), "hit@5": share(s["hit@5"] for s in ranked),
        "mrr": mean(s["rr"] for s in ranked), "must_mention": group_coverage(s["covered"] for s in scored),
        "answer_words": float(statistics.median(s["words"] for s in scored)),
        "must_mention_at_coach_length": group_coverage(s["cut"] for s in scored),
        "oos_refusal": 0.0 if any(i.kind == "out-of-scope" for i in items) else None,
        "false_refusal": 0.0, "citation_validity": None, "oos_weak": None, "in_scope_weak": None,
    }


def figure(metrics: dict[str, float | None], name: str) -> str:
    """One metric's cell: answer_words as a whole number, the rest to three decimals."""
    return cell(metrics.get(name), 0 if name == "answer_words" else 3)


def _pooled_mrr(results, counts, names) -> float:
    """MRR over the in-scope questions of several sets, each weighted by its size."""
    sizes = {n: sum(1 for q in counts[n] if q.kind != "out-of-scope" and q.expected) for n in names}
    return sum(results[n][0]["mrr"] * sizes[n] for n in names) / sum(sizes.values())


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}x" if ours is not None and theirs else "-"


def _cross_validated() -> str:
    from rag.ranker import WEIGHTS_FILE

    cv = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")).get("cross_validated", {})
    return ", ".join(f"{name} {value:.3f}" for name, value in cv.items()) or "not recorded"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suffix", default="", help="added to the report's file name, e.g. -round2")
    parser.add_argument("--dev-only", action="store_true", help="the dev sets only: the test split stays unscored")
    args = parser.parse_args()
    sets = DEV_SETS if args.dev_only else (*DEV_SETS, *TEST_SETS)
    tests = () if args.dev_only else TEST_SETS
    took: list[float] = []
    with stopwatch(took):
        kb = open_store()
        baseline = LlamaIndexBaseline(ROOT / "knowledge" / "playbooks", str(bundled_model_dir(MINILM)))
        results = {}
        for name in sets:
            ours = coach_metrics(kb, name)
            ours["must_mention_at_coach_length"] = ours["must_mention"]
            results[name] = (ours, baseline_metrics(baseline, name, ours["answer_words"]))
        counts = {name: golden.load_set(name) for name in sets}
    dev_mrr = _pooled_mrr(results, counts, DEV_SETS)
    lines = [
        f"# Field and objection question sets: coach beside a plain llama-index pipeline ({date.today().isoformat()})",
        "",
        f"Machine: {machine()}. Embedding model: {kb.embedder.model_id}. Run took {took[0]:.0f} s.",
        "",
        "Protocol. Dev: " + ", ".join(DEV_SETS) + ". Every choice of model, ranker weights, section priors, "
        "answered questions, refusal model and composer was made on them, and the ranker (with its answered-"
        "question votes) and the refusal model are fitted on all of them, so the dev figures here are "
        "in-sample: each dev question finds itself among the answered questions. The honest dev estimate of "
        f"the ranker is its cross-validated one (`fit/ranker.py`): {_cross_validated()}. The earlier rounds' "
        "test splits (field-fresh, objections-fresh, reps-fresh, floor-talk-fresh, next-round-fresh) were "
        "each written blind, frozen and scored once before becoming dev (`field-2026-12-07*.md`). Test: "
        + (", ".join(tests) or "not scored in this run") + ": written blind by a helper who read only the "
        "playbooks and the schema, frozen by checksum before the round it tests, scored once.",
        "",
        *(f"Dev-to-test drop in MRR, {name}: dev pooled {dev_mrr:.3f}, {name} {results[name][0]['mrr']:.3f}, "
          f"drop {dev_mrr - results[name][0]['mrr']:+.3f}." for name in tests),
        "",
    ]
    for name in sets:
        inside = sum(1 for q in counts[name] if q.kind != "out-of-scope")
        ours, theirs = results[name]
        lines += [f"## {name} ({inside} in scope, {len(counts[name]) - inside} out of scope)", "",
                  *table(("metric", "coach", "llama-index baseline", "ratio"),
                         ((metric, figure(ours, metric), figure(theirs, metric),
                           _ratio(ours.get(metric), theirs.get(metric)) if metric in RATIOS else "")
                          for metric in ROWS)),
                  ""]
    lines += ["answer_words is the median word count of the answers to in-scope questions (coach: "
              "without citation markers; the baseline: its five retrieved nodes). "
              "must_mention_at_coach_length cuts the baseline's text to coach's median answer length.", ""]
    out = RESULTS / f"field-{date.today().isoformat()}{args.suffix}.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
