"""Small typed records that cross package boundaries (ingest -> rag -> memory -> ui/evals).

Framework objects (Chroma results, llama-index nodes) never leave the module that uses
them; these frozen dataclasses do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SourceKind = Literal["playbook", "call"]
Polarity = Literal["strength", "gap"]


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage of one source file."""

    id: str
    source: str  # path relative to the ingest root's parent, posix style
    kind: SourceKind
    section: str  # "Discovery Coach > Objection Handling: The AECR Framework"
    text: str  # verbatim text of the passage (markdown kept)
    ordinal: int  # position of the chunk within its source
    rep: str | None = None  # call notes only
    date: str | None = None  # call notes only, ISO yyyy-mm-dd


@dataclass(frozen=True)
class Turn:
    """One line of a timestamped transcript."""

    seconds: int
    speaker: str
    role: Literal["rep", "buyer", "coach", "other"]
    text: str


@dataclass(frozen=True)
class CallNote:
    """One call (or coaching session) as a coach wrote it down.

    ``body`` is the verbatim text after the header, so quotes taken from it are
    substrings of the source file. CSV rows carry their notes cell as ``body``.
    """

    source: str
    rep: str
    date: str  # ISO yyyy-mm-dd
    account: str | None = None
    call_type: str | None = None  # discovery, demo, negotiation, coaching, ...
    coach: str | None = None
    stage: str | None = None
    outcome: str | None = None
    body: str = ""
    turns: tuple[Turn, ...] = ()
    row: int | None = None  # 1-based data row for CSV exports


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    section: str
    quote: str  # verbatim from the source
    text: str  # the whole retrieved passage
    score: float


@dataclass(frozen=True)
class ObservationRef:
    id: str
    statement: str


GenerationMode = Literal["llm", "extractive"]


@dataclass(frozen=True)
class Generation:
    """Who wrote an answer: the LLM, or the extractive composer (and why, when an LLM was set)."""

    mode: GenerationMode = "extractive"
    model: str | None = None  # the COACH_LLM spec, e.g. "openai:smollm2"; None without an LLM
    fallback: str | None = None  # why the LLM's answer was not used; None when it was, or no LLM


EXTRACTIVE = Generation()


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str  # markdown with inline [n] markers
    grounded: bool  # True: an answer, every line quoted from a cited passage; False: refused or nothing to say
    citations: tuple[Citation, ...] = ()
    observations: tuple[ObservationRef, ...] = ()
    generator: Generation = EXTRACTIVE
    standalone_question: str | None = None  # a follow-up rewritten with its conversation (None: asked alone)
    floor: FloorAnswer | None = None  # set when the question was about the floor and the memory answered it
    # how directly the playbooks address the question: "strong"; "weak" (grounded, the closest
    # sections, and the answer's first line says the playbooks do not address it directly);
    # "none" (refused: grounded is False)
    match: str = "strong"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "citations": [asdict(c) for c in self.citations],
            "observations": [asdict(o) for o in self.observations],
            "generator": asdict(self.generator),
            "floor": self.floor.to_dict() if self.floor else None,
        }


@dataclass(frozen=True)
class Exchange:
    """One earlier turn of a conversation, as a follow-up question needs it."""

    question: str  # as the user typed it
    standalone_question: str  # what was answered (the question itself unless it was a follow-up)


@dataclass(frozen=True)
class SkippedFile:
    path: str
    error: str


@dataclass(frozen=True)
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    chunks: int = 0
    skipped: tuple[SkippedFile, ...] = ()
    observations: int = 0
    models_refreshed: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = field(default=())  # (path, status) per file
    embedded: int = 0  # texts run through the model (the rest came from the vector caches)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "chunks": self.chunks,
            "skipped": [asdict(s) for s in self.skipped],
            "observations": self.observations,
            "models_refreshed": list(self.models_refreshed),
            "files": [{"path": p, "status": s} for p, s in self.files],
            "embedded": self.embedded,
        }


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused rank score and its dense similarity to the query."""

    chunk: Chunk
    score: float  # reciprocal-rank-fusion score
    similarity: float  # cosine similarity of query and chunk (0 when only BM25 found it)
    dense_rank: int | None = None
    keyword_rank: int | None = None


# -- coaching memory ----------------------------------------------------------------------
FactKind = Literal["discovery", "feedback", "quality"]


@dataclass(frozen=True)
class Evidence:
    source: str
    date: str
    quote: str  # verbatim from the source
    polarity: Polarity | None = None  # the reading this sentence carries (a changed pattern shows both)


@dataclass(frozen=True)
class Fact:
    """One thing retained from one call note, with its verbatim quote."""

    id: str
    source: str
    rep: str
    date: str
    kind: FactKind
    theme: str | None
    polarity: Polarity | None
    quote: str
    account: str | None = None
    question: str | None = None  # discovery findings: the question the rep asked
    coaching: bool = False  # the note is a coaching session


@dataclass(frozen=True)
class WeekRate:
    """One week of a rep's calls that judged a theme: how many, and how many showed the gap."""

    week: str  # ISO date of the Monday
    calls: int
    gap_calls: int

    @property
    def gap_rate(self) -> float:
        return self.gap_calls / self.calls if self.calls else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"gap_rate": round(self.gap_rate, 3)}


@dataclass(frozen=True)
class Observation:
    """A stable pattern (recurring across calls) or, with promoted=False, a one-off fact.

    ``trend`` is the rep's gap rate on the theme per week (every call that judged the
    theme, gap or strength), so a reader sees the change an intervention made."""

    id: str
    rep: str | None  # None for a team-level observation
    theme: str
    polarity: Polarity
    statement: str
    calls: int
    first_seen: str
    last_seen: str
    evidence: tuple[Evidence, ...]
    reps: tuple[str, ...] = ()
    promoted: bool = True
    trend: tuple[WeekRate, ...] = ()
    change: Change | None = None  # set when the rep's reading on the theme turned (gap, then strength)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["evidence"] = [asdict(e) for e in self.evidence]
        data["reps"] = list(self.reps)
        data["trend"] = [w.to_dict() for w in self.trend]
        data["change"] = self.change.to_dict() if self.change else None
        return data

    @property
    def reading(self) -> str:
        """gap, strength, or for a turned pattern "gap, then strength" (the story in one word pair)."""
        return f"{self.change.was}, then {self.polarity}" if self.change else self.polarity

    @property
    def readings(self) -> tuple[str, ...]:
        """The polarities the observation stands for: its own, and for a turned pattern the earlier one too."""
        return (self.change.was, self.polarity) if self.change else (self.polarity,)


@dataclass(frozen=True)
class Change:
    """A rep's recurring reading on a theme that turned: ``was`` in the calls up to
    ``turned_on`` (a coaching date when coaching on the theme came between), the
    observation's polarity after it."""

    was: Polarity
    before: CallCount  # calls that judged the theme up to the turn, and how many showed the gap
    after: CallCount
    first_was: str  # first and last date of the earlier reading
    last_was: str
    turned_on: str  # the coaching date, or the first call of the new reading
    coached: bool  # True when coaching on the theme came between the two readings

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"before": self.before.to_dict(), "after": self.after.to_dict()}


@dataclass(frozen=True)
class CallCount:
    calls: int
    gap_calls: int

    @property
    def gap_rate(self) -> float | None:
        return self.gap_calls / self.calls if self.calls else None

    def to_dict(self) -> dict[str, Any]:
        rate = self.gap_rate
        return {"calls": self.calls, "gap_calls": self.gap_calls,
                "gap_rate": None if rate is None else round(rate, 3)}


VERDICTS = {True: "helped", False: "did not help", None: "too early to tell"}


@dataclass(frozen=True)
class Intervention:
    rep: str
    date: str
    theme: str
    action: str  # verbatim coaching instruction
    before: CallCount
    after: CallCount
    helped: bool | None  # None: too early to tell (fewer than min_later_calls later calls)
    source: str
    rule: str = ""  # the verdict rule applied, in words (docs/coaching-memory.md)

    @property
    def verdict(self) -> str:
        return VERDICTS[self.helped]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"before": self.before.to_dict(), "after": self.after.to_dict(),
                               "verdict": self.verdict}


FloorIntent = Literal["who", "rep", "helped", "team", "mixed", "unknown_rep", "unknown_theme"]


@dataclass(frozen=True)
class FloorReading:
    """What a coach's question about the floor asks: the kind of question, the reps it
    names, the theme and the reading (gap or strength) it is about."""

    intent: FloorIntent
    reps: tuple[str, ...] = ()  # full names of the reps the question names
    theme: str | None = None
    polarity: Polarity | None = None
    unknown: str | None = None  # the name or topic the floor does not know


@dataclass(frozen=True)
class FloorAnswer:
    """The memory's answer to a coach's question: the observations and interventions it
    rests on, and the reps it names (each with the reading the answer gives them)."""

    reading: FloorReading
    observations: tuple[Observation, ...] = ()
    interventions: tuple[Intervention, ...] = ()
    message: str | None = None  # said instead of findings: no such rep, no evidence, ...

    @property
    def reps(self) -> tuple[str, ...]:
        named: list[str] = []
        for o in self.observations:
            for rep in ((o.rep,) if o.rep else o.reps):
                if rep not in named:
                    named.append(rep)
        for i in self.interventions:
            if i.rep not in named:
                named.append(i.rep)
        return tuple(named)

    def to_dict(self) -> dict[str, Any]:
        return {"reading": asdict(self.reading), "reps": list(self.reps), "message": self.message,
                "observations": [o.to_dict() for o in self.observations],
                "interventions": [i.to_dict() for i in self.interventions]}


@dataclass(frozen=True)
class ModelCitation:
    n: int
    source: str
    section: str | None  # playbook section path, or None for call evidence
    quote: str
    date: str | None = None


@dataclass(frozen=True)
class MentalModel:
    id: str
    name: str
    source_query: str
    content: str  # markdown with [n] markers
    citations: tuple[ModelCitation, ...]
    version: int
    refreshed_at: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["citations"] = [asdict(c) for c in self.citations]
        return data


@dataclass(frozen=True)
class ModelVersion:
    version: int
    refreshed_at: str
    changes: tuple[str, ...]  # human-readable: "+ added line", "- removed line"
