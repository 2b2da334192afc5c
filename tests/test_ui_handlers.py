"""The app's handlers, without a browser, against a real store in a temp dir."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from conftest import free_port
from ui_store import build_store

from core.errors import ConfigError
from evals.ratings import FeedbackLog
from ingest.files import MAX_BYTES
from ui import coaching, handlers, render, uploads
from ui.chart import chart_svg
from ui.uploads import Upload

REPO = Path(__file__).resolve().parents[1]
TIMING = "How do I handle a timing objection?"
HOSTILE_NOTE = """---
rep: Nora Quill
date: 2026-09-03
account: Lantern Bikes
call_type: discovery
---
Discovery with the operations lead at Lantern Bikes. <script>alert("x")</script> The buyer said
<b>onboarding</b> takes two weeks per new rider and ![pixel](http://evil.example/p.png) the backlog
costs them three lost contracts a quarter. Nora asked who else feels it when onboarding stalls.
"""
CALL_NOTE = """---
rep: Ivy Marsh
date: 2026-10-02
account: Fernhill Dairy
call_type: discovery
---
Ivy asked the plant manager what a missed delivery window costs; he said about four thousand a week.
"""


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    """Playbooks, some real call notes and one hostile note, ingested once for the module."""
    root = tmp_path_factory.mktemp("ui-store")
    base = build_store(root, HOSTILE_NOTE)
    yield base
    base.close()


# -- Ask --------------------------------------------------------------------------------
@pytest.mark.slow
def test_ask_returns_a_cited_answer_with_the_quote_highlighted(kb):
    history, panel = handlers.chat_turn(kb, TIMING, None)
    answer = handlers.latest_answer(history)
    assert answer["grounded"] and answer["citations"]
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"]
    assert "[1]" in history["messages"][1]["content"]
    assert "Acknowledge" in history["messages"][1]["content"]
    first = answer["citations"][0]
    assert "Discovery Coach › Objection Handling: The AECR Framework" in panel
    assert first["source"] in panel
    assert "<strong><mark>Acknowledge</mark></strong><mark> — Validate the concern without agreeing or " \
           "arguing</mark>" in panel  # the playbook's bold kept, the quote marked across it
    assert "**" not in panel
    assert 'data-message="1"' in panel and "For: “How do I handle a timing objection?”" in panel
    visible = re.sub(r"<details>.*?</details>", "", panel, flags=re.S)  # a long passage's folded whole text
    assert visible.count('<sup class="coach-ref">') == len(answer["citations"])


@pytest.mark.slow
def test_history_restores_and_each_message_keeps_its_sources(kb):
    history, _ = handlers.chat_turn(kb, TIMING, None)
    history, _ = handlers.chat_turn(kb, "What goes in the first two minutes of a discovery call?", history)
    messages, panel = handlers.restore(json.loads(json.dumps(history)))  # as the browser stores it
    assert len(messages) == 4
    assert "Upfront Contract" in panel
    assert "AECR" in handlers.sources_for_message(history, 1)
    assert handlers.restore({"garbage": True}) == ([], render.sources_html(None))


@pytest.mark.slow
def test_a_refusal_reads_as_help_not_as_an_error(kb):
    history, panel = handlers.chat_turn(kb, "What's a good recipe for lasagna?", None)
    message = history["messages"][1]["content"]
    assert handlers.latest_answer(history)["grounded"] is False
    assert "so I won't guess" in message
    assert "try asking about" in message
    assert "Couldn't answer" not in message and "error" not in message.lower()
    assert "No sources for this one" in panel


@pytest.mark.slow
def test_a_user_error_shows_the_library_message(kb):
    history, panel = handlers.chat_turn(kb, "x" * 2500, None)
    assert "keep it under 2000" in history["messages"][1]["content"]
    assert "No sources" in panel


@pytest.mark.slow
def test_markup_in_a_call_note_is_shown_as_text(kb):
    history, panel = handlers.chat_turn(kb, "What did the buyer at Lantern Bikes say about onboarding?", None)
    message = history["messages"][1]["content"]
    assert handlers.latest_answer(history)["grounded"]
    for shown in (message, panel):
        assert "<script" not in shown and "<b>" not in shown
    assert "&lt;script&gt;" in message and "&lt;script&gt;" in panel
    assert "!\\[pixel](http" in message  # an escaped bracket: no image or link can form


def test_render_escapes_observation_evidence_and_model_text():
    from core.records import Evidence, MentalModel, ModelCitation, Observation

    observation = Observation(
        id="obs-1", rep="Nora Quill", theme="pitching-too-early", polarity="gap",
        statement="Opens the deck <img src=x onerror=alert(1)>", calls=2, first_seen="2026-09-01",
        last_seen="2026-09-08", evidence=(Evidence("calls/a.md", "2026-09-01", '<script>alert("q")</script>'),),
    )
    html = render.evidence_html(observation, "Pitching <early>")
    assert "<script" not in html and "<img" not in html and "<early>" not in html
    assert "calls/a.md" in html and "&lt;script&gt;" in html
    model = MentalModel("m", "Discovery <Playbook>", "q", "Do this [1] <iframe src=x> [x](javascript:alert(1)) [9]",
                        (ModelCitation(1, "a`b.md", "S", "<b>quote</b>"),), 2, "2026-10-01T09:00:00+00:00")
    text = render.model_html(model) + render.model_sources_html(model)
    assert "<iframe" not in text and "<b>" not in text and "<Playbook>" not in text and "<a href" not in text
    assert "[x](javascript:alert(1))" in text and "2026-10-01 09:00 UTC" in text and "&lt;b&gt;quote" in text
    assert '<a class="coach-mcite" href="#coach-model-source-1" data-n="1"' in text
    assert "[9]" in text and 'data-n="9"' not in text  # a marker with no source stays text
    assert 'id="coach-model-source-1"' in text and 'data-source="a`b.md"' in text


def test_model_history_is_a_change_list_that_wraps():
    from core.records import ModelVersion

    history = render.history_html([ModelVersion(2, "2026-10-01T09:00:00+00:00",
                                                ("+## Recurring gaps", "+- **Pitching** early <x> [3]", "+",
                                                 "- - old line")),
                                   ModelVersion(1, "2026-09-01", ())])
    assert history.index('data-version="2"') < history.index('data-version="1"')
    assert "Added (2 lines)" in history and "Removed (1 line)" in history
    assert '<li class="coach-added"><span class="coach-change-heading">Heading:</span> Recurring gaps</li>' in history
    assert '<li class="coach-added"><strong>Pitching</strong> early &lt;x&gt; [3]</li>' in history
    assert '<li class="coach-removed">old line</li>' in history
    assert "<pre" not in history and "```" not in history and "No changes recorded." in history


def test_highlight_ignores_emphasis_and_whitespace_differences():
    passage = "Intro line.\n\n**Acknowledge** — Validate\n   the concern <now>.\n\nTail."
    html = render.highlight(passage, [(1, "Acknowledge — Validate the concern <now>.")])
    assert ("<p><strong><mark>Acknowledge</mark></strong><mark> — Validate</mark><br><mark>the concern "
            "&lt;now&gt;.</mark><sup class=\"coach-ref\">[1]</sup></p>") in html
    missing = render.highlight("Some text.", [(2, "not in there")])
    assert "<mark>not in there</mark>" in missing


def test_passages_render_as_markdown_with_quotes_marked_across_cells():
    passage = ("## Objections\n\n| Category | Share |\n|---|---|\n| **Budget** | 48% |\n| Timing | 32% |\n\n"
               "- first `code` item\n  - nested *point*\n\n```\nfenced <b>\n```\n\nSee [x](javascript:alert(1)).")
    html = render.highlight(passage, [(1, "Budget | 48%"), (2, "nested point")])
    assert '<h4 class="coach-md-h">Objections</h4>' in html
    assert "<th>Category</th>" in html and "<td>Timing</td>" in html
    assert '<td><strong><mark>Budget</mark></strong></td><td><mark>48%</mark><sup class="coach-ref">[1]</sup></td>' in html
    assert "<ul><li>first <code>code</code> item<ul><li><mark>nested </mark><em><mark>point</mark><sup" in html
    assert "<pre><code>fenced &lt;b&gt;</code></pre>" in html
    assert "<a" not in html and "**" not in html and "|---" not in html and "```" not in html
    assert "[x](javascript:alert(1))" in html  # a link in a note stays text


# -- Feedback ---------------------------------------------------------------------------
@pytest.mark.slow
def test_feedback_is_stored_with_question_answer_and_citations_and_exported(kb):
    history, _ = handlers.chat_turn(kb, TIMING, None)
    history, _ = handlers.chat_turn(kb, "What's a good recipe for lasagna?", history)
    assert handlers.record_feedback(kb, history, 1, True).startswith("Thanks")
    assert handlers.record_feedback(kb, history, 3, False, "should point to the playbook index").startswith("Thanks")
    assert handlers.record_feedback(kb, history, 7, False).startswith("Pick an answer")
    items = FeedbackLog(kb.store.feedback_path).all()[-2:]
    assert [i.rating for i in items] == ["up", "down"]
    assert items[0].question == TIMING and items[0].citations and "Acknowledge" in items[0].answer
    assert items[1].comment == "should point to the playbook index"
    message, path = handlers.export_feedback(kb)
    lines = [json.loads(line) for line in Path(path).read_text().splitlines()]
    assert lines[-1] == {"id": items[1].id, "q": "What's a good recipe for lasagna?", "kind": "rep",
                         "expected": [], "must_mention": [], "note": "should point to the playbook index"}
    assert items[1].id.startswith("fb-") and "Wrote" in message


@pytest.mark.slow
def test_the_fast_evaluation_runs_from_the_app_and_thumbs_down_answers_are_listed(kb):
    summary, metrics, report = handlers.run_fast_eval(kb)
    assert summary.startswith("**Fast evaluation finished** in ") and "13 dev questions" in summary
    assert {"hit@1", "mrr", "must_mention", "mental_model_coverage"} <= set(metrics["Metric"])
    assert report.startswith("# coach evaluation") and str(kb.data_dir) not in report
    assert handlers.latest_eval_report(kb) == report  # saved as the latest, as coach eval --fast does
    FeedbackLog(kb.store.feedback_path).record(question="What do we charge?", answer="**Bold** claim [1]", grounded=True,
                                    rating="down", comment="prices are not in the playbooks")
    note, rows = handlers.thumbs_down(kb)
    assert note.endswith("to review.")
    assert rows.iloc[0].tolist()[1:] == ["What do we charge?", "prices are not in the playbooks", "Bold claim [1]"]
    message, path = handlers.export_feedback(kb)
    assert "/" not in message.split(".jsonl")[0] and str(kb.data_dir) not in message and Path(path).exists()


def test_feedback_log_skips_a_damaged_line_and_dedupes_questions(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    log.record(question="Q one?", answer="a", grounded=True, rating="down", comment="first")
    log.path.write_text(log.path.read_text() + '{"broken": \n')
    log.record(question="q  ONE?", answer="a", grounded=True, rating="down", comment="second")
    assert len(log.all()) == 2
    assert log.export_eval_questions(tmp_path / "out.jsonl") == 1
    assert json.loads((tmp_path / "out.jsonl").read_text())["note"] == "second"


# -- Knowledge --------------------------------------------------------------------------
def stored_key(kb, suffix: str) -> str:
    """The document key of the one stored file whose key ends with ``suffix``."""
    (key,) = [k for k in kb.docstore.documents() if k.endswith(suffix)]
    return key


@pytest.mark.slow
def test_an_upload_named_to_escape_lands_inside_the_data_dir(kb, tmp_path):
    given = tmp_path / "evil.md"
    given.write_text(CALL_NOTE)
    message, report = handlers.ingest_uploads(kb, [Upload(given, "../../evil.md")])
    row = report.iloc[0]
    assert row["Status"] == "added", (message, report.to_dict("records"))
    assert row["Stored as"] == "uploads/calls/evil.md"  # no server path, no unique-name prefix
    key = stored_key(kb, "-evil.md")
    stored = Path(kb.docstore.documents()[key].path)
    calls = (Path(kb.data_dir) / "uploads" / "calls").resolve()
    assert stored.parent == calls and stored.name.endswith("-evil.md") and ".." not in stored.name
    assert not (Path(kb.data_dir).parent.parent / "evil.md").exists()
    again, _ = handlers.ingest_uploads(kb, [Upload(given, "..\\..\\evil.md")])
    assert "1 unchanged" in again
    assert len(list(calls.iterdir())) == 1  # identical bytes are stored once
    message, removal = handlers.remove_source(kb, key)
    assert message == "Removed uploads/calls/evil.md."
    assert not stored.exists() and key not in kb.docstore.documents()
    assert handlers.undo_removal(kb, removal) == "uploads/calls/evil.md is back in the store."
    assert stored.exists() and key in kb.docstore.documents()
    assert "Removed" in handlers.remove_source(kb, key)[0]
    assert not stored.exists()


@pytest.mark.slow
def test_oversize_and_unsupported_uploads_are_rejected_with_a_reason(kb, tmp_path):
    big = tmp_path / "huge.md"
    with big.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    pdf = tmp_path / "deck.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    message, report = handlers.ingest_uploads(kb, [Upload(big, "huge.md"), Upload(pdf, "deck.pdf")])
    details = dict(zip(report["File"], report["Detail"]))
    assert set(report["Status"]) == {"rejected"}
    assert "too large" in details["huge.md"] and "limit 20 MB" in details["huge.md"]
    assert "unsupported file type .pdf" in details["deck.pdf"]
    assert "2 rejected" in message
    assert not list((Path(kb.data_dir) / "uploads" / "calls").glob("*huge*"))


@pytest.mark.slow
def test_an_unusable_note_is_reported_and_not_kept(kb, tmp_path):
    note = tmp_path / "no-header.md"
    note.write_text("Just some text without rep or date.\n")
    message, report = handlers.ingest_uploads(kb, [Upload(note, "no-header.md")])
    assert report.iloc[0]["Status"] == "skipped"
    assert "rep" in report.iloc[0]["Detail"] and "fix it and upload again" in report.iloc[0]["Detail"]
    assert not list((Path(kb.data_dir) / "uploads" / "calls").glob("*no-header*"))


@pytest.mark.slow
def test_a_playbook_upload_goes_to_the_playbooks_folder(kb, tmp_path):
    given = tmp_path / "guide.md"
    given.write_text("---\nname: Tiny Guide\n---\n# Tiny Guide\n\n## Pricing calls\n\nAlways restate the budget owner's goal first.\n")
    try:
        _, report = handlers.ingest_uploads(kb, [Upload(given, "guide.md")], playbook=True)
        assert report.iloc[0]["Status"] == "added"
        assert report.iloc[0]["Stored as"] == "uploads/playbooks/guide.md"
        assert kb.docstore.documents()[stored_key(kb, "-guide.md")].kind == "playbook"
        assert handlers.ingest_uploads(kb, [Upload(given, "guide.txt")], playbook=True)[1].iloc[0]["Status"] == "rejected"
    finally:
        handlers.remove_source(kb, stored_key(kb, "-guide.md"))


@pytest.mark.slow
def test_store_listing_and_removing_a_source_that_was_not_uploaded(kb):
    summary, listing, choices = handlers.store_listing(kb)
    assert "2 playbooks" in summary
    assert set(listing["Kind"]) == {"Playbook", "Call notes"}
    assert "playbooks/discovery-coach.md" in set(listing["Source"])  # relative to the knowledge folder
    assert not any(s.startswith(("/", "knowledge/")) for s in listing["Source"])
    label, source = next(c for c in choices if c[0] == "playbooks/discovery-coach.md")
    path = Path(kb.docstore.documents()[source].path)
    question = handlers.removal_question(kb, source)
    assert question.startswith("Remove the playbook **playbooks/discovery-coach.md** and its ")
    assert "undo" in question
    try:
        message, removal = handlers.remove_source(kb, source)
        assert message.startswith(f"Removed {label}. The file itself is still in the knowledge folder")
        assert str(kb.data_dir) not in message and str(path.parent) not in message
        assert source not in kb.docstore.documents()
        assert path.exists()  # a file it did not upload is never deleted
        assert all(c.source != source for c in kb.ask("How do I handle a timing objection?").citations)
        assert handlers.undo_removal(kb, removal) == f"{label} is back in the store."
        assert kb.docstore.documents()[source].kind == "playbook"
    finally:
        if source not in kb.docstore.documents():
            kb.ingest([path])
    assert source in kb.docstore.documents()
    assert handlers.remove_source(kb, "nope.md")[0].endswith("(it may have been removed already).")
    assert handlers.undo_removal(kb, None) == "Nothing to undo."


def test_safe_names_use_an_allow_listed_suffix():
    name = uploads.safe_name("../../We!rd Näme..md", ".md")
    assert name.endswith("-we-rd-n-me.md") and "/" not in name and len(name.split("-")[0]) == 12
    assert uploads.safe_name("....md", ".md").endswith("-upload.md")


# -- coach ui ---------------------------------------------------------------------------
def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    from coach.cli import main

    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_coach_ui_without_a_knowledge_base_says_what_to_run(tmp_path, capsys):
    code, out, err = run_cli(capsys, "--data-dir", str(tmp_path / "empty"), "ui", "--port", "7999")
    assert code == 1 and out == ""
    assert err.strip().endswith("Run: coach ingest knowledge/") and err.count("\n") == 1


def test_coach_ui_rejects_a_malformed_login_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COACH_UI_AUTH", "just-a-name")
    code, _, err = run_cli(capsys, "--data-dir", str(tmp_path), "ui")
    assert code == 1
    assert err == "coach: COACH_UI_AUTH must look like user:password (both non-empty); fix or unset it\n"


def test_coach_ui_help_documents_host_port_and_login(capsys):
    with pytest.raises(SystemExit):
        run_cli(capsys, "ui", "--help")
    text = capsys.readouterr().out
    assert "--host" in text and "--port" in text and "127.0.0.1" in text
    assert "COACH_UI_AUTH=user:password" in text


def test_parse_auth():
    from coach.commands.app import parse_auth

    assert parse_auth(None) is None and parse_auth("") is None
    assert parse_auth("coach:s3:cret") == ("coach", "s3:cret")
    for bad in ("nopass:", ":nouser", "plain"):
        with pytest.raises(ConfigError):
            parse_auth(bad)


@pytest.mark.slow
def test_coach_ui_prints_its_url_and_serves(kb):
    """The real command in a subprocess: one line on stdout, then the app answers on that URL."""
    import subprocess
    import sys
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "--data-dir", str(kb.data_dir), "ui", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        line = process.stdout.readline()
        assert line == f"coach: serving on http://127.0.0.1:{port}\n", process.stderr.read() if not line else line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            assert response.status == 200 and "coach" in response.read().decode()
        assert process.poll() is None  # still serving
    finally:
        process.terminate()
        process.wait(timeout=30)


# -- Coaching memory --------------------------------------------------------------------
@pytest.mark.slow
def test_memory_tabs_show_an_empty_state_without_a_taxonomy(tmp_path):
    """A real store of playbooks only: no bank.json, no taxonomy.json, no call notes."""
    from core.settings import Settings
    from coach.knowledge_base import KnowledgeBase

    shutil.copytree(REPO / "knowledge" / "playbooks", tmp_path / "playbooks")
    store = KnowledgeBase(Settings.from_env(tmp_path / ".coach", env={}))
    assert store.ingest([tmp_path / "playbooks"]).added == 2
    try:
        assert coaching.theme_labels(store) == {}
        view = coaching.observations_view(store, rep=None)
        assert view.message.startswith("No observations yet — ingest call notes")
        assert view.table.empty and not view.chart.series
        assert coaching.interventions_table(store)[0].startswith("No coaching interventions")
        assert coaching.model_choices(store) == []
        assert "No bank.json" in coaching.model_view(store, "discovery-playbook")[0]
    finally:
        store.close()


@pytest.mark.slow
def test_observations_filter_by_rep_with_evidence_and_a_weekly_chart(kb):
    view = coaching.observations_view(kb, rep="Dana Okafor", include_one_offs=True)
    assert not view.message, view.message
    assert set(view.table["Rep"]) == {"Dana Okafor"}
    evidence = coaching.evidence_for(kb, view.observations, 0)
    assert "<blockquote>" in evidence and "dana-okafor" in evidence
    rates = view.chart.values()
    assert rates and all(0 <= rate <= 1 for weeks in rates.values() for rate in weeks.values())
    assert view.chart.title == "Gap rate by week — Dana Okafor" and view.chart.measure == "gap"
    gaps = coaching.observations_view(kb, rep="Dana Okafor", polarity="gap", include_one_offs=True)
    assert set(gaps.table["Type"]) <= {"gap"}
    late = coaching.observations_view(kb, rep="Dana Okafor", date_from="2030-01-01")
    assert late.table.empty and late.message == "No observations match these filters."
    assert not late.chart.series and "No observations match" in chart_svg(late.chart)
    bad = coaching.observations_view(kb, rep="Dana Okafor", date_to="soon")
    assert bad.message == "To date 'soon' is not a date; write it as 2026-09-01"


@pytest.mark.slow
def test_the_chart_is_the_gap_rate_by_week_of_the_listed_themes_with_sessions(kb):
    view = coaching.observations_view(kb, rep="Dana Okafor")
    themes = {coaching.theme_labels(kb)[o.theme] for o in view.observations}
    assert set(view.chart.values()) == themes
    for o in view.observations:
        drawn = view.chart.values()[coaching.theme_labels(kb)[o.theme]]
        assert drawn == {w.week: round(w.gap_rate, 3) for w in o.trend}
    assert [m.date for m in view.chart.sessions] == ["2026-09-21"]
    strengths = coaching.observations_view(kb, rep="Dana Okafor", polarity="strength")
    assert strengths.chart.measure == "strength"
    for label, weeks in strengths.chart.values().items():
        assert all(round(1 - view.chart.values().get(label, {}).get(w, 1 - r), 3) == r for w, r in weeks.items())
    late = coaching.observations_view(kb, rep="Dana Okafor", date_from="2026-10-01")
    assert all(w >= "2026-09-28" for weeks in late.chart.values().values() for w in weeks)
    assert not late.chart.sessions
    svg = chart_svg(view.chart)
    assert svg.count('class="coach-point"') == sum(len(w) for w in view.chart.values().values())
    assert 'class="coach-session" data-date="2026-09-21"' in svg


@pytest.mark.slow
def test_interventions_say_whether_they_helped(kb):
    note, table = coaching.interventions_table(kb, "Dana Okafor")
    assert not table.empty, note
    assert "helped" in set(table["Result"])  # her 2026-09-21 coaching on pitching too early
    assert set(table["Result"]) <= {"helped", "did not help", "too early to tell"}
    assert table["Before"].str.match(r"gap in \d+ of \d+ calls").all()


@pytest.mark.slow
def test_mental_models_render_with_citations_and_history(kb):
    choices = coaching.model_choices(kb)
    assert [value for _, value in choices] == ["discovery-playbook", "coaching-themes"]
    document, sources, history = coaching.model_view(kb, choices[0][1])
    assert document.startswith(f'<article class="coach-model coach-md"><h1>{render.text(choices[0][0])}</h1>')
    assert "refreshed" in document and 'class="coach-mcite"' in document and "<h2" in document
    assert 'id="coach-model-source-1"' in sources and "playbooks/discovery-coach.md" in sources
    assert '<div class="coach-path">playbooks/discovery-coach.md</div>' in sources  # relative to the folder
    assert 'coach-path">knowledge/' not in sources
    assert history.startswith('<div class="coach-history">') and 'class="coach-added"' in history


@pytest.mark.slow
def test_scorecards_show_recurring_patterns_the_turn_and_the_last_coaching(kb):
    from ui import scorecard

    labels = coaching.theme_labels(kb)
    (dana,) = scorecard.scorecards(kb, "Dana Okafor", labels)
    assert [(p.theme, p.reading) for p in dana.turned] == [
        ("Pitching before discovery is done", "gap, then strength after coaching on 2026-09-21")]
    assert dana.last_coaching == "2026-09-21" and {i.theme for i in dana.coaching} >= {"pitching-too-early"}
    assert dana.notes >= 7
    every = scorecard.scorecards(kb, None, labels)
    assert [c.rep for c in every] == list(kb.reps())
    nora = next(c for c in every if c.rep == "Nora Quill")
    assert not (nora.gaps or nora.strengths or nora.turned) and nora.last_coaching is None
    table = coaching.scorecard_for(kb, None)
    assert 'data-rep="Dana Okafor"' in table and "gap, then strength after coaching on 2026-09-21" in table
    assert "no coaching yet" in table
    card = coaching.scorecard_for(kb, "Dana Okafor")
    assert "Last coaching: 2026-09-21" in card and "helped" in card and "coach-scorecard-turned" in card


@pytest.mark.slow
def test_an_intervention_detail_lists_the_calls_before_and_after(kb):
    from ui import scorecard

    _, items, table = coaching.interventions_listed(kb, "Dana Okafor")
    assert len(items) == len(table)
    pitching = next(i for i in items if i.theme == "pitching-too-early")
    around = scorecard.calls_around(kb, pitching)
    assert [c.date for c in around.before] == ["2026-09-01", "2026-09-08", "2026-09-17"]
    assert [c.date for c in around.after] == ["2026-09-29", "2026-10-08"]
    assert len(around.before) == pitching.before.calls and len(around.after) == pitching.after.calls
    assert {c.reading for c in around.before} == {"gap"} and {c.reading for c in around.after} == {"strength"}
    detail = coaching.intervention_detail(kb, items, items.index(pitching))
    assert detail.count('class="coach-call"') == 5 and "Tidewater Cold Chain" in detail
    assert 'data-source="knowledge/calls/2026-09-01-dana-okafor-tidewater-cold-chain.md"' in detail
    assert str(kb.data_dir) not in detail
    assert "Pick a coaching session" in coaching.intervention_detail(kb, items, None)


@pytest.mark.slow
def test_a_whole_document_is_read_through_the_store_and_rendered_safely(kb):
    from ui import documents

    playbook = documents.document_html(kb, "knowledge/playbooks/discovery-coach.md\n7")
    assert 'data-opened="7"' in playbook and "playbooks/discovery-coach.md" in playbook
    assert '<h2 class="coach-md-h">Discovery Coach</h2>' in playbook and "<table>" in playbook
    assert "|---" not in playbook and str(kb.data_dir) not in playbook and str(REPO) not in playbook
    note = documents.document_html(kb, "knowledge/calls/2026-09-03-nora-quill-lantern-bikes.md\n1")
    assert "<dt>Account</dt><dd>Lantern Bikes</dd>" in note
    assert "<script" not in note and "&lt;script&gt;" in note and "<img" not in note and "<b>" not in note
    for bad in ("/etc/passwd\n1", "../../knowledge/playbooks/coach.md\n2"):
        assert "Not in the store" in documents.document_html(kb, bad)
    assert documents.document_html(kb, "") == ""


@pytest.mark.slow
def test_call_notes_are_listed_with_rep_and_date_and_searchable(kb):
    note, rows = handlers.call_notes(kb)
    assert list(rows.columns) == handlers.NOTE_COLUMNS and "newest first" in note
    assert list(rows["Date"]) == sorted(rows["Date"], reverse=True)
    assert {"Dana Okafor", "Nora Quill"} <= set(rows["Rep"])
    assert not any(f.startswith(("/", "knowledge/")) for f in rows["File"])
    note, found = handlers.call_notes(kb, "LANTERN")
    assert list(found["Rep"]) == ["Nora Quill"] and note.startswith("**1 of ")
    assert list(handlers.call_notes(kb, "okafor pinecrest")[1]["Account"]) == ["Pinecrest Credit Union"]
    assert len(handlers.call_notes(kb, "tidewater-cold")[1]) == 1  # a file name
    note, none = handlers.call_notes(kb, "zzz")
    assert none.empty and note.startswith("No call note's")


# -- Concurrency (last: it adds notes to the module's store) ------------------------------
@pytest.mark.slow
def test_people_keep_getting_answers_while_an_upload_ingests(kb, tmp_path):
    files = []
    for i in range(80):
        path = tmp_path / f"note-{i}.md"
        path.write_text(CALL_NOTE.replace("four thousand", f"{i + 4} thousand"))
        files.append(Upload(path, path.name))
    answers: list[dict] = []
    done = threading.Event()

    def keep_asking():
        while not done.is_set():
            answers.append(handlers.ask(kb, TIMING))

    def ingest():
        try:
            handlers.ingest_uploads(kb, files)
        finally:
            done.set()

    threads = [threading.Thread(target=ingest), *(threading.Thread(target=keep_asking) for _ in range(3))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        failed = [a["answer"] for a in answers if not a["grounded"]]
        assert len(answers) >= 2 and not failed, failed[:3]
    finally:
        for path in (Path(kb.data_dir) / "uploads" / "calls").iterdir():
            path.unlink()
        kb.ingest([Path(kb.data_dir) / "uploads" / "calls"])


@pytest.mark.slow
def test_observations_view_has_a_weekly_trend_per_rep_and_theme(kb):
    view = coaching.observations_view(kb, rep="Dana Okafor")
    assert list(view.trend.columns) == coaching.TREND_COLUMNS
    assert not view.trend.empty and set(view.trend["Rep"]) == {"Dana Okafor"}
    assert all(int(c) >= int(g) for c, g in zip(view.trend["Calls"], view.trend["Gap calls"]))
