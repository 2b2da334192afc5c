"""The knowledge-update gate's rules: which metrics may not regress, by how much, and the
verdict on a candidate report against a baseline (``evals/gate.toml``).

The gated ingest itself (stage, ingest into the copy, evaluate, promote or refuse) is
``coach.gated_update``: it needs the whole knowledge base, which sits above evals.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError, GateRefused
from core.records import IngestReport
from evals import golden
from evals.records import SUITE, Comparison, QuestionDiff, SuiteReport
from evals.report import SavedReport

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
    sets: tuple[str, ...] = golden.DEFAULT_SETS


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
        sets = tuple(data.get("sets", golden.DEFAULT_SETS))
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
