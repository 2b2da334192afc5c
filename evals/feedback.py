"""Thumbs-down answers from the UI become golden questions waiting for review.

``<data_dir>/feedback.jsonl`` (written by ``evals.ratings``) holds every rating. Each
question rated down that no golden file holds yet is appended to
``evals/golden/feedback.jsonl`` with empty ``expected`` and ``must_mention`` and
``needs_review: true``; the runner skips such lines until a person fills them in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from core.store import Store, StoreError
from evals.ratings import FeedbackLog
from evals import golden


@dataclass(frozen=True)
class FeedbackImport:
    added: tuple[str, ...]  # golden ids written
    already: int  # thumbs-down questions some golden file already holds
    target: Path


def add_feedback(data_dir: Path, target: Path = golden.FEEDBACK_FILE) -> FeedbackImport:
    log = FeedbackLog(Store(data_dir).feedback_path)
    if not log.path.exists():
        raise InputError(f"No feedback in {log.path}; rate answers with thumbs up/down in coach ui first")
    known = {golden.question_key(q) for q in _golden_questions(target)}
    lines, added, already = [], [], 0
    for item in log.all():
        if item.rating != "down":
            continue
        if golden.question_key(item.question) in known:
            already += 1
            continue
        known.add(golden.question_key(item.question))
        added.append(item.id)
        lines.append(json.dumps({
            "id": item.id, "q": item.question, "kind": "rep", "expected": [], "must_mention": [],
            "needs_review": True, "comment": item.comment,
        }, ensure_ascii=False))
    if lines:
        try:
            with target.open("a", encoding="utf-8") as handle:
                handle.write("".join(line + "\n" for line in lines))
        except OSError as exc:
            raise StoreError(f"cannot write {target} ({exc.strerror}); check its permissions") from None
    return FeedbackImport(tuple(added), already, target)


def _golden_questions(target: Path) -> list[str]:
    questions = [q.q for name in golden.SETS for q in golden.load_set(name)]
    if target.exists():
        for line in target.read_text(encoding="utf-8").splitlines():
            try:
                questions.append(json.loads(line)["q"])
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
    return questions
