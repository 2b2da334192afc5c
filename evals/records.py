"""The typed results of an evaluation run, as written to and read back from JSON reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from evals.floor import FloorCheck

SUITE_VERSION = 1  # bump when a metric's definition changes, so old reports are not reused
SUITE = "suite"  # the scope name of store-wide metrics (mental models, observations)


@dataclass(frozen=True)
class Metric:
    value: float | None  # None: not measurable here (see note)
    n: int  # how many items it was measured over
    note: str = ""


@dataclass(frozen=True)
class QuestionResult:
    id: str
    q: str
    kind: str
    hit_rank: int | None  # 1-based rank of the first expected section; None: missed or out of scope
    ndcg: float | None
    top_sections: tuple[str, ...]  # "source :: section" of the top hits, for diagnosis
    covered: tuple[bool, ...]  # one flag per must_mention group
    missing: tuple[str, ...]  # the first alternative of each uncovered group
    grounded: bool
    citation_problems: tuple[str, ...]
    faithful: bool | None = None  # None: no judge
    answer: str = ""
    match: str = ""  # "strong", "weak" (the closest sections, marked) or "none" (refused); "" in older reports

    @property
    def in_scope(self) -> bool:
        return self.kind != "out-of-scope"


@dataclass(frozen=True)
class SetReport:
    name: str
    metrics: dict[str, Metric]
    questions: tuple[QuestionResult, ...]


@dataclass(frozen=True)
class ModelCoverage:
    id: str
    covered: tuple[bool, ...]
    missing: tuple[str, ...]
    found: bool  # the store has this mental model


@dataclass(frozen=True)
class StoreInfo:
    data_dir: str
    generation: int
    fingerprint: str  # digest of (source, content hash) of every document, model and LLM
    embed_model: str
    llm: str | None


@dataclass(frozen=True)
class SuiteReport:
    created_at: str
    store: StoreInfo
    golden: str  # digest of the golden files the run used
    sets: dict[str, SetReport]
    suite: dict[str, Metric]
    subset: tuple[str, ...] | None = None  # question ids when only a subset ran
    models: tuple[ModelCoverage, ...] = ()
    floor: tuple[FloorCheck, ...] = ()
    version: int = SUITE_VERSION

    def metric(self, scope: str, name: str) -> Metric | None:
        if scope == SUITE:
            return self.suite.get(name)
        return self.sets[scope].metrics.get(name) if scope in self.sets else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuiteReport:
        return cls(
            created_at=data["created_at"],
            store=StoreInfo(**data["store"]),
            golden=data["golden"],
            sets={name: _set_from_dict(s) for name, s in data["sets"].items()},
            suite=_metrics(data["suite"]),
            subset=tuple(data["subset"]) if data.get("subset") is not None else None,
            models=tuple(ModelCoverage(m["id"], tuple(m["covered"]), tuple(m["missing"]), m["found"])
                         for m in data.get("models", [])),
            floor=tuple(FloorCheck(**c) for c in data.get("floor", [])),
            version=data.get("version", 0),
        )


@dataclass(frozen=True)
class MetricDiff:
    scope: str  # a set name, or "suite"
    name: str
    baseline: float | None
    current: float | None

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.current is None:
            return None
        return self.current - self.baseline


@dataclass(frozen=True)
class QuestionDiff:
    scope: str
    id: str
    q: str
    worse: tuple[str, ...] = ()
    better: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    metrics: tuple[MetricDiff, ...]
    questions: tuple[QuestionDiff, ...]
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": [asdict(m) | {"delta": m.delta} for m in self.metrics],
            "questions": [asdict(q) for q in self.questions],
            "notes": list(self.notes),
        }


def _metrics(data: dict[str, Any]) -> dict[str, Metric]:
    return {name: Metric(**m) for name, m in data.items()}


def _set_from_dict(data: dict[str, Any]) -> SetReport:
    questions = []
    for q in data["questions"]:
        q = dict(q)
        for key in ("top_sections", "covered", "missing", "citation_problems"):
            q[key] = tuple(q.get(key, ()))
        questions.append(QuestionResult(**q))
    return SetReport(name=data["name"], metrics=_metrics(data["metrics"]), questions=tuple(questions))
