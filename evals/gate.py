"""The knowledge-update gate: stage an ingest, evaluate it, promote it only if nothing gated regressed.

``gated_ingest`` copies the live embedded store into ``<data_dir>/staging-<id>``, measures
it (the baseline, or reuses ``evals/latest.json`` when it describes exactly this store),
ingests into the copy, measures again, and compares with the tolerances of
``evals/gate.toml``. The live store is only read (copied) until promotion, which swaps
directories while the live ingest lock is held. A refused update leaves the live store
byte for byte as it was and raises ``UpdateRefused`` (a ``GateRefused``, exit code 3).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from core.settings import Settings
from core.errors import ConfigError, GateRefused
from coach.knowledge_base import KnowledgeBase
from core.records import IngestReport
from evals import golden, staging
from evals.records import SUITE, SUITE_VERSION, Comparison, QuestionDiff, SuiteReport
from evals.report import SavedReport, compare, load_latest, write_report
from evals.runner import run_suite, store_info
from rag.indexer import Progress

GATE_FILE = Path(__file__).resolve().parent / "gate.toml"
EPSILON = 1e-9
LISTED_QUESTIONS = 6


@dataclass(frozen=True)
class Rule:
    metric: str
    max_drop: float | None = None
    min: float | None = None


@dataclass(frozen=True)
class GateConfig:
    rules: tuple[Rule, ...]
    sets: tuple[str, ...] = golden.SETS


@dataclass(frozen=True)
class Regression:
    scope: str  # a set name, or "suite"
    metric: str
    baseline: float | None
    current: float | None
    reason: str

    def __str__(self) -> str:
        def num(v):
            return "n/a" if v is None else f"{v:.3f}"
        return f"{self.scope} {self.metric} {num(self.baseline)} -> {num(self.current)} ({self.reason})"


@dataclass(frozen=True)
class GateResult:
    promoted: bool
    ingest: IngestReport
    candidate: SuiteReport
    baseline: SuiteReport | None  # None: there was no live store to protect
    comparison: Comparison | None
    regressions: tuple[Regression, ...]
    report: SavedReport | None
    baseline_reused: bool = False

    @property
    def worse_questions(self) -> tuple[QuestionDiff, ...]:
        return tuple(q for q in self.comparison.questions if q.worse) if self.comparison else ()


class UpdateRefused(GateRefused):
    """The gate refused the update; ``result`` holds the reports and the comparison."""

    def __init__(self, message: str, *, result: GateResult) -> None:
        super().__init__(message)
        self.result = result


# -- configuration and verdict ---------------------------------------------------------------
def load_gate_config(path: Path = GATE_FILE) -> GateConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        rules = tuple(Rule(name, spec.get("max_drop"), spec.get("min")) for name, spec in data["metrics"].items())
        sets = tuple(data.get("sets", golden.SETS))
    except (OSError, tomllib.TOMLDecodeError, KeyError, AttributeError) as exc:
        raise ConfigError(f"cannot read the gate settings {path} ({type(exc).__name__}: {exc}); "
                          "restore evals/gate.toml from git") from None
    unknown = [s for s in sets if s not in golden.SETS]
    if unknown:
        raise ConfigError(f"{path}: unknown golden set(s) {unknown}; use {list(golden.SETS)}")
    return GateConfig(rules, sets)


def gate_regressions(current: SuiteReport, baseline: SuiteReport | None, config: GateConfig) -> list[Regression]:
    """Every gated metric that fell further than its tolerance (or below its floor)."""
    scopes = [s for s in config.sets if s in current.sets] + [SUITE]
    found = []
    for rule in config.rules:
        for scope in scopes:
            after = current.metric(scope, rule.metric)
            if after is None:
                continue  # not measured at this scope
            before = baseline.metric(scope, rule.metric) if baseline else None
            before_value = before.value if before else None
            problem = _check(rule, before_value, after.value)
            if problem:
                found.append(Regression(scope, rule.metric, before_value, after.value, problem))
    return found


def _check(rule: Rule, before: float | None, after: float | None) -> str | None:
    if after is None:
        return "became unavailable" if before is not None else None
    if rule.min is not None and after < rule.min - EPSILON:
        return f"must be at least {rule.min:g}"
    if rule.max_drop is not None and before is not None and before - after > rule.max_drop + EPSILON:
        return f"may drop at most {rule.max_drop:g}"
    return None


def summary(regressions: list[Regression], worse: tuple[QuestionDiff, ...], report: SavedReport | None) -> str:
    """One line: the regressed metrics, then the questions that got worse and why."""
    parts = ["; ".join(str(r) for r in regressions)]
    if worse:
        listed = ", ".join(f"{q.id} ({'; '.join(q.worse)})" for q in worse[:LISTED_QUESTIONS])
        more = f" and {len(worse) - LISTED_QUESTIONS} more" if len(worse) > LISTED_QUESTIONS else ""
        parts.append(f"worse: {listed}{more}")
    if report:
        parts.append(f"details: {report.markdown_path}")
    return " | ".join(parts)


# -- the gated ingest ---------------------------------------------------------------------------
def gated_ingest(settings: Settings, paths: list[Path], progress: Progress | None = None,
                 *, config: GateConfig | None = None, embedder=None) -> GateResult:
    """Ingest ``paths`` into a staged copy and promote it only if no gated metric regresses."""
    if settings.chroma is not None:
        raise ConfigError("coach ingest --gate needs the embedded store for now; unset COACH_CHROMA_URL "
                          "or ingest without --gate")
    config = config or load_gate_config()
    live = KnowledgeBase(settings, embedder)
    with live.ingest_lock():
        staged = staging.stage(settings.data_dir)
        try:
            result = _evaluate_update(settings, staged, paths, progress, config, live.embedder)
            if not result.regressions:
                staging.promote(staged, settings.data_dir)
        finally:
            staging.discard(staged)  # after a promotion there is nothing left to discard
    if result.regressions:
        saved = write_report(_at(result.candidate, settings.data_dir), settings.data_dir,
                             prefix="gate-refused", comparison=result.comparison, latest=False)
        result = replace(result, report=saved)
        message = summary(list(result.regressions), result.worse_questions, saved)
        raise UpdateRefused(f"the update was refused by the evaluation gate: {message}", result=result)
    saved = write_report(_at(result.candidate, settings.data_dir), settings.data_dir, comparison=result.comparison)
    return replace(result, promoted=True, report=saved)


def _evaluate_update(live: Settings, staged_dir: Path, paths: list[Path], progress: Progress | None,
                     config: GateConfig, embedder) -> GateResult:
    staged = replace(live, data_dir=staged_dir)
    kb = KnowledgeBase(staged, embedder)
    try:
        baseline, reused = None, False
        if kb.docstore.documents():
            baseline, reused = _baseline(kb, live.data_dir, config)
        ingest = kb.ingest(paths, progress)
    finally:
        kb.close()
    kb = KnowledgeBase(staged, embedder)  # fresh parts: nothing cached from before the ingest
    try:
        candidate = run_suite(kb, config.sets)
    finally:
        kb.close()
    comparison = compare(candidate, baseline) if baseline else None
    return GateResult(
        promoted=False, ingest=ingest, candidate=candidate, baseline=baseline, comparison=comparison,
        regressions=tuple(gate_regressions(candidate, baseline, config)), report=None, baseline_reused=reused,
    )


def _baseline(kb: KnowledgeBase, live_dir: Path, config: GateConfig) -> tuple[SuiteReport, bool]:
    """The live store's report (``kb`` is its staged copy): ``latest.json`` when it describes
    this very store, else a fresh run, saved as the live store's latest report."""
    latest = load_latest(live_dir)
    if latest is not None and _describes(latest, kb, config):
        return latest, True
    report = run_suite(kb, config.sets)
    write_report(_at(report, live_dir), live_dir)
    return report, False


def _describes(report: SuiteReport, kb: KnowledgeBase, config: GateConfig) -> bool:
    info = store_info(kb)
    return (report.store.fingerprint == info.fingerprint and report.store.generation == info.generation
            and report.golden == golden.golden_digest() and report.version == SUITE_VERSION
            and report.subset is None and all(s in report.sets for s in config.sets))


def _at(report: SuiteReport, data_dir: Path) -> SuiteReport:
    """The report as describing the live data dir (it was measured on a staged copy)."""
    return replace(report, store=replace(report.store, data_dir=str(data_dir)))
