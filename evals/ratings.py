"""Thumbs up/down on answers, kept as JSON lines in ``<data_dir>/feedback.jsonl``.

Each line is one rating of one answer, with the question, the answer text and its
citations, so a thumbs-down can later become an evaluation question. The file is
append-only; writers in several threads (the UI serves many people) share one lock.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from core.errors import InputError, StoreError

Rating = Literal["up", "down"]
MAX_COMMENT_CHARS = 2000

_WRITE_LOCK = threading.Lock()


@dataclass(frozen=True)
class CitedSource:
    n: int
    source: str
    section: str
    quote: str


@dataclass(frozen=True)
class Feedback:
    id: str  # "fb-<12 hex>"
    at: str  # ISO time, UTC
    rating: Rating
    question: str
    answer: str
    grounded: bool
    citations: tuple[CitedSource, ...] = ()
    comment: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"citations": [asdict(c) for c in self.citations]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Feedback:
        citations = tuple(CitedSource(**c) for c in data.get("citations", ()))
        return cls(**{**data, "citations": citations})


@dataclass
class FeedbackLog:
    """The feedback file of one data dir (its Store's ``feedback_path``)."""

    path: Path

    def record(self, *, question: str, answer: str, grounded: bool, rating: Rating,
               citations: list[dict[str, Any]] | tuple = (), comment: str = "") -> Feedback:
        """Append one rating; ``citations`` are answer citations as dicts (extra keys ignored)."""
        if rating not in ("up", "down"):
            raise InputError(f"rating must be 'up' or 'down', not {rating!r}")
        if not question.strip():
            raise InputError("feedback needs the question it rates; ask something first")
        item = Feedback(
            id=f"fb-{uuid.uuid4().hex[:12]}",
            at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            rating=rating, question=question, answer=answer, grounded=grounded,
            citations=tuple(
                CitedSource(n=c["n"], source=c["source"], section=c["section"], quote=c["quote"])
                for c in citations
            ),
            comment=comment.strip()[:MAX_COMMENT_CHARS],
        )
        line = json.dumps(item.to_dict(), ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _WRITE_LOCK, self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except OSError as exc:
            raise StoreError(f"cannot write {self.path} ({exc.strerror}); check the data dir's permissions") from None
        return item

    def all(self) -> list[Feedback]:
        """Every rating, oldest first; a damaged line (a crash mid-write) is passed over."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        items = []
        for line in lines:
            try:
                items.append(Feedback.from_dict(json.loads(line)))
            except (json.JSONDecodeError, TypeError, KeyError):
                continue
        return items

    def export_eval_questions(self, path: Path) -> int:
        """Write thumbs-down questions as golden-set lines; returns how many were written.

        A question rated down more than once is written once, with its latest comment.
        ``expected`` and ``must_mention`` are left empty for a person to fill in.
        """
        latest: dict[str, Feedback] = {}
        for item in self.all():
            if item.rating == "down":
                latest[" ".join(item.question.lower().split())] = item
        lines = [
            json.dumps({"id": item.id, "q": item.question, "kind": "rep", "expected": [],
                        "must_mention": [], "note": item.comment}, ensure_ascii=False)
            for item in latest.values()
        ]
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        except OSError as exc:
            raise StoreError(f"cannot write {path} ({exc.strerror}); choose another path") from None
        return len(lines)
