"""Score answers to coaches' questions about a floor (``evals/floors/<name>/questions.jsonl``,
schema in ``evals/floors/QUESTIONS.md``).

What an answer names is read from its structured part (``Answer.floor``): the reps its
observations and interventions are about, the reading of each (gap, strength, or both sides
of a pattern that turned) and the verdicts. The plain baseline, the answer without the
floor reader (playbook passages plus related observations), names a rep when the rep's full
or first name appears in its text or its observations.

Metrics (micro-averaged over a floor's questions):

- ``rep_precision``: named reps that are expected or allowed / all named reps;
- ``rep_recall``: expected reps named / all expected reps;
- ``reading``: of the questions that ask for a reading and expect reps, the share where
  every expected rep named is given that reading (and at least one is named);
- ``verdict``: of the "did it help" questions, the share answered with the expected verdict;
- ``unknown``: of the questions about an unknown rep or theme, the share that name no rep
  and say so;
- ``findings_recall``: for rep and team questions, expected (rep, theme, reading) found.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.jsonl import read_objects
from core.names import same_rep
from core.records import Answer

VERDICT_OF = {"helped": True, "did_not_help": False, "too_early": None}


@dataclass(frozen=True)
class CoachQuestion:
    id: str
    q: str
    type: str
    rep: str | None
    theme: str | None
    polarity: str | None
    expect_reps: tuple[str, ...]
    allowed_reps: tuple[str, ...]
    expect_findings: tuple[tuple[str | None, str, str], ...]
    expect_verdict: str | None


def load_questions(path: Path) -> list[CoachQuestion]:
    out = []
    for _, d in read_objects(path, "see evals/floors/QUESTIONS.md"):
        out.append(CoachQuestion(
            d["id"], d["q"], d["type"], d.get("rep"), d.get("theme"), d.get("polarity"),
            tuple(d.get("expect_reps") or ()), tuple(d.get("allowed_reps") or ()),
            tuple((f.get("rep"), f["theme"], f["polarity"]) for f in d.get("expect_findings") or ()),
            d.get("expect_verdict")))
    return out


@dataclass(frozen=True)
class Scored:
    question: CoachQuestion
    named: tuple[str, ...]
    intent: str | None  # what the reader took the question for; None: answered as a playbook question
    theme: str | None  # ... and the theme and reading it read
    polarity: str | None
    reading_right: bool | None  # None: not applicable
    verdict_right: bool | None
    unknown_right: bool | None
    findings: tuple[int, int] = (0, 0)  # expected findings found, expected
    baseline_named: tuple[str, ...] = ()


@dataclass(frozen=True)
class CoachScore:
    scored: tuple[Scored, ...] = field(default_factory=tuple)

    def _ratio(self, num: int, den: int) -> float | None:
        return num / den if den else None

    def metrics(self) -> dict[str, float | None]:
        s = self.scored
        named = sum(len(x.named) for x in s)
        good = sum(len([r for r in x.named if _in(r, x.question.expect_reps + x.question.allowed_reps)]) for x in s)
        expected = sum(len(x.question.expect_reps) for x in s)
        found = sum(len([r for r in x.question.expect_reps if _in(r, x.named)]) for x in s)
        b_named = sum(len(x.baseline_named) for x in s)
        b_good = sum(len([r for r in x.baseline_named if _in(r, x.question.expect_reps + x.question.allowed_reps)])
                     for x in s)
        b_found = sum(len([r for r in x.question.expect_reps if _in(r, x.baseline_named)]) for x in s)
        pick = lambda attr: [getattr(x, attr) for x in s if getattr(x, attr) is not None]
        return {
            "questions": len(s),
            "rep_precision": self._ratio(good, named), "rep_recall": self._ratio(found, expected),
            "reading": _share(pick("reading_right")), "verdict": _share(pick("verdict_right")),
            "unknown": _share(pick("unknown_right")),
            "findings_recall": self._ratio(sum(x.findings[0] for x in s), sum(x.findings[1] for x in s)),
            "routed": self._ratio(sum(x.intent is not None for x in s), len(s)),
            "baseline_rep_precision": self._ratio(b_good, b_named), "baseline_rep_recall": self._ratio(b_found, expected),
        }

    def failures(self, limit: int = 12) -> list[str]:
        out = []
        for x in self.scored:
            q = x.question
            wrong = [r for r in x.named if not _in(r, q.expect_reps + q.allowed_reps)]
            missed = [r for r in q.expect_reps if not _in(r, x.named)]
            bad = [k for k, v in (("reading", x.reading_right), ("verdict", x.verdict_right),
                                  ("unknown", x.unknown_right)) if v is False]
            if wrong or missed or bad:
                out.append(f"{q.id} ({q.type} {q.theme} {q.polarity}, read as {x.intent or 'playbook'} {x.theme} {x.polarity}): {q.q!r}"
                           + (f" named {wrong}" if wrong else "") + (f" missed {missed}" if missed else "")
                           + (f" wrong {', '.join(bad)}" if bad else ""))
        return out[:limit]


def _share(values: list[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def _in(rep: str, reps: Sequence[str]) -> bool:
    return any(r.casefold() == rep.casefold() for r in reps)


def score(question: CoachQuestion, answer: Answer, baseline: Answer | None, reps: Sequence[str]) -> Scored:
    floor = answer.floor
    named = tuple(floor.reps) if floor else _named_in_text(answer, reps)
    intent = floor.reading.intent if floor else None
    reading_right = verdict_right = unknown_right = None
    if question.polarity and question.expect_reps and question.type in ("who", "rep", "team", "mixed"):
        observations = floor.observations if floor else ()
        checked = []
        for rep in question.expect_reps:
            if not _in(rep, named):
                continue
            mine = [o for o in observations if (o.rep and same_rep(o.rep, rep)) or _in(rep, o.reps)]
            if question.theme:
                mine = [o for o in mine if o.theme == question.theme]
            checked.append(bool(mine) and all(question.polarity in o.readings for o in mine))
        reading_right = bool(checked) and all(checked)
    if question.type == "helped":
        want = VERDICT_OF.get(question.expect_verdict or "", "missing")
        found = [i for i in (floor.interventions if floor else ())
                 if (not question.rep or same_rep(i.rep, question.rep)) and (not question.theme or i.theme == question.theme)]
        verdict_right = bool(found) and all(i.helped == want for i in found)
    if question.type in ("unknown_rep", "unknown_theme"):
        unknown_right = not [r for r in named if not _in(r, question.allowed_reps)] and bool(
            floor and (floor.message or not floor.observations))
    findings = (0, 0)
    if question.expect_findings:
        observations = floor.observations if floor else ()
        hit = sum(1 for rep, theme, polarity in question.expect_findings if any(
            o.theme == theme and polarity in o.readings and (
                (rep is None and o.rep is None) or (rep is not None and o.rep is not None and same_rep(o.rep, rep)))
            for o in observations))
        findings = (hit, len(question.expect_findings))
    baseline_named = _named_in_text(baseline, reps) if baseline is not None else ()
    return Scored(question, named, intent, floor.reading.theme if floor else None, floor.reading.polarity if floor else None,
                  reading_right, verdict_right, unknown_right, findings, baseline_named)


def _named_in_text(answer: Answer, reps: Sequence[str]) -> tuple[str, ...]:
    text = (answer.answer + " " + " ".join(o.statement for o in answer.observations)).lower()
    return tuple(r for r in reps if r.lower() in text or f"{r.split()[0].lower()} " in text)


def score_floor(questions: Sequence[CoachQuestion], ask: Callable[[str], Answer],
                ask_baseline: Callable[[str], Answer] | None, reps: Sequence[str]) -> CoachScore:
    out = []
    for q in questions:
        answer = ask(q.q)
        baseline = ask_baseline(q.q) if ask_baseline else None
        out.append(score(q, answer, baseline, reps))
    return CoachScore(tuple(out))
