"""Unit tests for the call-note parsers, over real files in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InputError
from core.records import CallNote, Turn
from ingest import call_note, csv_export
from ingest.dates import parse_date
from ingest.files import read_text
from ingest.frontmatter import split_header
from ingest.transcript import parse_turns


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def parse_note(tmp_path: Path, text: str, name: str = "x.md") -> CallNote:
    notes = call_note.parse(read_text(write(tmp_path, name, text)).text, f"knowledge/calls/{name}")
    assert len(notes) == 1
    return notes[0]


YAML_NOTE = """---
rep: Dana Okafor
date: 2026-09-02
account: Harbor Freight Logistics
Call-Type: discovery
coach: Priya Raman        # optional
stage: qualification
outcome: next meeting set
---
## Summary
Buyer reconciles carrier invoices by hand.
"""


def test_yaml_header(tmp_path: Path) -> None:
    note = parse_note(tmp_path, YAML_NOTE)
    assert note.source == "knowledge/calls/x.md"
    assert (note.rep, note.date) == ("Dana Okafor", "2026-09-02")
    assert note.account == "Harbor Freight Logistics"
    assert (note.call_type, note.coach, note.stage) == ("discovery", "Priya Raman", "qualification")
    assert note.outcome == "next meeting set"
    assert note.body == "## Summary\nBuyer reconciles carrier invoices by hand.\n"
    assert note.body in YAML_NOTE
    assert note.turns == ()
    assert note.row is None


def test_key_value_header(tmp_path: Path) -> None:
    text = (
        "Rep: Dana Okafor\nDate: Sep 2, 2026\nAccount: Harbor Freight\nType: demo\n"
        "\nShowed the audit view.\n"
    )
    note = parse_note(tmp_path, text, "x.txt")
    assert (note.rep, note.date) == ("Dana Okafor", "2026-09-02")
    assert (note.account, note.call_type) == ("Harbor Freight", "demo")
    assert note.coach is None and note.stage is None
    assert note.body == "Showed the audit view.\n"


def test_call_type_wins_over_type_alias(tmp_path: Path) -> None:
    text = "Rep: Dana\nDate: 2026-09-02\nType: demo\nCall type: negotiation\n\nbody\n"
    assert parse_note(tmp_path, text).call_type == "negotiation"


def test_yaml_one_on_one_stays_text_and_is_coaching(tmp_path: Path) -> None:
    # plain YAML 1.1 would read 1:1 as the base-60 integer 61
    note = parse_note(tmp_path, "---\nrep: Dana\ndate: 2026-09-02\ncall_type: 1:1\n---\nbody\n")
    assert note.call_type == "1:1"
    assert call_note.is_coaching(note.call_type)


@pytest.mark.parametrize(
    "value", ["coaching", "Coaching Session", "1:1", "One-on-One", " COACHING "]
)
def test_is_coaching_true(value: str) -> None:
    assert call_note.is_coaching(value)


@pytest.mark.parametrize("value", [None, "", "discovery", "coaching call review"])
def test_is_coaching_false(value: str | None) -> None:
    assert not call_note.is_coaching(value)


def test_missing_rep(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        parse_note(tmp_path, "---\ndate: 2026-09-02\n---\nbody\n")
    assert str(info.value) == (
        "knowledge/calls/x.md: no rep in the header; "
        "add a line 'rep: Full Name' to the front matter, or ingest it with --kind playbook if it is a playbook"
    )


def test_missing_date(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        parse_note(tmp_path, "Rep: Dana Okafor\nAccount: Acme\n\nbody\n")
    assert str(info.value) == (
        "knowledge/calls/x.md: no date in the header; add a line 'date: 2026-09-02' "
        "to the header lines at the top, or ingest it with --kind playbook if it is a playbook"
    )


def test_missing_rep_and_date_without_header(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        parse_note(tmp_path, "Just some notes.\n")
    message = str(info.value)
    assert "no rep or date in the header" in message
    assert "'rep: Full Name' and 'date: 2026-09-02'" in message
    assert "\n" not in message


def test_empty_rep_counts_as_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no rep in the header"):
        parse_note(tmp_path, "---\nrep:\ndate: 2026-09-02\n---\nbody\n")


def test_bad_date(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        parse_note(tmp_path, "Rep: Dana\nDate: 13/09/2026\n\nbody\n")
    assert str(info.value) == (
        "knowledge/calls/x.md: date '13/09/2026' is not a date coach reads; "
        "write it as 2026-09-02, 2026/09/02, 02 Sep 2026 or Sep 2, 2026"
    )


def test_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        parse_note(tmp_path, "---\nrep: Dana\ndate: [2026-09-02\n---\nbody\n")
    message = str(info.value)
    assert message.startswith("knowledge/calls/x.md: broken YAML front matter")
    assert "fix it or remove the --- block" in message


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf---\nrep: Dana\ndate: 2026-09-02\n---\nbody\n")
    assert call_note.parse(read_text(path).text, "bom.md")[0].rep == "Dana"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.md"
    path.write_bytes("Rep: Ren\xe9\nDate: 2026-09-02\n\nbody\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"^not UTF-8 text \(bad byte at offset \d+\); re-save it as UTF-8"):
        read_text(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-09-02", "2026-09-02"),
        ("2026/09/02", "2026-09-02"),
        ("02 Sep 2026", "2026-09-02"),
        ("Sep 2, 2026", "2026-09-02"),
        ("September 2, 2026", "2026-09-02"),
        ("2026-09-02T14:30:00Z", "2026-09-02"),
        ("2026-09-02 14:30:00+02:00", "2026-09-02"),
    ],
)
def test_parse_date_formats(value: str, expected: str) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value", ["", "09/02/2026", "2026-02-30", "Sepp 2, 2026", "2026-09-02Tnoon"]
)
def test_parse_date_rejects(value: str) -> None:
    with pytest.raises(ValueError):
        parse_date(value)


TRANSCRIPT_NOTE = """---
rep: Dana Okafor
date: 02 Sep 2026
---
Context before the transcript.
Dana: not a turn, no timestamp yet.

[04:12] Dana Okafor (rep): What prompted you
  to take this call?
[04:31] Buyer: Our carrier invoices are reconciled by hand.
[1:02:09] Sam (prospect): We lose two days a month.
(12:40) dana: How many carriers?
12:41 - Customer: About forty.
[13:00] Lee (SDR): I'll send the deck.
[13:05] Priya (Manager): Noted.
(13:10) Morgan (client): Thanks.
[13:20] Alex (AE): Next Tuesday?
[13:30] Jordan: I'm just listening.

## Next steps
Send the audit deck.
"""


def test_transcript_variants(tmp_path: Path) -> None:
    note = parse_note(tmp_path, TRANSCRIPT_NOTE)
    assert note.date == "2026-09-02"
    assert note.turns == (
        Turn(252, "Dana Okafor", "rep", "What prompted you to take this call?"),
        Turn(271, "Buyer", "buyer", "Our carrier invoices are reconciled by hand."),
        Turn(3729, "Sam", "buyer", "We lose two days a month."),
        Turn(760, "dana", "rep", "How many carriers?"),
        Turn(761, "Customer", "buyer", "About forty."),
        Turn(780, "Lee", "rep", "I'll send the deck."),
        Turn(785, "Priya", "coach", "Noted."),
        Turn(790, "Morgan", "buyer", "Thanks."),
        Turn(800, "Alex", "rep", "Next Tuesday?"),
        Turn(810, "Jordan", "other", "I'm just listening."),
    )


def test_speaker_matches_rep_by_first_or_full_name() -> None:
    body = "[00:01] DANA: hi\n[00:02] dana okafor: hello\n[00:03] Okafor: hey\n[00:04] Danae: yo\n"
    roles = [turn.role for turn in parse_turns(body, "Dana  Okafor")]
    assert roles == ["rep", "rep", "other", "other"]


def test_speaker_without_rep_is_other() -> None:
    assert parse_turns("[00:01] Dana: hi\n", None)[0].role == "other"


def test_unknown_role_word_falls_back_to_name() -> None:
    turns = parse_turns("[00:05] Dana (VP Sales): hi\n[00:06] Buyer (CFO): no\n", "Dana Okafor")
    assert [(t.speaker, t.role) for t in turns] == [("Dana", "rep"), ("Buyer", "buyer")]


def test_continuation_stops_at_blank_line() -> None:
    body = "[00:10] Buyer: first\nsecond line\n\nprose after the transcript\n"
    assert parse_turns(body, None) == (Turn(10, "Buyer", "buyer", "first second line"),)


def test_turn_text_may_start_on_next_line() -> None:
    assert parse_turns("[00:10] Buyer:\nall of it here\n", None)[0].text == "all of it here"


def test_split_header_keeps_yaml_scalars_as_text() -> None:
    header = split_header("---\nrep: Yes\ndate: 2026-09-02\ncoach: ~\n---\n", "n.md")
    assert header.fields == {"rep": "Yes", "date": "2026-09-02"}


CSV_TEXT = (
    "\ufeffOwner,Call Date,Company,Call-Type,Summary,Stage,Ignored\r\n"
    'Dana Okafor,2026-09-02,Harbor Freight,discovery,"Asked about invoices.\r\n'
    '[04:31] Buyer: We reconcile by hand, ""every"" month.",qualification,x\r\n'
    ",2026-09-03,Acme,demo,No rep here,,\r\n"
    "\r\n"
    "Sam Lee,13/09/2026,Acme,demo,Bad date,,\r\n"
    "Sam Lee,Sep 4 2026,Globex,,Short row\r\n"
)


def test_csv_aliases_multiline_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_bytes(CSV_TEXT.encode("utf-8"))
    notes, problems = csv_export.parse(read_text(path).text, "knowledge/calls.csv")
    assert [(n.row, n.rep, n.date, n.account) for n in notes] == [
        (1, "Dana Okafor", "2026-09-02", "Harbor Freight"),
        (5, "Sam Lee", "2026-09-04", "Globex"),
    ]
    first = notes[0]
    assert first.source == "knowledge/calls.csv"
    assert (first.call_type, first.stage) == ("discovery", "qualification")
    assert first.coach is None and first.outcome is None
    assert first.body == (
        'Asked about invoices.\n[04:31] Buyer: We reconcile by hand, "every" month.'
    )
    assert first.turns == (Turn(271, "Buyer", "buyer", 'We reconcile by hand, "every" month.'),)
    assert notes[1].call_type is None and notes[1].body == "Short row"
    assert problems == [
        (2, "no rep; fill in the rep cell"),
        (
            4,
            "date '13/09/2026' is not a date coach reads; "
            "write it as 2026-09-02, 2026/09/02, 02 Sep 2026 or Sep 2, 2026",
        ),
    ]


def test_csv_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, "calls.csv", "Rep,Account,Notes\nDana,Acme,hi\n")
    with pytest.raises(InputError) as info:
        csv_export.parse(read_text(path).text, "knowledge/calls.csv")
    assert str(info.value) == (
        "knowledge/calls.csv: no date column; add a header named one of (date: date, call date)"
    )


def test_csv_missing_several_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "calls.csv", "Account\nAcme\n")
    with pytest.raises(InputError) as info:
        csv_export.parse(read_text(path).text, "calls.csv")
    message = str(info.value)
    assert message.startswith("calls.csv: no rep or date or notes column")
    assert "rep: rep, rep name, owner, sales rep" in message
    assert "notes: notes, summary, call notes" in message


def test_csv_empty_file() -> None:
    with pytest.raises(InputError, match="^calls.csv: no header row"):
        csv_export.parse("\n\n", "calls.csv")


def test_a_colon_inside_a_front_matter_value_is_read_as_written(tmp_path: Path) -> None:
    note = parse_note(tmp_path, "---\nrep: Rupert Achterberg\ndate: 2026-02-11\noutcome: forecast: commit (March)\n---\nbody\n")
    assert (note.rep, note.outcome) == ("Rupert Achterberg", "forecast: commit (March)")
