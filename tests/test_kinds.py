"""What a file is and which document it is: kinds from content, keys from ingest roots,
and the folder walk's reasons for every file it passes over. Pure: no model, no store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.errors import InputError
from core.safety import shown
from ingest.files import discover
from ingest.formats import parse_source
from ingest.kinds import detect_kind
from ingest.roots import Roots, legacy_roots

PLAYBOOK = "---\nname: Objection Guide\n---\n\n# Objection Guide\n\n## Timing\n\nAsk what changes next quarter.\n"
NOTE = "rep: Dana Okafor\ndate: 2026-09-02\naccount: Alder\n\nDana asked about the cost of waiting.\n"


@pytest.mark.parametrize("suffix, text, kind", [
    (".md", PLAYBOOK, "playbook"),
    (".md", NOTE, "call"),
    (".txt", NOTE, "call"),
    (".csv", "rep,date,notes\nDana,2026-09-02,asked well\n", "call"),
    (".md", "---\nrep: Jun Park\ndate: 2026-09-03\n---\n\n# Call\n\nGood call.\n", "call"),
    (".txt", "[00:01] Dana (rep): hello\n[00:05] Buyer: hi\n", "call"),
    (".md", "date: 2026-09-03\naccount: Meridian\n\nNo rep line here.\n", "call"),
    (".md", "---\ndate: 2024-05-01\n---\n\n# Playbook revised in May\n\nText.\n", "playbook"),
])
def test_kind_comes_from_the_text_not_the_folder(suffix, text, kind):
    assert detect_kind(suffix, text) == kind


def test_a_file_that_is_neither_says_both_ways_out():
    with pytest.raises(InputError) as caught:
        detect_kind(".md", "Just some words without any header or heading.\n")
    assert "rep: Full Name" in str(caught.value) and "--kind playbook" in str(caught.value)
    with pytest.raises(InputError, match=r"as markdown \(\.md\)"):
        detect_kind(".txt", "Just some words.\n")


def test_a_dated_note_without_a_rep_names_the_line_to_add_and_the_playbook_option():
    with pytest.raises(InputError) as caught:
        parse_source("team/calls/x.md", "date: 2026-09-03\naccount: Meridian\n\nNotes.\n")
    message = str(caught.value)
    assert "'rep: Full Name'" in message and "--kind playbook" in message


def test_parsers_take_the_text_they_are_given(tmp_path):
    # no file exists at this key: a parser that read the disk would fail
    parsed = parse_source("nowhere/guide.md", PLAYBOOK)
    assert parsed.kind == "playbook" and parsed.chunks[0].source == "nowhere/guide.md"
    assert "next quarter" in parsed.chunks[-1].text
    with pytest.raises(InputError, match="no rep or date"):  # --kind call: the note parser decides
        parse_source("nowhere/guide.md", PLAYBOOK, kind="call")
    with pytest.raises(InputError, match="cannot be a playbook"):
        parse_source("nowhere/calls.csv", "rep,date,notes\n", kind="playbook")


def test_a_key_is_the_path_inside_its_root_whatever_path_form_was_given(tmp_path):
    team = tmp_path / "team"
    (team / "playbooks").mkdir(parents=True)
    (team / "playbooks" / "guide.md").write_text(PLAYBOOK)
    first = discover([team / "playbooks"], Roots())
    assert [f.source for f in first.files] == ["playbooks/guide.md"]
    again = discover([Path(os.path.relpath(team / "playbooks" / "guide.md"))], first.roots)
    assert [f.source for f in again.files] == ["playbooks/guide.md"]
    assert again.roots == first.roots


def test_a_new_root_never_changes_an_existing_key(tmp_path):
    team = tmp_path / "team"
    (team / "playbooks").mkdir(parents=True)
    (team / "calls").mkdir()
    (team / "playbooks" / "guide.md").write_text(PLAYBOOK)
    (team / "calls" / "n.md").write_text(NOTE)
    inner = discover([team / "playbooks"], Roots())
    outer = discover([team], inner.roots)
    assert sorted(f.source for f in outer.files) == ["playbooks/guide.md", "team/calls/n.md"]
    assert outer.roots.locate("playbooks/guide.md") == team / "playbooks" / "guide.md"
    assert outer.roots.locate("team/calls/n.md") == team / "calls" / "n.md"


def test_roots_with_the_same_folder_name_get_distinct_labels(tmp_path):
    (tmp_path / "a" / "notes").mkdir(parents=True)
    (tmp_path / "b" / "notes").mkdir(parents=True)
    roots = Roots().adopt(tmp_path / "a" / "notes").adopt(tmp_path / "b" / "notes")
    assert sorted(roots.folders) == ["notes", "notes-2"]


def test_a_moved_root_keeps_its_keys(tmp_path):
    roots = Roots({"knowledge": tmp_path / "old"}).moved("knowledge", tmp_path / "new")
    assert roots.locate("knowledge/calls/n.md") == tmp_path / "new" / "calls" / "n.md"
    assert roots.key_for(tmp_path / "new" / "calls" / "n.md") == "knowledge/calls/n.md"


def test_legacy_keys_relative_to_the_working_directory_keep_their_value():
    roots = legacy_roots({
        "knowledge/calls/n.md": Path("/srv/team/knowledge/calls/n.md"),
        "/elsewhere/notes/x.md": Path("/elsewhere/notes/x.md"),
        "loose.md": Path("/srv/team/loose.md"),
    })
    assert roots.folders["knowledge"] == Path("/srv/team/knowledge")
    for key, path in [("knowledge/calls/n.md", "/srv/team/knowledge/calls/n.md"),
                      ("/elsewhere/notes/x.md", "/elsewhere/notes/x.md"), ("loose.md", "/srv/team/loose.md")]:
        assert roots.locate(key) == Path(path)
        assert roots.key_for(Path(path)) == key


def test_the_walk_names_every_file_it_passes_over(tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "guide.md").write_text(PLAYBOOK)
    (folder / "deck.docx").write_bytes(b"PK\x03\x04")
    (folder / "bank.json").write_text("{}")  # the memory's configuration: quiet
    (folder / "LICENSE").write_text("MIT")
    (folder / ".hidden.md").write_text(NOTE)
    (folder / "loop-a.md").symlink_to(folder / "loop-b.md")
    (folder / "loop-b.md").symlink_to(folder / "loop-a.md")
    os.mkfifo(folder / "pipe.md")
    (folder / "evil\nskipped fake.md").write_text("x")
    found = discover([folder], Roots())
    assert [f.source for f in found.files] == ["kb/evil\nskipped fake.md", "kb/guide.md"]
    reasons = dict(found.skipped)
    assert "unsupported file type .docx" in reasons["kb/deck.docx"]
    assert "symlink loop" in reasons["kb/loop-a.md"] and "symlink loop" in reasons["kb/loop-b.md"]
    assert "not a regular file" in reasons["kb/pipe.md"]
    assert len(found.skipped) == 4


def test_a_symlink_loop_given_as_an_argument_is_one_skipped_line(tmp_path):
    (tmp_path / "good.md").write_text(PLAYBOOK)
    (tmp_path / "loop-a.md").symlink_to(tmp_path / "loop-b.md")
    (tmp_path / "loop-b.md").symlink_to(tmp_path / "loop-a.md")
    found = discover([tmp_path / "good.md", tmp_path / "loop-a.md"], Roots())
    assert [f.path.name for f in found.files] == ["good.md"]
    assert len(found.skipped) == 1 and "symlink loop" in found.skipped[0][1]


def test_names_are_printed_escaped():
    assert shown("calls/a\nskipped b.md") == "calls/a\\nskipped b.md"
    assert "\n" not in shown("x\ry\n")
    assert shown("calls/ok.md") == "calls/ok.md"


def test_a_rep_is_named_by_full_or_first_name_one_way_everywhere():
    from core.names import rep_key, resolve_rep, same_rep

    known = ["Dana Okafor", "Jun Park", "Dana Reyes", "Marco Bellini"]
    assert resolve_rep("  jun ", known) == "Jun Park"
    assert resolve_rep("dana okafor", known) == "Dana Okafor"
    assert resolve_rep("Dana", known) is None  # two Danas: the full name is needed
    assert resolve_rep("Priya", known) is None
    assert same_rep("Marco  Bellini", "marco") and not same_rep("Marco Bellini", "bellini")
    assert rep_key(" Marco\tBellini ") == "marco bellini"
