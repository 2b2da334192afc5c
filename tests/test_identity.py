"""Stable document identity, through the real CLI on a real store: the same files from any
working directory or path form are the same documents; a moved folder is one command; a
store written before roots were recorded migrates without embedding anything again; a
playbook is a playbook whatever its folder is called."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PLAYBOOK = ("---\nname: Objection Guide\n---\n\n# Objection Guide\n\n## Timing objections\n\n"
            "When the buyer says now is not a good time, ask what changes next quarter and what waiting costs.\n\n"
            "## Budget objections\n\nAsk how the budget was set and who owns the problem the money would solve.\n")
NOTES = {
    "n1.md": "rep: Dana Okafor\ndate: 2026-09-02\naccount: Alder\n\nDana asked what waiting would cost the buyer.\n",
    "n2.txt": "Rep: Jun Park\nDate: 2026-09-03\n\nJun pitched the product before any discovery question.\n",
}


@pytest.fixture
def team(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("COACH_EMBED_MODEL", "minilm")  # the small bundled model: these tests are about keys
    root = tmp_path / "team"
    (root / "playbooks").mkdir(parents=True)
    (root / "calls").mkdir()
    (root / "playbooks" / "objections.md").write_text(PLAYBOOK)
    for name, text in NOTES.items():
        (root / "calls" / name).write_text(text)
    return root


def ingest(coach, data_dir, *paths, cwd: Path):
    os.chdir(cwd)
    result = coach("ingest", *map(str, paths), "--json", data_dir=data_dir)
    assert result.code == 0, result.err
    return result.json()


def test_the_same_folder_by_relative_then_absolute_path_is_stored_once(coach, team, tmp_path):
    store = tmp_path / "store"
    first = ingest(coach, store, "playbooks", cwd=team)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    again = ingest(coach, store, team / "playbooks", cwd=elsewhere)
    assert (first["added"], again["added"], again["unchanged"]) == (1, 0, 1)
    assert again["chunks"] == first["chunks"]
    via_dots = ingest(coach, store, Path("..") / "team" / "playbooks" / "objections.md", cwd=elsewhere)
    assert (via_dots["added"], via_dots["unchanged"], via_dots["chunks"]) == (0, 1, first["chunks"])


def test_call_notes_ingested_twice_by_different_paths_are_counted_once(coach, team, tmp_path):
    store = tmp_path / "store"
    first = ingest(coach, store, team, cwd=tmp_path)
    second = ingest(coach, store, "calls", cwd=team)
    assert first["added"] == 3 and second["unchanged"] == 2 and second["added"] == 0
    assert second["chunks"] == first["chunks"]
    assert {f["path"] for f in first["files"]} == {"team/playbooks/objections.md", "team/calls/n1.md",
                                                   "team/calls/n2.txt"}


def test_a_playbook_in_a_folder_not_called_playbooks_is_a_playbook(coach, team, tmp_path):
    kb_folder = tmp_path / "kb"
    kb_folder.mkdir()
    shutil.copy(team / "playbooks" / "objections.md", kb_folder / "guide.md")
    shutil.copy(team / "calls" / "n1.md", kb_folder / "dana.md")
    report = ingest(coach, tmp_path / "store", "kb", cwd=tmp_path)
    assert report["added"] == 2 and report["skipped"] == []
    answer = coach("ask", "the buyer says now is not a good time, what do I ask?", "--json",
                   data_dir=tmp_path / "store").json()
    assert answer["grounded"] and answer["citations"][0]["source"] == "kb/guide.md"


def test_a_note_that_is_neither_is_skipped_with_both_ways_out_and_kind_forces_it(coach, team, tmp_path):
    (team / "calls" / "plain.md").write_text("Talked to the buyer about their timeline.\n")
    os.chdir(tmp_path)
    result = coach("ingest", str(team), data_dir=tmp_path / "store")
    assert result.code == 1
    line = [x for x in result.err.splitlines() if "plain.md" in x]
    assert len(line) == 1 and "--kind" in line[0] and "rep: Full Name" in line[0]
    forced = coach("ingest", "--kind", "playbook", str(team / "calls" / "plain.md"), "--json",
                   data_dir=tmp_path / "store")
    assert forced.code == 0 and forced.json()["added"] == 1


def test_moving_the_knowledge_folder_is_one_command_and_embeds_nothing(coach, team, tmp_path):
    store = tmp_path / "store"
    first = ingest(coach, store, team, cwd=tmp_path)
    moved = tmp_path / "moved" / "team"
    moved.parent.mkdir()
    team.rename(moved)
    listing = coach("roots", "--json", data_dir=store).json()
    assert listing == [{"label": "team", "path": str(team)}]
    result = coach("roots", "move", "team", str(moved), data_dir=store)
    assert result.code == 0, result.err
    again = ingest(coach, store, moved, cwd=tmp_path)
    assert (again["added"], again["updated"], again["deleted"], again["unchanged"]) == (0, 0, 0, 3)
    assert again["chunks"] == first["chunks"]
    (moved / "calls" / "n2.txt").unlink()  # the sweep follows the root to its new place
    swept = ingest(coach, store, moved, cwd=tmp_path)
    assert swept["deleted"] == 1


def test_moving_an_unknown_root_lists_the_known_ones(coach, team, tmp_path):
    ingest(coach, tmp_path / "store", team, cwd=tmp_path)
    result = coach("roots", "move", "nope", str(tmp_path), data_dir=tmp_path / "store")
    assert result.code == 1 and "known roots: team" in result.err and len(result.err.strip().splitlines()) == 1


def test_a_store_from_before_roots_migrates_on_first_open_without_embedding(coach, team, tmp_path):
    store = tmp_path / "store"
    first = ingest(coach, store, "team", cwd=tmp_path)
    record = json.loads((store / "store.json").read_text())
    (store / "store.json").unlink()  # as a store written by the previous layout has none
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    again = ingest(coach, store, team, cwd=elsewhere)
    assert (again["added"], again["unchanged"], again["chunks"]) == (0, 3, first["chunks"])
    migrated = json.loads((store / "store.json").read_text())
    assert migrated["roots"] == record["roots"] and migrated["embed_model"] == record["embed_model"]


def test_ask_rep_by_first_name_finds_that_reps_call_notes(coach, team, tmp_path):
    ingest(coach, tmp_path / "store", team, cwd=tmp_path)
    answer = coach("ask", "what did the buyer say waiting would cost?", "--rep", "dana", "--json",
                   data_dir=tmp_path / "store").json()
    assert answer["grounded"] and "team/calls/n1.md" in {c["source"] for c in answer["citations"]}
    unknown = coach("ask", "anything?", "--rep", "Priya", data_dir=tmp_path / "store")
    assert unknown.code == 1 and "known reps: Dana Okafor, Jun Park" in unknown.err


def test_a_file_name_holding_a_newline_prints_as_one_escaped_line(coach, team, tmp_path):
    (team / "calls" / "evil\nskipped fake.docx").write_bytes(b"PK")
    os.chdir(tmp_path)
    result = coach("ingest", str(team), data_dir=tmp_path / "store")
    assert result.code == 1
    lines = [x for x in result.err.splitlines() if x.startswith("skipped ")]
    assert lines == ["skipped team/calls/evil\\nskipped fake.docx: unsupported file type .docx; "
                     "use .md for playbooks, .md, .txt or .csv for call notes"]
    report = coach("ingest", str(team), "--json", data_dir=tmp_path / "store").json()
    assert report["skipped"] == [{"path": "team/calls/evil\nskipped fake.docx",
                                  "error": lines[0].split(": ", 1)[1]}]  # JSON keeps the real key


def test_a_folder_given_only_for_a_skipped_file_is_not_recorded_as_a_root(coach, team, tmp_path):
    ingest(coach, tmp_path / "store", team, cwd=tmp_path)
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "deck.docx").write_bytes(b"PK")
    assert coach("ingest", str(stray / "deck.docx"), data_dir=tmp_path / "store").code == 1
    assert [r["label"] for r in coach("roots", "--json", data_dir=tmp_path / "store").json()] == ["team"]
