"""Coaching memory end to end: call notes in, observations, interventions and mental
models out, through the real CLI on a real store."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import KNOWLEDGE, REPO, normalise
from floor_generator import EXPECTED, INTERVENTION, ONE_OFFS, write_floor

FLOOR = json.loads((REPO / "evals/data/floor_expectations.json").read_text())


@pytest.fixture
def store(coach, knowledge_store):
    def run(*args):
        return coach(*args, data_dir=knowledge_store / ".coach")
    return run


def keys(observations, promoted=True):
    return {(o["rep"], o["theme"], o["polarity"]) for o in observations
            if o["rep"] and o.get("promoted", True) == promoted}


def test_every_planted_pattern_is_an_observation(store):
    observations = store("observations", "--json").json()
    planted = {(o["rep"], o["theme"], o["polarity"]) for o in FLOOR["observations"]}
    assert planted <= keys(observations)
    teams = {(o["theme"], o["polarity"]) for o in observations if o["rep"] is None}
    for team in FLOOR["team_observations"]:
        assert (team["theme"], team["polarity"]) in teams


def test_one_off_comments_are_facts_not_observations(store):
    promoted = keys(store("observations", "--json").json())
    everything = store("observations", "--all", "--json").json()
    for one_off in FLOOR["one_offs"]:
        assert (one_off["rep"], one_off["theme"], one_off["polarity"]) not in promoted
    # a one-off the classifier retained is listed by --all as a fact, not promoted
    research = [o for o in everything
                if (o["rep"], o["theme"], o["polarity"]) == ("Dana Okafor", "research-before-call", "strength")]
    assert [(o["promoted"], o["calls"]) for o in research] == [(False, 1)]


def test_instruction_inside_a_note_changes_nothing(store):
    injected = FLOOR["injection"]
    everything = store("observations", "--all", "--json").json()
    for observation in everything:
        assert "top performer" not in observation["statement"].lower()
        for evidence in observation["evidence"]:
            assert "ignore previous instructions" not in evidence["quote"].lower()
    marco = store("interventions", "--rep", "Marco Bellini", "--json").json()
    assert [i["helped"] for i in marco if i["theme"] == "forecast-discipline"] == [False]
    assert ("Marco Bellini", "forecast-discipline", "gap") in keys(everything)
    assert injected["rep_targeted"] == "Marco Bellini"


def test_interventions_come_out_as_planted(store):
    found = {(i["rep"], i["date"], i["theme"]): i for i in store("interventions", "--json").json()}
    for planted in FLOOR["interventions"]:
        item = found[(planted["rep"], planted["date"], planted["theme"])]
        assert item["helped"] is planted["helped"], item
        assert item["before"]["calls"] >= 1
        source_text = normalise((REPO / item["source"]).read_text())
        assert normalise(item["action"]) in source_text


def test_observation_evidence_is_verbatim_and_dated(store):
    for observation in store("observations", "--json").json():
        assert observation["calls"] >= 2
        assert observation["first_seen"] <= observation["last_seen"]
        for evidence in observation["evidence"]:
            text = (REPO / evidence["source"]).read_text().replace('""', '"')
            assert normalise(evidence["quote"]) in normalise(text), evidence


def test_filters_and_human_output(store):
    dana = store("observations", "--rep", "Dana", "--polarity", "gap", "--json").json()
    assert dana and all(o["polarity"] == "gap" for o in dana)
    assert all(o["rep"] == "Dana Okafor" or "Dana Okafor" in o["reps"] for o in dana)
    result = store("observations", "--theme", "pitching-too-early")
    assert result.code == 0 and "Dana Okafor" in result.out
    unknown = store("observations", "--rep", "Nobody")
    assert unknown.code == 1 and "No rep named 'Nobody'" in unknown.err


def test_ask_shows_what_worked_on_the_floor(store):
    answer = store("ask", "How do I handle a timing objection?", "--json").json()
    statements = [o["statement"] for o in answer["observations"]]
    assert any("Rafael Duarte" in s and "objection" in s.lower() for s in statements), statements
    questions = store("ask", "which discovery questions actually surface pain?", "--json").json()
    assert any("Who else feels it when that breaks?" in o["statement"] for o in questions["observations"])


def test_mental_models_cite_playbooks_and_calls(store):
    listed = store("model", "list", "--json").json()
    assert {m["id"] for m in listed} == {"discovery-playbook", "coaching-themes"}
    for model_id in ("discovery-playbook", "coaching-themes"):
        model = store("model", "show", model_id, "--json").json()
        sources = {c["source"] for c in model["citations"]}
        assert any(s.startswith("knowledge/playbooks/") for s in sources)
        assert any(s.startswith("knowledge/calls/") for s in sources)
        for citation in model["citations"]:
            assert f"[{citation['n']}]" in model["content"]
            assert normalise(citation["quote"]) in normalise((REPO / citation["source"]).read_text().replace('""', '"'))
    themes = store("model", "show", "coaching-themes", "--json").json()["content"]
    assert "Dana Okafor, 2026-09-21, pitching-too-early: helped" in themes
    assert "did not help" in themes


def test_models_refresh_after_a_changed_note_only(coach, workspace):
    first = coach("ingest", "--json").json()
    assert sorted(first["models_refreshed"]) == ["coaching-themes", "discovery-playbook"]
    assert coach("ingest", "--json").json()["models_refreshed"] == []

    note = workspace / "knowledge/calls/2026-10-22-jun-park-sable-insurance.md"
    note.write_text(note.read_text() + "\nJun left the pricing question open: no next step and no date.\n")
    changed = coach("ingest", "--json").json()
    assert changed["updated"] == 1 and changed["models_refreshed"]
    history = coach("model", "history", "coaching-themes", "--json").json()
    assert [v["version"] for v in history] == [1, 2]
    assert history[1]["changes"] and all(c[0] in "+-" for c in history[1]["changes"])


def test_a_second_floor_with_other_names(coach, tmp_path, monkeypatch):
    root = tmp_path / "floor"
    shutil.copytree(KNOWLEDGE / "playbooks", root / "playbooks")
    for name in ("bank.json", "taxonomy.json"):
        shutil.copy(KNOWLEDGE / name, root / name)
    write_floor(root)
    data = tmp_path / "store"
    assert coach("ingest", str(root), data_dir=data).code == 0
    observations = coach("observations", "--all", "--json", data_dir=data).json()
    assert EXPECTED <= keys(observations)
    assert not (ONE_OFFS & keys(observations))
    assert ONE_OFFS <= keys(observations, promoted=False)
    assert not any("no gaps" in e["quote"].lower() for o in observations for e in o["evidence"])
    rep, date, theme, helped = INTERVENTION
    found = coach("interventions", "--rep", rep, "--json", data_dir=data).json()
    assert [(i["date"], i["theme"], i["helped"]) for i in found] == [(date, theme, helped)]


def test_note_without_rep_or_date_is_skipped_with_the_fix(coach, workspace):
    bad = workspace / "knowledge/calls/2026-10-30-unknown.md"
    bad.write_text("---\naccount: Nowhere Inc\n---\n\nShort call.\n")
    result = coach("ingest", "--json")
    assert result.code == 1
    skipped = result.json()["skipped"]
    assert skipped[0]["path"] == "knowledge/calls/2026-10-30-unknown.md"
    assert "rep" in skipped[0]["error"] and "date" in skipped[0]["error"]
    assert result.json()["observations"] > 0
