"""Floor evaluation: ingest each floor's call notes into a fresh store and check the memory.

A floor (``evals/floors/<name>/``, see its SPEC.md) is a team's notes plus what a correct
memory concludes from them. Each floor is ingested on its own, into a temporary store,
with the shipped ``knowledge/bank.json`` and ``knowledge/taxonomy.json`` and the shipped
playbooks (the mental models are built from them), so the floor's folder is never touched.
The checks are the pure functions of ``evals.floor``.

``dev`` floors (and the shipped sample floor, ``knowledge/calls/``) are for tuning;
``test`` floors are frozen: run them once, report, change nothing afterwards.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import Settings
from core.errors import InputError
from core.jsonl import read_objects
from evals.coach_questions import CoachScore, load_questions, score_floor
from evals.floor import EvidenceScore, FloorCheck, evidence_score, floor_checks, model_checks, unplanted

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
FLOORS_DIR = Path(__file__).resolve().parent / "floors"
SAMPLE = "sample"
SELECTIONS = ("dev", "test", "all")
# (settings, embedder or None) -> an open knowledge base: coach.knowledge_base.KnowledgeBase
OpenKnowledgeBase = Callable[[Settings, Any], Any]


@dataclass(frozen=True)
class Floor:
    name: str
    split: str  # dev or test
    calls: Path  # the folder of call notes to ingest
    expectations: Path


@dataclass(frozen=True)
class FloorResult:
    floor: Floor
    checks: tuple[FloorCheck, ...]
    promoted: int  # promoted observations
    unplanted: tuple[str, ...]  # promoted observations that match no planted pattern
    interventions: tuple[str, ...]  # one line per intervention found
    evidence: EvidenceScore | None = None  # None: the floor has no annotations.jsonl
    questions: CoachScore | None = None  # None: the floor has no questions.jsonl
    skipped: tuple[str, ...] = ()  # notes the ingest skipped, with its reason

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.checks)

    def to_dict(self) -> dict:
        return {
            "floor": self.floor.name, "split": self.floor.split,
            "passed": self.passed, "checks": len(self.checks),
            "promoted": self.promoted, "unplanted": list(self.unplanted),
            "interventions": list(self.interventions),
            "skipped": list(self.skipped),
            "evidence": None if self.evidence is None else {
                "precision": self.evidence.precision, "recall": self.evidence.recall, "shown": self.evidence.shown,
                "supported": self.evidence.supported, "annotated": self.evidence.annotated,
                "recalled": self.evidence.recalled, "unsupported": list(self.evidence.wrong)},
            "questions": None if self.questions is None else self.questions.metrics()
            | {"failures": self.questions.failures(limit=100)},
            "failed": [{"group": c.group, "name": c.name, "detail": c.detail} for c in self.checks if not c.passed],
            "results": [{"group": c.group, "name": c.name, "passed": c.passed, "detail": c.detail}
                        for c in self.checks],
        }


SPLITS_DIR = Path(__file__).resolve().parent / "splits"


def floor_digest(folder: Path) -> str:
    """sha256 over every file of a floor (relative path and bytes), in path order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def verify_floor(floor: Floor) -> None:
    """A test floor must be byte for byte the one frozen in ``evals/splits/floor-<name>.sha256``."""
    if floor.split != "test":
        return
    record = SPLITS_DIR / f"floor-{floor.name}.sha256"
    if not record.is_file():
        raise InputError(f"test floor {floor.name} has no frozen checksum in {record}; "
                         f"freeze it with: python -m evals.floor_suite --freeze {floor.name}")
    want = record.read_text(encoding="utf-8").split()[0]
    got = floor_digest(floor.calls.parent)
    if got != want:
        raise InputError(f"test floor {floor.name} changed after it was frozen (sha256 {got[:12]} != {want[:12]}); "
                         "restore it with git, or retire it to dev and have a new test floor written blind")


def known_floors() -> list[Floor]:
    """The shipped sample floor, then every folder of evals/floors/ with expectations."""
    found = [Floor(SAMPLE, "dev", KNOWLEDGE / "calls", ROOT / "evals/data/floor_expectations.json")]
    for folder in sorted(p for p in FLOORS_DIR.iterdir() if (p / "expectations.json").is_file()):
        split = json.loads((folder / "expectations.json").read_text(encoding="utf-8")).get("split", "dev")
        found.append(Floor(folder.name, split, folder / "calls", folder / "expectations.json"))
    return found


def select_floors(which: str) -> list[Floor]:
    """``dev``, ``test``, ``all`` or one floor's name."""
    floors = known_floors()
    if which == "all":
        return floors
    chosen = [f for f in floors if f.split == which or f.name == which]
    if not chosen:
        names = ", ".join(f.name for f in floors)
        raise InputError(f"No floor or split {which!r}; choose dev, test, all or one of: {names}")
    return chosen


def run_floor(floor: Floor, open_kb: OpenKnowledgeBase, embedder=None, config_dir: Path = KNOWLEDGE,
              playbooks: Path = KNOWLEDGE / "playbooks", workdir: Path | None = None) -> FloorResult:
    """Ingest the floor into a fresh store opened by ``open_kb`` (the application's
    ``KnowledgeBase``) and check what its memory concludes."""
    expected = json.loads(floor.expectations.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix=f"coach-floor-{floor.name}-", dir=workdir) as tmp:
        kb = open_kb(Settings.from_env(Path(tmp) / "store", env={}), embedder)
        try:
            report = kb.ingest([playbooks, floor.calls], config_dir=config_dir)
            skipped = tuple(f"{s.path}: {s.error}" for s in report.skipped)  # the product's own verdict: reported
            observations = kb.observations(include_one_offs=True)
            interventions = kb.interventions()
            checks = floor_checks(observations, interventions, expected)
            checks += model_checks(kb.mental_models(), observations, kb.themes(), expected)
            questions = _ask_questions(kb, floor)
        finally:
            kb.close()
    annotations = floor.calls.parent / "annotations.jsonl"
    evidence = evidence_score([o for o in observations if o.promoted],
                              [d for _, d in read_objects(annotations)], expected) if annotations.is_file() else None
    promoted = [o for o in observations if o.promoted]
    extra = tuple(f"{o.rep or 'team'} {o.theme} {o.polarity} ({o.calls} calls)" for o in unplanted(promoted, expected))
    lines = tuple(f"{i.rep} {i.date} {i.theme}: {i.verdict} (gap in {i.before.gap_calls}/{i.before.calls} before, "
                  f"{i.after.gap_calls}/{i.after.calls} after)" for i in interventions)
    return FloorResult(floor, tuple(checks), len(promoted), extra, lines, evidence, questions, skipped)


def _ask_questions(kb, floor: Floor) -> CoachScore | None:
    """The floor's coach questions, asked of its store, beside the plain baseline (the same
    question without the floor reader)."""
    path = floor.calls.parent / "questions.jsonl"
    if not path.is_file():
        return None
    return score_floor(load_questions(path), lambda q: kb.ask(q), lambda q: kb.ask(q, read_floor=False), kb.reps())


def run_floors(floors: Sequence[Floor], open_kb: OpenKnowledgeBase, embedder=None) -> list[FloorResult]:
    if embedder is None:
        from rag.embedder import Embedder

        embedder = Embedder()
    return [run_floor(floor, open_kb, embedder=embedder) for floor in floors]


def render_floors(results: Sequence[FloorResult], failures: bool = True) -> str:
    """A table of passed checks per floor and group, then each failed check on one line."""
    groups = ["pattern", "team", "one-off", "injection", "intervention", "model"]
    lines = ["| floor | split | " + " | ".join(groups) + " | all | promoted, not planted |",
             "| --- | --- | " + " | ".join("---" for _ in groups) + " | --- | --- |"]
    for r in results:
        cells = []
        for group in groups:
            mine = [c for c in r.checks if c.group == group]
            cells.append(f"{sum(c.passed for c in mine)}/{len(mine)}" if mine else "-")
        lines.append(f"| {r.floor.name} | {r.floor.split} | " + " | ".join(cells)
                     + f" | {r.passed}/{len(r.checks)} | {len(r.unplanted)} of {r.promoted} |")
    if failures:
        for r in results:
            lines += [f"- {r.floor.name}: skipped at ingest: {line}" for line in r.skipped]
            for c in r.checks:
                if not c.passed:
                    lines.append(f"- {r.floor.name}: {c.group}: {c.name}: {c.detail or 'failed'}")
    lines += ["", render_evidence_and_questions(results)]
    return "\n".join(lines)


def render_evidence_and_questions(results: Sequence[FloorResult], failures: bool = True) -> str:
    """Evidence precision and recall, and the coach-question metrics beside the plain baseline."""
    lines = ["| floor | split | evidence precision | judgement recall | questions | rep precision (baseline) | "
             "rep recall (baseline) | reading | verdict | unknown rep/theme | findings recall |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        e, q = r.evidence, (r.questions.metrics() if r.questions else None)
        ev = (f"{_pct(e.precision)} ({e.supported}/{e.shown})", f"{_pct(e.recall)} ({e.recalled}/{e.annotated})") \
            if e else ("-", "-")
        qs = (str(q["questions"]), f"{_pct(q['rep_precision'])} ({_pct(q['baseline_rep_precision'])})",
              f"{_pct(q['rep_recall'])} ({_pct(q['baseline_rep_recall'])})", _pct(q["reading"]), _pct(q["verdict"]),
              _pct(q["unknown"]), _pct(q["findings_recall"])) if q else ("-",) * 7
        lines.append(f"| {r.floor.name} | {r.floor.split} | " + " | ".join(ev + qs) + " |")
    if failures:
        for r in results:
            if r.evidence:
                lines += [f"- {r.floor.name}: evidence not annotated so: {w}" for w in r.evidence.wrong]
            if r.questions:
                lines += [f"- {r.floor.name}: {line}" for line in r.questions.failures(limit=100)]
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    # python -m evals.floor_suite --freeze NAME: record a new test floor's checksum (once, before it is run)
    if len(sys.argv) == 3 and sys.argv[1] == "--freeze":
        chosen = [f for f in known_floors() if f.name == sys.argv[2]]
        if not chosen or chosen[0].split != "test":
            raise SystemExit(f"no test floor {sys.argv[2]!r}")
        target = SPLITS_DIR / f"floor-{sys.argv[2]}.sha256"
        if target.exists():
            raise SystemExit(f"{target} exists: a frozen floor is never re-frozen")
        target.write_text(f"{floor_digest(chosen[0].calls.parent)}  floors/{sys.argv[2]}\n", encoding="utf-8")
        print(f"frozen: {target}")
    else:
        raise SystemExit("usage: python -m evals.floor_suite --freeze NAME")
