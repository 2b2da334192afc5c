"""What refusals and weak-match answers cost on the dev questions, before and after a change.

Usage: python -m bench.refusal_costs --label before|after [--data-dir DIR]   (from the repository root)

Every question of the four dev files (``DEV_FILES``: dev, field-dev, field-test, which
counts as dev since 2026-12-03, and objections-dev) is asked through the product
(``KnowledgeBase.ask``) and its outcome recorded: refused (``grounded`` false), a
weak-match answer (``match == "weak"``: cited, and its first line says the playbooks do
not address the question directly) or a strong answer. The frozen test files are never
read.

Each outcome has a cost (``fit.refusal.COSTS``, stated there); the run writes its
per-question outcomes to ``bench/results/refusal-costs-<date>-<label>.json`` and, from
every label of that date found, ``bench/results/refusal-costs-<date>.md``.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from bench.harness import RESULTS, open_store, table
from fit.refusal import COSTS, DEV_FILES, load_dev
from rag import grounding

LABELS = ("before", "after")


def outcome(answer) -> str:
    if not answer.grounded:
        return "refused"
    return "weak" if getattr(answer, "match", "strong") == "weak" else "strong"


def measure(kb) -> list[dict]:
    rows = []
    for name, item in load_dev():
        answer = kb.ask(item.q)
        rows.append({"set": name, "id": item.id, "in_scope": item.in_scope, "outcome": outcome(answer)})
    return rows


def figures(rows: list[dict]) -> dict[str, float]:
    inside = [r for r in rows if r["in_scope"]]
    outside = [r for r in rows if not r["in_scope"]]

    def count(group, what):
        return sum(1 for r in group if r["outcome"] == what)

    cost = sum(COSTS[("in" if r["in_scope"] else "out", r["outcome"])] for r in rows)
    return {
        "in_scope": len(inside), "out_of_scope": len(outside),
        "false_refusals": count(inside, "refused"), "in_scope_weak": count(inside, "weak"),
        "oos_refused": count(outside, "refused"), "oos_weak": count(outside, "weak"),
        "oos_strong": count(outside, "strong"),
        "cost": cost, "cost_per_question": cost / len(rows) if rows else 0.0,
    }


def report(runs: dict[str, list[dict]], today: str) -> str:
    lines = [f"# Refusal costs on the dev questions, {today}", "",
             "Written by `python -m bench.refusal_costs`; each question asked through `KnowledgeBase.ask` on "
             "`knowledge/` as shipped. Dev files: " + ", ".join(f"`{f}`" for f in DEV_FILES.values()) +
             " (the frozen field-fresh and objections-fresh are not read).", "",
             "## Costs of each outcome", "",
             *table(["question", "refused", "weak-match answer", "strong answer"],
                    [["in scope", COSTS[("in", "refused")], COSTS[("in", "weak")], COSTS[("in", "strong")]],
                     ["out of scope", COSTS[("out", "refused")], COSTS[("out", "weak")], COSTS[("out", "strong")]]]),
             "", "A refused real question teaches a rep not to ask: it costs five times an out-of-scope question "
             "answered with the closest sections under a plain \"the playbooks do not address this directly\". "
             "An out-of-scope question answered as if the playbooks covered it misleads (3). A real question "
             "marked weak still gets its answer, with less trust (0.5).", "", "## Figures", ""]
    header = ["run", "in scope", "false refusals", "in-scope weak", "out of scope", "refused", "weak",
              "answered as strong", "total cost", "cost per question"]
    body = []
    for label, rows in runs.items():
        f = figures(rows)
        body.append([label, f["in_scope"], f"{f['false_refusals']} ({f['false_refusals'] / f['in_scope']:.1%})",
                     f"{f['in_scope_weak']} ({f['in_scope_weak'] / f['in_scope']:.1%})", f["out_of_scope"],
                     f"{f['oos_refused']} ({f['oos_refused'] / f['out_of_scope']:.1%})",
                     f"{f['oos_weak']} ({f['oos_weak'] / f['out_of_scope']:.1%})",
                     f"{f['oos_strong']} ({f['oos_strong'] / f['out_of_scope']:.1%})",
                     f"{f['cost']:.1f}", f"{f['cost_per_question']:.3f}"])
    lines += table(header, body)
    lines += ["", "\"before\": the shipped model of 2026-12-04 (one threshold, 0.41; fitted on field-dev + field-test, "
              "so those two files are in-sample). \"after\": `fit/refusal.py` on all four dev files (in-sample here; "
              "the cross-validated figures below are the honest ones). Caveat: `knowledge/scope.json`'s covered examples "
              "were written after these dev questions and issue 23's examples had been read, so even the "
              "cross-validated dev figures lean optimistic; field-fresh, unread, is the test.", "", "## Thresholds chosen", ""]
    data = json.loads(grounding.CALIBRATION_FILE.read_text())
    for name, m in data["models"].items():
        cv = m.get("cross_validated")
        if cv is None or m.get("weak_threshold") is None:
            continue
        lines.append(f"- `{name}` ({', '.join(m['features'])}): a weak match from {m['weak_threshold']}, refused from "
                     f"{m['threshold']}. Dev, 5-fold cross-validated: false refusals {cv['false_refusals']:.1%}, "
                     f"real questions marked weak {cv['in_scope_weak']:.1%}; out of scope refused "
                     f"{cv['oos_refused']:.1%}, weak {cv['oos_weak']:.1%}, answered as strong {cv['oos_strong']:.1%}; "
                     f"cost per question {cv['cost_per_question']:.3f}.")
    lines += ["", f"Fitted on: {data.get('fitted_on', '-')}. Rule: {data.get('rule', '-')}.",
              "", "## Per dev file", ""]
    per = []
    for label, rows in runs.items():
        for name in DEV_FILES:
            f = figures([r for r in rows if r["set"] == name])
            per.append([label, name, f"{f['false_refusals']}/{f['in_scope']}", f"{f['in_scope_weak']}/{f['in_scope']}",
                        f"{f['oos_refused']}/{f['out_of_scope']}", f"{f['oos_weak']}/{f['out_of_scope']}",
                        f"{f['oos_strong']}/{f['out_of_scope']}", f"{f['cost']:.1f}"])
    lines += table(["run", "file", "false refusals", "in-scope weak", "oos refused", "oos weak", "oos strong", "cost"],
                   per)
    if "before" in runs and "after" in runs:
        before = {(r["set"], r["id"]): r for r in runs["before"]}
        changed = [(r, before[(r["set"], r["id"])]["outcome"]) for r in runs["after"]
                   if (r["set"], r["id"]) in before and before[(r["set"], r["id"])]["outcome"] != r["outcome"]]
        lines += ["", f"## Changed outcomes ({len(changed)})", ""]
        lines += table(["file", "id", "in scope", "before", "after"],
                       [[r["set"], r["id"], "yes" if r["in_scope"] else "no", was, r["outcome"]] for r, was in changed])
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", choices=LABELS, required=True)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    today = date.today().isoformat()
    kb = open_store(args.data_dir)
    rows = measure(kb)
    (RESULTS / f"refusal-costs-{today}-{args.label}.json").write_text(json.dumps(rows, indent=0) + "\n")
    runs = {}
    for label in LABELS:
        path = RESULTS / f"refusal-costs-{today}-{label}.json"
        if path.exists():
            runs[label] = json.loads(path.read_text())
    text = report(runs, today)
    (RESULTS / f"refusal-costs-{today}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
