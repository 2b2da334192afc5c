"""Coaches ask the floor: who does X, how is a rep doing, did coaching help. Answered from
the memory through the real CLI on a real store of the shipped knowledge, and the pure
parts (name matching, the answer's choice of observations) without a model."""

from __future__ import annotations

import hashlib

import pytest

from core.records import CallCount, Change, Evidence, FloorReading, Intervention, Observation
from memory.floor_answers import answer_from_floor, render
from memory.floor_questions import Roster

REPS = ("Dana Okafor", "Jun Park", "Leah Whitfield", "Marco Bellini", "Rafael Duarte",
        "Bartholomew Nakagawa", "Oluwaseun Brannigan")


# -- names, without a model ------------------------------------------------------------------
@pytest.mark.parametrize("question, named, unknown", [
    ("did the coaching with Dana help?", ("Dana Okafor",), ()),
    ("what are ravi's strengths? and jun's?", ("Jun Park",), ()),
    ("is Bart any better at listening?", ("Bartholomew Nakagawa",), ()),  # a nickname that starts the name
    ("give me Seun's strengths", ("Oluwaseun Brannigan",), ()),  # ... or sits inside it
    ("has M gotten better at forecasting?", ("Marco Bellini",), ()),  # a lone initial one rep has
    ("odiles gaps? also rafaels", ("Rafael Duarte",), ()),  # a possessive typed without the apostrophe
    ("how's Priya doing on her calls?", (), ("Priya",)),
    ("one rep has $2M in pipe and we did one M&A", (), ()),  # "$2M" and "M&A" are not initials
    ("where's Nadia at w/ call prep?", (), ("Nadia",)),  # "call" is not Callum, nor anyone
    ("What did Acme Corp say about budget on the call?", (), ()),  # a company is not a person
])
def test_reps_are_named_as_coaches_type_them(question, named, unknown):
    roster = Roster(REPS + ("Callum Brightwater",) if "Nadia" in question else REPS)
    assert roster.named(question) == (named, unknown)


# -- choosing what answers, without a model ----------------------------------------------------
def _obs(rep, theme, polarity, calls=3, change=None, reps=()):
    key = hashlib.sha1(f"{rep}{theme}{polarity}".encode()).hexdigest()[:6]
    evidence = (Evidence(f"calls/{key}.md", "2026-09-01", f"{rep} said something about {theme}.", polarity),)
    return Observation(f"obs-{key}", rep, theme, polarity, f"{rep} {theme} ({polarity})", calls, "2026-09-01",
                       "2026-10-01", evidence, reps=reps, change=change)


TURNED = Change("gap", CallCount(3, 3), CallCount(3, 0), "2026-09-01", "2026-09-17", "2026-09-21", True)
OBSERVATIONS = [
    _obs("Dana Okafor", "pitching-too-early", "strength", 6, change=TURNED),
    _obs("Jun Park", "pitching-too-early", "gap"),
    _obs("Leah Whitfield", "pitching-too-early", "strength"),
    _obs("Leah Whitfield", "talk-listen-ratio", "gap", 4),
    _obs(None, "cost-of-inaction", "gap", 6, reps=("Jun Park", "Leah Whitfield")),
]
HELPED = Intervention("Dana Okafor", "2026-09-21", "pitching-too-early", "Ask three questions before the deck.",
                      CallCount(3, 3), CallCount(3, 0), True, "calls/coaching.md", "the rule")


def test_who_names_the_reps_with_that_reading_and_a_turned_pattern_says_so():
    gap = answer_from_floor(FloorReading("who", theme="pitching-too-early", polarity="gap"), OBSERVATIONS, [HELPED],
                            (), REPS)
    assert gap.reps == ("Dana Okafor", "Jun Park")  # Dana's gap came first, then coaching turned it
    assert [o.reading for o in gap.observations] == ["gap, then strength", "gap"]
    strength = answer_from_floor(FloorReading("who", theme="pitching-too-early", polarity="strength"),
                                 OBSERVATIONS, [HELPED], (), REPS)
    assert set(strength.reps) == {"Dana Okafor", "Leah Whitfield"}


def test_did_it_help_gives_the_verdict_with_counts_and_cites_the_coaching():
    found = answer_from_floor(FloorReading("helped", reps=("Dana Okafor",)), OBSERVATIONS, [HELPED], (), REPS)
    text, citations = render(found, ())
    assert found.interventions == (HELPED,) and "**helped**" in text
    assert "3 of 3 calls before, 0 of 3 after" in text and "Rule: the rule" in text
    assert citations[0].quote == HELPED.action and citations[0].source == HELPED.source


def test_nothing_on_file_is_said_plainly_and_names_no_one():
    none = answer_from_floor(FloorReading("who", theme="objection-handling", polarity="gap"), OBSERVATIONS, [], (), REPS)
    assert none.reps == () and "No rep shows a recurring gap" in none.message
    unknown = answer_from_floor(FloorReading("unknown_rep", unknown="Priya"), OBSERVATIONS, [], (), REPS)
    assert unknown.reps == () and unknown.message.startswith("No rep called Priya") and "Dana Okafor" in unknown.message
    team = answer_from_floor(FloorReading("team", polarity="strength"), OBSERVATIONS, [], (), REPS)
    assert team.reps == () and "No strength recurs for more than one rep" in team.message


# -- the real CLI on the shipped floor ----------------------------------------------------------
@pytest.fixture
def ask(coach, knowledge_store):
    def run(question, *flags):
        return coach("ask", question, "--json", *flags, data_dir=knowledge_store / ".coach")
    return run


def test_who_keeps_pitching_too_early_names_dana_with_her_story(ask):
    answer = ask("Who on the team keeps pitching too early?").json()
    floor = answer["floor"]
    assert floor["reading"]["intent"] == "who" and floor["reading"]["theme"] == "pitching-too-early"
    assert floor["reps"] == ["Dana Okafor"]
    story = floor["observations"][0]
    assert story["change"]["was"] == "gap" and story["change"]["turned_on"] == "2026-09-21"
    # every [n] is a dated quote from a call note
    assert answer["citations"] and all("/calls/" in f"/{c['source']}" for c in answer["citations"])


def test_did_the_coaching_help_gets_the_verdict_and_counts(ask):
    floor = ask("did the coaching with Dana on pitching early actually help?").json()["floor"]
    assert floor["reading"]["intent"] == "helped"
    [item] = floor["interventions"]
    assert (item["rep"], item["verdict"]) == ("Dana Okafor", "helped")
    assert item["before"]["gap_calls"] == 3 and item["after"]["gap_calls"] == 0


def test_who_is_good_at_names_only_the_reps_with_that_strength(ask):
    floor = ask("who's really good at getting to the real reason behind the problem?").json()["floor"]
    assert floor["reading"]["polarity"] == "strength" and floor["reading"]["theme"] == "root-cause"
    assert floor["reps"] == ["Jun Park"]  # the planted root-cause strength; nobody with a gap on it
    assert all(o["polarity"] == "strength" for o in floor["observations"])


def test_a_question_that_needs_both_gets_floor_facts_then_the_playbook(ask):
    answer = ask("how should I coach Marco on his forecast calls?").json()
    assert answer["floor"]["reading"]["intent"] == "mixed" and answer["floor"]["reps"] == ["Marco Bellini"]
    sources = [c["source"] for c in answer["citations"]]
    assert any("/calls/" in f"/{s}" for s in sources) and any("/playbooks/" in f"/{s}" for s in sources)
    assert "From the playbooks" in answer["answer"]


def test_an_unknown_rep_gets_one_line_listing_the_known_ones(ask, knowledge_store):
    before = sorted((p.name, p.stat().st_size) for p in (knowledge_store / ".coach" / "memory").iterdir())
    result = ask("how is Priya doing on her discovery calls?")
    answer = result.json()
    assert result.code == 0 and answer["floor"]["reps"] == []
    assert answer["answer"].count("\n") == 0 and "No rep called Priya" in answer["answer"]
    assert "Dana Okafor" in answer["answer"]
    after = sorted((p.name, p.stat().st_size) for p in (knowledge_store / ".coach" / "memory").iterdir())
    assert before == after


def test_playbook_questions_still_go_to_the_playbooks(ask):
    answer = ask("How do I handle a timing objection?").json()
    assert answer["floor"] is None and answer["grounded"]
    assert answer["citations"][0]["section"].endswith("The AECR Framework")


def test_nicknames_come_from_the_notes_and_things_are_not_people():
    from memory.floor_questions import nicknames

    bodies = {
        "Harriet Lindqvist": ["hattie opened with the agenda. the calendar was full.", "hattie asked about cost.",
                              "put it on the calendar for friday"],
        "Desmond Achterberg": ["dez jumped to the demo.", "so dez did it again", "their calendar is open"],
    }
    found = nicknames(bodies)
    assert found == {"hattie": "Harriet Lindqvist", "dez": "Desmond Achterberg"}
    roster = Roster(tuple(bodies), nicknames=found)
    assert roster.named("has hattie got better since the 1:1?")[0] == ("Harriet Lindqvist",)
    assert roster.named("rep pulled a deal, should I be mad?")[0] == ()  # "mad" is not Marco, nor anyone
