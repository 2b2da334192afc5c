"""Conversations kept for ``coach ask --session NAME``: ``<data-dir>/sessions/NAME.jsonl``.

One JSON object per answered question (question, standalone question, answer, grounded,
cited sections, time). Only the last few exchanges are read back as context.
"""

from __future__ import annotations

import fcntl
import json
import re
from datetime import datetime, timezone
from pathlib import Path

from core.errors import InputError
from core.jsonl import read_objects
from core.records import Answer, Exchange

CONTEXT_EXCHANGES = 5
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class SessionLog:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)  # the store's sessions_dir

    def path(self, name: str) -> Path:
        if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
            raise InputError(f"session name {name!r} is not usable; use letters, digits, '.', '-' or '_' "
                             "(up to 64), e.g. --session call-prep")
        return self.folder / f"{name}.jsonl"

    def history(self, name: str, last: int = CONTEXT_EXCHANGES) -> list[Exchange]:
        path = self.path(name)
        if not path.exists():
            return []
        rows = read_objects(path, f"delete it to start the session {name!r} afresh")
        return [Exchange(str(row.get("question", "")), str(row.get("standalone_question") or row.get("question", "")))
                for _, row in rows[-last:]]

    def append(self, name: str, answer: Answer) -> None:
        path = self.path(name)
        record = {
            "question": answer.question,
            "standalone_question": answer.standalone_question or answer.question,
            "answer": answer.answer,
            "grounded": answer.grounded,
            "citations": [{"n": c.n, "source": c.source, "section": c.section} for c in answer.citations],
            "asked_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
