"""Render, save, load and compare evaluation reports.

Reports go to ``<data_dir>/evals/<prefix>-<timestamp>.json`` and ``.md``; ``latest.json``
is a copy of the newest plain report (the baseline ``coach ingest --gate`` may reuse).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from core.errors import InputError
from core.store import Store
from evals.records import SUITE, Comparison, MetricDiff, QuestionDiff, QuestionResult, SuiteReport

LATEST = "latest.json"
_RANK_LIMIT = 5  # a question "hits" when an expected section is in the top 5


@dataclass(frozen=True)
class SavedReport:
    json_path: Path
    markdown_path: Path


# -- terminal and markdown views ----------------------------------------------------------
def render_table(report: SuiteReport) -> str:
    names = list(report.sets)
    header = ["metric", *(f"{n} (n={len(report.sets[n].questions)})" for n in names)]
    metric_names = list(dict.fromkeys(m for s in report.sets.values() for m in s.metrics))
    rows = [[m, *(_fmt(report.sets[n].metrics.get(m)) for n in names)] for m in metric_names]
    lines = _columns([header, *rows])
    for name, metric in report.suite.items():
        if metric.value is None:
            value = metric.note
        else:
            value = f"{metric.value:.3f} (n={metric.n})" + (f"; {metric.note}" if metric.note else "")
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def render_problems(report: SuiteReport, limit: int = 12) -> str:
    """The questions and checks that failed something, one line each."""
    lines = []
    for name, s in report.sets.items():
        for r in s.questions:
            problems = question_problems(r)
            if problems:
                lines.append(f"{name} {r.id}: {'; '.join(problems)}")
    lines.extend(f"memory: {c.name}: {c.detail or 'failed'}" for c in report.floor if not c.passed)
    lines.extend(f"mental model {m.id}: missing {', '.join(m.missing)}" for m in report.models if m.missing)
    if len(lines) > limit:
        lines = lines[:limit] + [f"... and {len(lines) - limit} more (see the markdown report)"]
    return "\n".join(lines)


def question_problems(r: QuestionResult) -> list[str]:
    problems = []
    if r.in_scope and r.ndcg is not None and (r.hit_rank is None or r.hit_rank > _RANK_LIMIT):
        problems.append(f"expected section not in top {_RANK_LIMIT} (rank {r.hit_rank or '>10'})")
    if r.in_scope and not r.grounded:
        problems.append("refused an in-scope question")
    if not r.in_scope and r.grounded:
        problems.append("answered an out-of-scope question")
    if r.missing:
        problems.append(f"missing {', '.join(r.missing)}")
    problems.extend(r.citation_problems)
    if r.faithful is False:
        problems.append("judge: not supported by its sources")
    return problems


def render_markdown(report: SuiteReport, comparison: Comparison | None = None) -> str:
    out = [f"# coach evaluation {report.created_at}", "",
           f"Store `{report.store.data_dir}` generation {report.store.generation} "
           f"(fingerprint {report.store.fingerprint}, model {report.store.embed_model}, "
           f"LLM {report.store.llm or 'none'}); golden {report.golden}"
           + (f"; subset of {len(report.subset)} questions" if report.subset else ""), "",
           "```", render_table(report), "```", ""]
    if comparison is not None:
        out += ["## Compared with the baseline", "", render_comparison(comparison), ""]
    for name, s in report.sets.items():
        out += [f"## {name}", "", "| id | rank | grounded | problems |", "| --- | --- | --- | --- |"]
        for r in s.questions:
            problems = "; ".join(question_problems(r)).replace("|", "\\|") or "ok"
            out.append(f"| {r.id} | {r.hit_rank or '-'} | {'yes' if r.grounded else 'no'} | {problems} |")
        out.append("")
    if report.floor:
        out += ["## Coaching memory on the sample floor", ""]
        for c in report.floor:
            detail = f" ({c.detail})" if c.detail and not c.passed else ""
            out.append(f"- [{'x' if c.passed else ' '}] {c.group}: {c.name}{detail}")
    return "\n".join(out) + "\n"


def render_comparison(comparison: Comparison) -> str:
    rows = [["scope", "metric", "baseline", "current", "delta"]]
    for d in comparison.metrics:
        delta = f"{d.delta:+.3f}" if d.delta is not None else "-"
        rows.append([d.scope, d.name, _num(d.baseline), _num(d.current), delta])
    lines = _columns(rows)
    for q in comparison.questions:
        if q.worse:
            lines.append(f"worse  {q.scope} {q.id}: {'; '.join(q.worse)}")
        if q.better:
            lines.append(f"better {q.scope} {q.id}: {'; '.join(q.better)}")
    lines.extend(f"note: {n}" for n in comparison.notes)
    return "\n".join(lines)


# -- files ----------------------------------------------------------------------------------
def reports_dir(data_dir: Path) -> Path:
    return Store(data_dir).evals_dir


def write_report(report: SuiteReport, data_dir: Path, prefix: str = "report",
                 comparison: Comparison | None = None, latest: bool = True) -> SavedReport:
    folder = reports_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    stem, n = f"{prefix}-{stamp}", 1
    while (folder / f"{stem}.json").exists():
        n += 1
        stem = f"{prefix}-{stamp}-{n}"
    data = report.to_dict() | ({"comparison": comparison.to_dict()} if comparison else {})
    text = json.dumps(data, ensure_ascii=False, indent=1)
    json_path, md_path = folder / f"{stem}.json", folder / f"{stem}.md"
    json_path.write_text(text, encoding="utf-8")
    md_path.write_text(render_markdown(report, comparison), encoding="utf-8")
    if latest:
        tmp = folder / f".{LATEST}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(folder / LATEST)
    return SavedReport(json_path, md_path)


def load_report(path: Path) -> SuiteReport:
    try:
        return SuiteReport.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise InputError(f"cannot read the report {path} ({exc.strerror}); "
                         "give a report-*.json from <data-dir>/evals/") from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"{path} is not a coach eval report ({type(exc).__name__}: {exc}); "
                         "give a report-*.json written by coach eval") from None


def load_latest(data_dir: Path) -> SuiteReport | None:
    path = reports_dir(data_dir) / LATEST
    if not path.exists():
        return None
    try:
        return load_report(path)
    except InputError:
        return None


# -- comparison -------------------------------------------------------------------------------
def compare(current: SuiteReport, baseline: SuiteReport) -> Comparison:
    """Per-metric and per-question differences, for the sets both reports ran."""
    scopes = [s for s in current.sets if s in baseline.sets] + [SUITE]
    metrics = []
    for scope in scopes:
        names = current.suite if scope == SUITE else current.sets[scope].metrics
        for name in names:
            before, after = baseline.metric(scope, name), current.metric(scope, name)
            metrics.append(MetricDiff(scope, name, before.value if before else None, after.value if after else None))
    questions = [d for s in scopes if s != SUITE for d in _question_diffs(s, current, baseline)]
    questions += _floor_diffs(current, baseline) + _model_diffs(current, baseline)
    notes = []
    if current.golden != baseline.golden:
        notes.append("the golden files changed since the baseline; questions are matched by id")
    if current.version != baseline.version:
        notes.append(f"the baseline was measured by suite version {baseline.version}, this run by {current.version}")
    return Comparison(tuple(metrics), tuple(q for q in questions if q.worse or q.better), tuple(notes))


def _question_diffs(scope: str, current: SuiteReport, baseline: SuiteReport) -> list[QuestionDiff]:
    before = {r.id: r for r in baseline.sets[scope].questions}
    return [question_diff(scope, before[r.id], r) for r in current.sets[scope].questions if r.id in before]


def question_diff(scope: str, old: QuestionResult, new: QuestionResult) -> QuestionDiff:
    worse, better = [], []
    old_hit, new_hit = _hits(old), _hits(new)
    if old_hit and not new_hit:
        worse.append(f"retrieval rank {old.hit_rank} -> {new.hit_rank or 'miss'}")
    elif new_hit and not old_hit:
        better.append(f"retrieval rank {old.hit_rank or 'miss'} -> {new.hit_rank}")
    if len(old.covered) == len(new.covered):
        lost = [i for i, (a, b) in enumerate(zip(old.covered, new.covered)) if a and not b]
        gained = [i for i, (a, b) in enumerate(zip(old.covered, new.covered)) if b and not a]
        if lost:
            worse.append(f"lost must-mention: {_group_names(new, lost)}")
        if gained:
            better.append(f"gained must-mention: {_group_names(old, gained)}")
    if old.grounded != new.grounded:
        good = new.grounded == new.in_scope
        change = "now answered" if new.grounded else "now refused"
        (better if good else worse).append(change + ("" if new.in_scope else " (out of scope)"))
    if new.citation_problems and not old.citation_problems:
        worse.append(f"citation problems: {'; '.join(new.citation_problems)}")
    elif old.citation_problems and not new.citation_problems:
        better.append("citations now valid")
    if old.faithful is True and new.faithful is False:
        worse.append("judge: no longer supported by its sources")
    return QuestionDiff(scope, new.id, new.q, tuple(worse), tuple(better))


def _hits(r: QuestionResult) -> bool:
    return r.hit_rank is not None and r.hit_rank <= _RANK_LIMIT


def _group_names(r: QuestionResult, indexes: list[int]) -> str:
    """The first alternative of each listed group (``missing`` holds them for uncovered groups)."""
    names = dict(zip((i for i, ok in enumerate(r.covered) if not ok), r.missing))
    return ", ".join(names.get(i, f"#{i + 1}") for i in indexes)


def _floor_diffs(current: SuiteReport, baseline: SuiteReport) -> list[QuestionDiff]:
    before = {c.name: c for c in baseline.floor}
    diffs = []
    for check in current.floor:
        old = before.get(check.name)
        if old is None or old.passed == check.passed:
            continue
        if old.passed:
            text = f"{check.group} check now fails" + (f": {check.detail}" if check.detail else "")
            diffs.append(QuestionDiff(SUITE, check.name, check.name, worse=(text,)))
        else:
            diffs.append(QuestionDiff(SUITE, check.name, check.name, better=(f"{check.group} check now passes",)))
    return diffs


def _model_diffs(current: SuiteReport, baseline: SuiteReport) -> list[QuestionDiff]:
    before = {m.id: m for m in baseline.models}
    diffs = []
    for model in current.models:
        old = before.get(model.id)
        if old is None:
            continue
        lost = [name for name in model.missing if name not in old.missing]
        gained = [name for name in old.missing if name not in model.missing]
        if lost or gained:
            diffs.append(QuestionDiff(SUITE, f"model:{model.id}", model.id,
                                      (f"mental model lost {', '.join(lost)}",) if lost else (),
                                      (f"mental model gained {', '.join(gained)}",) if gained else ()))
    return diffs


# -- formatting ------------------------------------------------------------------------------
def _fmt(metric) -> str:
    if metric is None:
        return "-"
    return "n/a" if metric.value is None else f"{metric.value:.3f}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
