"""Read the golden sets: questions (dev, heldout), mental-model expectations, the fast subset
and the planted patterns of the sample sales floor.

The files are written by hand from the playbooks and the sample call notes (see
``golden/README.md``); nothing here derives an expectation from system output.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import InputError
from core.jsonl import read_objects
from evals.splits import verify as verify_frozen

EVALS_DIR = Path(__file__).resolve().parent
GOLDEN_DIR = EVALS_DIR / "golden"
FLOOR_FILE = EVALS_DIR / "data" / "floor_expectations.json"
FAST_SUBSET_FILE = EVALS_DIR / "fast_subset.txt"
FEEDBACK_FILE = GOLDEN_DIR / "feedback.jsonl"
SETS = ("dev", "heldout", "field-dev", "field-test", "field-fresh", "objections-dev", "objections-fresh", "reps-fresh",
        "floor-talk-fresh", "next-round-fresh", "sellers-fresh", "closers-fresh")
# Checked against evals/splits/*.sha256 before use. Written blind (playbooks only) and frozen,
# each scored once on 2026-12-07 and seen since: objections-fresh and reps-fresh (issue 23),
# floor-talk-fresh (the test of the answered questions), next-round-fresh (the test of the
# composer and refusal round after). sellers-fresh, written after every choice of that
# round, is the test of the next round (issue 23's last). closers-fresh, written blind at the
# start of that round, is kept for the round after it: never scored. field-fresh (round 2)
# had its aggregates printed once on 2026-12-07; field-test (round 1) was retired into dev on 2026-12-03. Their bytes stay frozen so reports reproduce.
FROZEN = ("field-test", "field-fresh", "objections-fresh", "reps-fresh", "floor-talk-fresh", "next-round-fresh",
          "sellers-fresh", "closers-fresh")
# Frozen and kept unscored for a later round: ``coach eval`` (``all``) leaves them out; name
# one with ``--set`` to score it, once, when that round's choices are final.
KEPT_UNSCORED = ("closers-fresh",)
DEFAULT_SETS = tuple(name for name in SETS if name not in KEPT_UNSCORED)
OUT_OF_SCOPE = "out-of-scope"


@dataclass(frozen=True)
class SectionRef:
    source: str
    section: str


@dataclass(frozen=True)
class GoldenQuestion:
    id: str
    q: str
    kind: str  # rep, coach or out-of-scope
    expected: tuple[SectionRef, ...] = ()
    must_mention: tuple[tuple[str, ...], ...] = ()
    needs_review: bool = False  # a feedback question nobody has filled in yet

    @property
    def in_scope(self) -> bool:
        return self.kind != OUT_OF_SCOPE


@dataclass(frozen=True)
class ModelExpectation:
    id: str
    q: str
    must_cover: tuple[tuple[str, ...], ...]


def question_key(text: str) -> str:
    """A question's text with case and spacing folded: two questions with the same key are
    the same question (folds, duplicates, questions asked before)."""
    return " ".join(text.lower().split())


def load_set(name: str, golden_dir: Path = GOLDEN_DIR) -> list[GoldenQuestion]:
    """The reviewed questions of one set; lines flagged ``needs_review`` are left out."""
    if name not in SETS:
        raise InputError(f"unknown golden set {name!r}; use one of: {', '.join(SETS)}")
    path = golden_dir / f"{name}.jsonl"
    if name in FROZEN and golden_dir == GOLDEN_DIR:
        verify_frozen(path)
    rows = _jsonl(path)
    questions = [_question(path, number, row) for path, number, row in rows]
    return [q for q in questions if not q.needs_review]


def load_mental_models(golden_dir: Path = GOLDEN_DIR) -> list[ModelExpectation]:
    return [
        ModelExpectation(row["id"], row["q"], tuple(tuple(g) for g in row["must_cover"]))
        for _, _, row in _jsonl(golden_dir / "mental_models.jsonl")
    ]


def load_fast_subset(path: Path = FAST_SUBSET_FILE) -> tuple[str, ...]:
    """Question ids of the small fixed subset (``#`` starts a comment)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return tuple(line for line in lines if line)


def load_floor(path: Path = FLOOR_FILE) -> dict[str, Any] | None:
    """The planted patterns of the sample floor, or None when the file is not there (yet)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON (line {exc.lineno}); fix the file") from None


def golden_digest(golden_dir: Path = GOLDEN_DIR) -> str:
    """A fingerprint of everything a report's numbers depend on in the golden data."""
    digest = hashlib.sha256()
    files = [golden_dir / f"{name}.jsonl" for name in SETS]
    files += [golden_dir / "mental_models.jsonl", FLOOR_FILE, FAST_SUBSET_FILE]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()[:16]


def _jsonl(path: Path) -> list[tuple[Path, int, dict]]:
    return [(path, number, row) for number, row in read_objects(path, "restore it from git")]


def _question(path: Path, number: int, row: dict) -> GoldenQuestion:
    try:
        return GoldenQuestion(
            id=str(row["id"]), q=str(row["q"]), kind=str(row["kind"]),
            expected=tuple(SectionRef(e["source"], e["section"]) for e in row.get("expected", [])),
            must_mention=tuple(tuple(str(a) for a in group) for group in row.get("must_mention", [])),
            needs_review=bool(row.get("needs_review", False)),
        )
    except (KeyError, TypeError) as exc:
        raise InputError(f"{path}:{number}: missing or malformed field {exc}; see evals/golden/README.md") from None
