"""`coach eval` and the evaluation gate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coach.commands.common import EXIT_GATE, EXIT_OK, open_kb, print_json
from core.settings import Settings
from core.errors import InputError
from evals import golden

def register(commands) -> None:
    ev = commands.add_parser(
        "eval", help="run the evaluation suite on the current store and print its metrics",
        description="Run the golden questions (dev, heldout, the field and objection sets and the frozen "
        "test splits of earlier rounds, each reported separately; the split kept for a later round only "
        "when named with --set), the mental-model "
        "and sample-floor checks; write JSON and markdown reports to <data-dir>/evals/. "
        "With --baseline, compare with an earlier report and exit 3 if a gated metric regressed "
        "(tolerances in evals/gate.toml).")
    ev.add_argument("--set", dest="set_name", choices=(*golden.SETS, "all"), default="all",
                    help="which golden set to run (default: all, each reported separately, except the "
                    f"split kept unscored for a later round: {', '.join(golden.KEPT_UNSCORED)})")
    ev.add_argument("--fast", action="store_true",
                    help="only the small fixed subset of dev questions in evals/fast_subset.txt")
    ev.add_argument("--baseline", metavar="REPORT",
                    help="compare with an earlier report-*.json; exit 3 if a gated metric regressed")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--add-feedback", action="store_true",
                    help="append thumbs-down questions from <data-dir>/feedback.jsonl to "
                    "evals/golden/feedback.jsonl for review (runs no evaluation)")
    ev.add_argument("--floors", choices=("dev", "test", "all"),
                    help="instead of the golden sets: ingest each evaluation floor (evals/floors/, and the "
                    "shipped sample floor) into its own temporary store and check its memory")
    ev.set_defaults(run=cmd_eval)

def cmd_eval(args: argparse.Namespace) -> int:
    if args.add_feedback:
        return _add_feedback(args)
    if getattr(args, "floors", None):
        return _floors(args)

    from evals.gate import gate_regressions, load_gate_config
    from evals.report import load_report, render_comparison, render_problems, render_table
    from evals.runner import evaluate

    sets, subset = _selection(args, golden)
    baseline = load_report(Path(args.baseline)) if args.baseline else None
    if baseline is not None:
        _check_comparable(sets, subset, baseline, args.baseline)
    kb = open_kb(args)
    report, comparison, saved = evaluate(kb, sets, subset, baseline)
    regressions = gate_regressions(report, baseline, load_gate_config()) if baseline is not None else None
    if args.json:
        extra = {"report_path": str(saved.json_path)}
        if comparison is not None:
            extra |= {"comparison": comparison.to_dict(), "regressions": [str(r) for r in regressions]}
        print_json(report.to_dict() | extra)
    else:
        print(render_table(report))
        problems = render_problems(report)
        if problems:
            print("\n" + problems)
        if comparison is not None:
            print("\nCompared with " + args.baseline + ":\n" + render_comparison(comparison))
    print(f"report: {saved.markdown_path}", file=sys.stderr)
    if regressions:
        print("coach: gated metric(s) regressed against the baseline: " + "; ".join(map(str, regressions)),
              file=sys.stderr)
        return EXIT_GATE
    return EXIT_OK

def _selection(args: argparse.Namespace, golden) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    if args.fast:
        if args.set_name not in ("dev", "all"):
            raise InputError(f"--fast runs a subset of dev questions only; drop --set {args.set_name}")
        return ("dev",), golden.load_fast_subset()
    return (golden.DEFAULT_SETS if args.set_name == "all" else (args.set_name,)), None

def _check_comparable(sets, subset, baseline, path: str) -> None:
    if subset != baseline.subset:
        raise InputError(f"{path} ran a different question subset; run coach eval with the same "
                         "--fast/--set options as the baseline")
    if not any(name in baseline.sets for name in sets):
        raise InputError(f"{path} has none of the sets run now ({', '.join(sets)}); "
                         "run coach eval with the same --set as the baseline")

def _add_feedback(args: argparse.Namespace) -> int:
    from evals.feedback import add_feedback

    result = add_feedback(Settings.from_env(args.data_dir).data_dir)
    if args.json:
        print_json({"added": list(result.added), "already_present": result.already, "file": str(result.target)})
        return EXIT_OK
    if not result.added:
        print(f"no new thumbs-down questions ({result.already} already in the golden files)")
        return EXIT_OK
    print(f"added {len(result.added)} thumbs-down question(s) to {result.target}: {', '.join(result.added)}")
    print("next: fill in expected sections and must_mention for each, remove needs_review, "
          "then move the lines into evals/golden/dev.jsonl")
    return EXIT_OK

def _floors(args: argparse.Namespace) -> int:
    from evals.floor_suite import render_floors, run_floors, select_floors

    from coach.knowledge_base import KnowledgeBase

    results = run_floors(select_floors(args.floors), KnowledgeBase)
    if args.json:
        print_json([r.to_dict() for r in results])
    else:
        print(render_floors(results))
    return EXIT_OK
