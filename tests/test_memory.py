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
    """(rep, theme, reading) of each rep observation; a pattern that turned stands for both readings."""
    out = set()
    for o in observations:
        if o["rep"] and o.get("promoted", True) == promoted:
            out.add((o["rep"], o["theme"], o["polarity"]))
            if o.get("change"):
                out.add((o["rep"], o["theme"], o["change"]["was"]))
    return out


def test_every_intervention_is_a_coaching_action_not_a_remark(store):
    """A rep's quoted answer, "she agreed that Glen never got to tell her ...", or a call note
    citing "the rule we agreed on September 25" is not a new coaching action."""
    found = {(i["rep"], i["date"], i["theme"]) for i in store("interventions", "--json").json()}
    assert found == {(i["rep"], i["date"], i["theme"]) for i in FLOOR["interventions"]}


def test_a_pattern_that_turned_after_coaching_is_one_entry_with_its_story(store):
    observations = store("observations", "--rep", "Dana Okafor", "--json").json()
    pitching = [o for o in observations if o["rep"] == "Dana Okafor" and o["theme"] == "pitching-too-early"]
    assert len(pitching) == 1, [o["statement"] for o in pitching]
    story = pitching[0]
    assert (story["change"]["was"], story["polarity"]) == ("gap", "strength")
    assert story["change"]["coached"] and story["change"]["turned_on"] == "2026-09-21"
    assert story["change"]["before"]["gap_calls"] >= 2 and story["change"]["after"]["gap_calls"] == 0
    # every quote says which reading it carries, and the earlier reading's quotes come first
    readings = [e["polarity"] for e in story["evidence"]]
    assert set(readings) == {"gap", "strength"} and readings.index("strength") > readings.index("gap")


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
    assert [i["helped"] for i in marco if i["theme"] == "forecast-discipline" and i["date"] == "2026-09-25"] == [False]
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
    assert dana and all("gap" in (o["polarity"], (o["change"] or {}).get("was")) for o in dana)
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
    assert "Dana Okafor, 2026-09-21, Pitching before discovery is done: helped" in themes
    # the gap that turned after coaching is told as one story, with its dates
    assert "## Changed after coaching" in themes and "after coaching on 2026-09-21" in themes
    assert "did not help" in themes


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_note_without_rep_or_date_is_skipped_with_the_fix(coach, workspace):
    bad = workspace / "knowledge/calls/2026-10-30-unknown.md"
    bad.write_text("---\naccount: Nowhere Inc\n---\n\nShort call.\n")
    result = coach("ingest", "--json")
    assert result.code == 1
    skipped = result.json()["skipped"]
    assert skipped[0]["path"] == "knowledge/calls/2026-10-30-unknown.md"
    assert "rep" in skipped[0]["error"] and "date" in skipped[0]["error"]
    assert result.json()["observations"] > 0


def test_no_label_reads_as_praise_for_a_mistake(store):
    everything = store("observations", "--all", "--json").json()
    for observation in everything:
        statement = observation["statement"]
        assert "Pitching before discovery is done" not in statement
        assert "a recurring strength" not in statement and "a shared strength" not in statement
        if observation["rep"] and not statement.startswith("Asking "):
            reading = f"{observation['change']['was']}, then " if observation.get("change") else ""
            assert f"({reading}{observation['polarity']})" in statement, statement
    dana = [o for o in everything if o["rep"] == "Dana Okafor" and o["theme"] == "pitching-too-early" and o["promoted"]]
    # one entry tells both sides, each in its own words, in the order they happened
    assert len(dana) == 1
    statement = dana[0]["statement"]
    assert -1 < statement.index("pitches before") < statement.index("holds the pitch"), statement


def test_observations_show_every_quote_and_a_weekly_trend(store):
    observations = store("observations", "--rep", "Leah", "--json").json()
    talk = next(o for o in observations if o["rep"] == "Leah Whitfield" and o["theme"] == "talk-listen-ratio")
    assert len(talk["evidence"]) >= talk["calls"] >= 3
    assert talk["trend"] and all(w["calls"] >= w["gap_calls"] for w in talk["trend"])
    assert sum(w["calls"] for w in talk["trend"]) >= talk["calls"]
    human = store("observations", "--rep", "Leah", "--trend")
    assert human.code == 0 and "Gap rate per week" in human.out and "Leah Whitfield · talk-listen-ratio:" in human.out


def test_interventions_state_the_rule_rates_and_verdict(store):
    found = store("interventions", "--json").json()
    for item in found:
        assert item["verdict"] in ("helped", "did not help", "too early to tell")
        assert item["rule"].startswith("helped when the gap rate over the later calls is below one third")
        assert {"calls", "gap_calls", "gap_rate"} <= set(item["before"])
    human = store("interventions")
    assert "Rule: helped when" in human.out


def test_verdict_rule():
    from core.records import CallCount
    from memory.interventions import verdict

    assert verdict(CallCount(3, 3), CallCount(1, 0)) is None  # too early to tell
    assert verdict(CallCount(3, 3), CallCount(3, 0)) is True
    assert verdict(CallCount(4, 4), CallCount(4, 2)) is False  # the rate fell, but half the later calls show it
    assert verdict(CallCount(0, 0), CallCount(2, 0)) is True  # no earlier calls: an earlier rate of 1
    assert verdict(CallCount(2, 0), CallCount(2, 0)) is False  # not below the earlier rate


@pytest.mark.parametrize("theme, text, want", [
    ("implication-questions", "Marcus did not ask what that costs them or who else feels it.", "gap"),
    ("pitching-too-early", "never touched the deck till the pain was clear", "strength"),
    ("next-steps", "Didn't forget to book the follow-up this time: Tuesday 10am with both of them.", "strength"),
    ("root-cause", "forgot to ask what they had tried before", "gap"),
    ("next-steps", "still no date for the follow-up", "gap"),
    pytest.param("objection-handling", "She asked what was behind the price concern instead of dropping the price.",
                 "strength", marks=pytest.mark.xfail(strict=True, reason=(
                     "known gap: after 'instead of', a topic word ('price') in a rejected bad action with no "
                     "gap cue reads as a gap; not fixed because the test floors have been read since"))),
    ("cost-of-inaction", "no mention of what the downtime costs them", "gap"),
    ("multi-threading", "He couldn't get anyone above the team lead onto a call.", "gap"),
    ("talk-listen-ratio", "The buyer said \"we never get a word in with vendors\" and he let them talk.", "strength"),
])
def test_polarity_reads_negation(theme, text, want):
    from memory.config import load_taxonomy
    from memory.polarity import polarity

    themes = {t.id: t for t in load_taxonomy(KNOWLEDGE / "taxonomy.json")}
    t = themes[theme]
    assert polarity(text, theme, t.gap_cues, t.strength_cues, t.terms) == want


@pytest.mark.parametrize("text, want", [
    ("Next call, ask what they have already tried.", True),
    ("homework: nobody hangs up until there's a time on the calendar", True),
    ("Starting Monday, she opens every call by confirming the time.", True),
    ("never asked why the backlog grows", False),
    ("Set the agenda up front and asked if the buyer wanted to add anything.", False),
    ("He didn't try to put a number on it.", False),
    # a cited earlier agreement, or agreeing about what happened, is not a new instruction
    ("Ivan hasn't seen a demo, which is exactly the rule we agreed on September 25.", False),
    ("She agreed that Glen never got to tell her what the no-shows were doing to his clinics.", False),
    ("the thing we agreed to work on is airtime: one question at a time.", True),
    ("We agreed that she will open every call with an agenda.", True),
])
def test_instructions_are_told_from_remarks(text, want):
    from memory.polarity import is_instruction

    assert is_instruction(text) is want


@pytest.mark.slow
def test_the_floor_harness_on_a_dev_floor_keeps_what_must_hold_whatever_the_quality():
    """The harness end to end on a dev floor (evals/floors/harbor). How many planted patterns,
    one-offs and interventions it gets right is a quality figure, reported by `coach eval
    --floors` and bench/floors.py; what must hold regardless: the injected line changes
    nothing, and each mental model cites the observations it came from."""
    from coach.knowledge_base import KnowledgeBase
    from evals.floor_suite import run_floor, select_floors

    (harbor,) = select_floors("harbor")
    result = run_floor(harbor, KnowledgeBase)
    assert result.floor.split == "dev"
    assert {c.group for c in result.checks} == {"pattern", "team", "one-off", "injection", "intervention", "model"}
    must_hold = [c for c in result.checks
                 if c.group == "injection" or c.name.endswith("cites the observations it came from")]
    failed = [f"{c.group}: {c.name}: {c.detail}" for c in must_hold if not c.passed]
    assert len(must_hold) == 4 and not failed, failed
