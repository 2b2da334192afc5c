"""`coach ask --batch`: every line gets an answer or an error of its own; nothing is lost."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def test_every_batch_line_gets_an_answer_or_its_own_error(coach, knowledge_store, tmp_path):
    batch = tmp_path / "questions.jsonl"
    lines = [
        json.dumps({"id": "a", "q": "How do I handle a timing objection?"}),
        json.dumps({"id": "b", "q": "why " * 30_000}),
        "this line is not JSON",
        json.dumps({"id": "d", "q": "   "}),
        "",
        json.dumps({"id": "f", "question": "What goes into the first two minutes of a discovery call?"}),
    ]
    batch.write_text("\n".join(lines) + "\n")
    result = coach("ask", "--batch", str(batch), "--json", data_dir=knowledge_store / ".coach")
    rows = result.json_lines()
    assert [row["id"] for row in rows] == ["a", "b", 3, "d", "f"]
    assert result.code == 1
    answered = [row for row in rows if "error" not in row]
    assert [row["id"] for row in answered] == ["a", "f"] and all(row["grounded"] for row in answered)
    errors = {row["id"]: row for row in rows if "error" in row}
    assert errors["b"]["line"] == 2 and "120,000 characters" in errors["b"]["error"]
    assert errors[3]["line"] == 3 and "expected a JSON object" in errors[3]["error"]
    assert "no question" in errors["d"]["error"]
    assert all(f":{row['line']}:" in row["error"] for row in errors.values())
    assert "3 line(s)" in result.err


def test_a_batch_file_that_cannot_be_read_is_one_line(coach, knowledge_store, tmp_path):
    result = coach("ask", "--batch", str(tmp_path / "missing.jsonl"), data_dir=knowledge_store / ".coach")
    assert result.code == 1 and result.err.strip().count("\n") == 0 and "check the path" in result.err
