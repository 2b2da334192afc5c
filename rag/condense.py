"""Follow-up questions become standalone questions, using the conversation so far.

"what if it's budget instead?" after "How do I handle a timing objection?" means "How do I
handle a budget objection?". Retrieval only sees the standalone question, so the
follow-up finds the passages its conversation is about.

``RuleCondenser`` (the default, no LLM, deterministic):

1. A question is a follow-up when there is an earlier question and it opens like one
   ("and …", "what if …", "what about …", "how about …"), says "instead", "else" or
   "then", or is short (at most 8 words) and points back ("it", "that", "them", "one"…),
   or has almost no words of its own. Anything else is a new topic, kept as typed.
2. Slots: when the follow-up names another member of a family the earlier question has
   a member of (objection kinds, SPIN question types, pain-funnel levels, ramp days,
   workflow steps, call phases, …), that member is swapped into the earlier question.
   "the step after it" / "the next one" move to the next member of an ordered family.
3. Otherwise pronouns are replaced by the earlier question's topic ("why does it work?"
   after "What is the upfront contract?" -> "why does the upfront contract work?"), or,
   with nothing to replace, the follow-up is joined to the earlier question.

``LlmCondenser`` asks the configured LLM to rewrite the follow-up and keeps its rewrite
only when it is one short question that keeps the follow-up's own words; otherwise (and
for new topics) the rule condenser's result is used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.records import Exchange
from rag.composer import content_words

MAX_FOLLOWUP_WORDS = 8
MAX_STANDALONE_CHARS = 300

_OPENER = re.compile(
    r"^(?:(?:and|but|also|so|ok(?:ay)?|then|now)\b[\s,]*)*"
    r"(?:what if (?:it'?s|it is|they'?re|they are|the buyer says|he says|she says|they say)?|what about|how about|"
    r"and if|same (?:for|with|question for)|what else|and then)?\s*",
    re.IGNORECASE,
)
_STARTS_LIKE_FOLLOWUP = re.compile(
    r"^(?:and|but|also|so|then|what if|what about|how about|same (?:for|with)|what else)\b", re.IGNORECASE)
_POINTS_BACK = re.compile(r"\b(it|its|that|this|they|them|those|these|there|one|ones|instead|else|then)\b",
                          re.IGNORECASE)
_PRONOUN = re.compile(r"\b(it|that|this|them|those|these)\b", re.IGNORECASE)
_TRAILER = re.compile(r"(?:[\s,]+(?:instead|then|too|as well|please))+\s*$", re.IGNORECASE)
_NEXT = re.compile(r"\b(?:the )?(?:next (?:one|step|level|stage|phase|part)|(?:step|one|level|stage|phase|part) "
                   r"(?:after (?:it|that|this)|that comes next)|after (?:it|that)|what comes next)\b", re.IGNORECASE)
_PREVIOUS = re.compile(r"\b(?:the )?(?:previous (?:one|step|level|stage)|(?:step|one|level|stage) before "
                       r"(?:it|that|this))\b", re.IGNORECASE)
_QUESTION_FRAME = re.compile(
    r"^(?:what(?:'s| is| are| does| do)?|which|how(?: often| long| many| much)?|why(?: is| are| does| do)?|"
    r"when|who|where)\b(?:\s+(?:do|does|did|should|can|could|would|will|is|are|goes in|go in|makes?))?"
    r"(?:\s+(?:i|we|you))?\s+",
    re.IGNORECASE,
)
_LEADING_CONJUNCTION = re.compile(r"^(?:(?:and|but|also|so|ok(?:ay)?|then|now)\b[\s,]*)+", re.IGNORECASE)
_LEADING_VERB = re.compile(
    r"^(?:handle|run|use|coach|build|know|give|map|find|measure|structure|treat|write|set|ask|cover|do|get|"
    r"prepare|start|open|close|say|deal with|respond to|talk about)\s+", re.IGNORECASE)
_ENDS_POINTING_BACK = re.compile(r"\b(?:it|that|this|them|those|these|there)\s*[?.!]*\s*$", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'/-]*")
_OWN_WORD_FLOOR = 1  # a follow-up with at most this many content words of its own points back


@dataclass(frozen=True)
class Family:
    """Interchangeable terms: one may stand in for another in a follow-up."""

    name: str
    members: tuple[str, ...]  # regexes, in order when ``ordered``
    ordered: bool = False


FAMILIES = (
    Family("objection", (r"timing", r"budget", r"price|pricing", r"value", r"competition|competitor|competitive",
                         r"authority", r"priority", r"trust")),
    Family("spin", (r"situation", r"problem", r"implication", r"need[- ]payoff"), ordered=True),
    Family("aecr", (r"acknowledge", r"empathi[sz]e", r"clarify", r"reframe"), ordered=True),
    Family("level", (r"level (?:1|one)", r"level (?:2|two)", r"level (?:3|three)"), ordered=True),
    Family("step", (r"step (?:1|one)", r"step (?:2|two)", r"step (?:3|three)", r"step (?:4|four)"), ordered=True),
    Family("ramp", (r"(?:first )?30 days|30-day|day 30", r"60 days|60-day|day 60", r"90 days|90-day|day 90"),
           ordered=True),
    Family("phase", (r"opening|first two minutes|first 2 minutes", r"discovery phase",
                     r"pitch|tailored pitch", r"next steps|last four minutes|last 4 minutes"), ordered=True),
    Family("gap", (r"skill", r"will", r"environment")),
    Family("state", (r"current state", r"future state")),
    Family("lead", (r"inbound", r"outbound")),
    Family("experience", (r"new reps?", r"experienced(?: reps?| ones?)?")),
    Family("cadence", (r"weekly", r"biweekly", r"monthly", r"quarterly")),
    Family("forecast", (r"upside", r"commit", r"closed")),
    Family("framework", (r"spin(?: selling)?", r"gap selling", r"sandler(?: pain funnel)?", r"meddpicc",
                         r"challenger", r"aecr")),
    Family("signs", (r"nailed", r"rushed")),
)


@dataclass(frozen=True)
class Standalone:
    question: str  # what retrieval should answer
    method: str  # "unchanged" (a new topic), "rules" or "llm"
    fallback: str | None = None  # why an LLM rewrite was not used


class RuleCondenser:
    def condense(self, question: str, history: Sequence[Exchange]) -> Standalone:
        question = " ".join((question or "").split())
        previous = history[-1].standalone_question if history else ""
        if not previous or not is_followup(question):
            return Standalone(question, "unchanged")
        merged = merge(previous, question)
        return Standalone(merged[:MAX_STANDALONE_CHARS], "rules")


def is_followup(question: str) -> bool:
    words = _WORD.findall(question)
    if _STARTS_LIKE_FOLLOWUP.search(question) or re.search(r"\binstead\b", question, re.IGNORECASE):
        return True
    if len(words) <= MAX_FOLLOWUP_WORDS and _POINTS_BACK.search(question):
        return True
    if _ENDS_POINTING_BACK.search(question):
        return True
    return len(_own_words(question)) <= _OWN_WORD_FLOOR


def merge(previous: str, followup: str) -> str:
    """The earlier (standalone) question rewritten with what the follow-up changes."""
    swapped = _swap_slots(previous, _remainder(followup))
    if swapped is not None:
        return swapped
    own = _LEADING_CONJUNCTION.sub("", _TRAILER.sub("", followup.strip().rstrip("?!. ")))
    topic = topic_of(previous)
    if topic and _PRONOUN.search(own):
        return _question(_PRONOUN.sub(topic, own, count=1))
    return f"{_question(own)} {previous}".strip()


def topic_of(question: str) -> str:
    """What an earlier question is about: its words after the question frame and a leading
    verb ("How do I handle a timing objection?" -> "a timing objection"); "" when unclear."""
    text = question.strip().rstrip("?").strip()
    topic = _QUESTION_FRAME.sub("", text, count=1)
    if not topic or topic == text:
        return ""
    return _LEADING_VERB.sub("", topic, count=1) or topic


def _remainder(followup: str) -> str:
    """The follow-up without its opener ("and", "what if it's", …) and trailer ("instead")."""
    text = followup.strip().rstrip("?!. ").strip()
    text = _OPENER.sub("", text, count=1)
    return _TRAILER.sub("", text).strip(" ,")


def _swap_slots(previous: str, rest: str) -> str | None:
    """``previous`` with one family member replaced by the one ``rest`` names (or the next one)."""
    for family in FAMILIES:
        found = _member_in(family, previous)
        if found is None:
            continue
        replacement = _replacement(family, found[0], rest)
        if replacement is not None:
            start, end = found[1]
            return previous[:start] + replacement + previous[end:]
    return None


def _replacement(family: Family, index: int, rest: str) -> str | None:
    if family.ordered and _NEXT.search(rest):
        return _plain(family.members[index + 1]) if index + 1 < len(family.members) else None
    if family.ordered and _PREVIOUS.search(rest):
        return _plain(family.members[index - 1]) if index > 0 else None
    named = _member_in(family, rest)
    if named is None or named[0] == index or not _only_slot_words(rest, named[1]):
        return None
    start, end = named[1]
    return rest[start:end]


def _member_in(family: Family, text: str) -> tuple[int, tuple[int, int]] | None:
    """(member index, character span) of the first member of ``family`` in ``text``."""
    found = None
    for index, pattern in enumerate(family.members):
        match = re.search(rf"\b(?:{pattern})\b", text, re.IGNORECASE)
        if match and (found is None or match.start() < found[1][0]):
            found = (index, match.span())
    return found


def _only_slot_words(rest: str, span: tuple[int, int]) -> bool:
    """The follow-up names the new member and little else (else it asks something new)."""
    outside = rest[: span[0]] + " " + rest[span[1]:]
    return len(content_words(outside) - _FILLER) <= 1


def _plain(pattern: str) -> str:
    """A readable form of a member's regex (its first alternative, without regex syntax)."""
    first = pattern.split("|")[0]
    first = re.sub(r"\(\?:([^)|]*)[^)]*\)\??", r"\1", first)
    return re.sub(r"[\\?\[\]]", "", first).replace(" -", "-")


def _own_words(question: str) -> set[str]:
    return content_words(question) - _FILLER


def _question(text: str) -> str:
    text = text.strip().rstrip("?").strip()
    return (text[:1].upper() + text[1:] + "?") if text else ""


_FILLER = content_words(
    "instead also then else what about how if it's it is ones one them those these give me some tell "
    "more example examples say again please thanks okay"
)


class LlmCondenser:
    """Rewrites follow-ups with the LLM; keeps a rewrite only if it passes the checks below."""

    PROMPT = """Rewrite the last question so that it can be understood without the conversation.
Keep its meaning and its words; use the earlier questions only to say what it refers to.
Reply with the rewritten question only, on one line.

Earlier questions:
{history}

Last question: {question}
Rewritten question:"""

    def __init__(self, llm, rules: RuleCondenser | None = None) -> None:
        self.llm = llm
        self.rules = rules or RuleCondenser()

    def condense(self, question: str, history: Sequence[Exchange]) -> Standalone:
        by_rules = self.rules.condense(question, history)
        if by_rules.method == "unchanged":
            return by_rules
        asked = "\n".join(f"- {e.standalone_question}" for e in history[-3:])
        try:
            reply = str(self.llm.complete(self.PROMPT.format(history=asked, question=question))).strip()
        except Exception as error:  # a failing LLM must not stop the answer
            return Standalone(by_rules.question, "rules", f"the LLM call failed: {type(error).__name__}")
        problem = _rewrite_problem(reply, question, history[-1].standalone_question)
        if problem:
            return Standalone(by_rules.question, "rules", problem)
        return Standalone(reply.strip().strip('"'), "llm")


def _rewrite_problem(reply: str, question: str, previous: str) -> str | None:
    """Why an LLM rewrite cannot be used, or None when it can."""
    lines = [line for line in reply.splitlines() if line.strip()]
    if len(lines) != 1:
        return "the LLM's rewrite is not one line"
    text = lines[0].strip().strip('"')
    if not text.endswith("?") or len(text) > MAX_STANDALONE_CHARS:
        return "the LLM's rewrite is not one short question"
    words = content_words(text)
    own = _own_words(question)
    if own and not own <= words:
        return "the LLM's rewrite drops words of the follow-up"
    if not words & content_words(previous):
        return "the LLM's rewrite does not refer to the earlier question"
    return None


def build_condenser(llm=None):
    return LlmCondenser(llm) if llm is not None else RuleCondenser()
