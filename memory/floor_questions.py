"""Read a coach's question about the floor: who it names, what it asks, about which theme,
and which reading (gap or strength). No LLM: the question's form decides the kind, the
theme classifier (``memory.classify``) the theme, and a few question words the reading.

Kinds (``FloorIntent``): ``who`` (which reps do X / are good at X), ``rep`` (a named rep's
patterns), ``helped`` (did coaching help), ``team`` (what recurs across reps), ``mixed``
(floor facts and playbook advice), ``unknown_rep`` (a person the floor has no notes for),
``unknown_theme`` (a who/team question about a behaviour no theme covers).

A question that names no rep and asks none of these things is a playbook question:
``read_question`` returns None and the playbooks answer it.

Rep names match as they are typed: full, first or last name, a nickname that starts like
the first name ("Bart" for Bartholomew, one letter off allowed: "Dez" for Desmond) or is
part of it ("Seun" for Oluwaseun), a lone initial when one rep has it, small typos
("Casmir"). A capitalised word where a person's name goes ("how's Brianna doing?") that
names no rep is an unknown rep.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from core.records import FloorReading
from memory.classify import ThemeClassifier
from memory.polarity import votes

# a question is about one theme when the theme classifier gives it this probability, or
# THEME_WITH_WORDS when the question also uses one of the theme's words (chosen on the dev
# floors' questions: most questions that name no theme stay under both)
THEME_MIN_PROBABILITY = 0.40
THEME_WITH_WORDS = 0.20

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_WHO_ASKS = re.compile(  # a question that asks which reps: it starts so (a clause of its own)
    r"(?:^|[.?!:;,\u2013\u2014-]\s*|\b(?:so|and|but|ok|okay)\s+)(?:(?:is|has|does|did|was|are)\s+)?"
    r"(who|whos|who['’]s|which (?:of (?:my|the|our) )?(?:reps?|guys|people|sellers|aes?|folks|of them)|"
    r"any ?one|anybody|any reps?|any of (?:my|the|our) (?:reps|guys|people|team))\b", re.IGNORECASE)
_WHO_PLAYBOOK = re.compile(  # "who should I bring in", "who signs": about buyers and deals, not reps
    r"(who (?:should|do|to|would|else|signs|owns|decides|is the|are the)|who['’]s the (?:buyer|economic|champion|decision))\b", re.IGNORECASE)
_TEAM_ASKS = re.compile(  # the team as the subject of the question
    r"\b(team[- ]wide|team[- ]level|whole[- ](?:team|floor|squad|crew|group)|the (?:squad|crew)|(?:the|my|our) team(?:['’]s)?|as a (?:team|group)|are we|"
    r"(?:a |the )?team (?:problems?|things?|issues?|patterns?|habits?)|"
    r"across (?:the )?(?:board|team|reps|floor|everyone)|collectively|shared|in common|"
    r"(?:several|multiple|more than one|many|most|all) (?:of (?:the|my|our) )?reps?)\b", re.IGNORECASE)
_COMPOUND = re.compile(r"\b(multi|single)[ ]thread", re.IGNORECASE)  # "multi threading" as the theme's words spell it
_ABOUT_PATTERNS = re.compile(
    r"\b(strengths?|weak\w*|gaps?|patterns?|recurring|doing|improv\w*|struggl\w*|good at|bad at|habits?)\b", re.IGNORECASE)
_PATTERNS = re.compile(  # what a question about the team's patterns asks for
    r"\b(most common|biggest|shared|patterns?|habits?|strengths?|strongest|weak\w*|gaps?|weak spots?|good at|"
    r"bad at|poor at|great at|best at|worst at|struggl\w*|team[- ]wide|whole[- ]team|one person|just one|"
    r"one rep|several reps|good or bad|recurring|common)\b", re.IGNORECASE)
_ONE_REP = re.compile(r"\b(?:(?:a|my|this|that) (?:rep|ae|sdr|seller|new hire)|one of my reps)\b", re.IGNORECASE)
_PAST = re.compile(r"\b(did|has|have|had|since|was|were|any better|still)\b", re.IGNORECASE)
_HELPED = re.compile(
    r"\b(help(?:ed|s|ing)?|work(?:ed|ing)?|stick|stuck|paid off|pay(?:ing)? off|worth it|waste|difference|land(?:ed)?|"
    r"improv\w*|better|changed?|turn(?:ed)? (?:it )?around|any progress|progress|effect|moved the needle|"
    r"drop(?:ped)?|stopp?(?:ed)?|fixed|sink in|sunk in|done it since|since then|since\?*$)\b|"
    r"\bsince\b[^.?!]{0,40}\b(?:session|coaching|1:1|1-1|one[- ]on[- ]one|homework|feedback|note|talk|"
    r"(?:we|i) (?:talked|spoke|sat down|met))", re.IGNORECASE)
_COACHING = re.compile(
    r"\b(coach\w*|1:1|1-1|1on1|one[- ]on[- ]ones?|session|homework|feedback|role[- ]?play\w*|sat down|talked|"
    r"talk(?:ed)? to|went over|gone over|worked on|work(?:ed)? with|since (?:we|our|the|i|then|last)|"
    r"intervention|assignment|drill\w*|practi[cs]\w*)\b", re.IGNORECASE)
_ADVICE = re.compile(
    r"\b(how (?:should|do|can|would) (?:i|we)|what (?:should|can|do) (?:i|we|she|he|they)|how to|playbook|framework|"
    r"tips?|advice|suggest\w*|recommend\w*|fix (?:his|her|their|this)|get (?:him|her|them) to|"
    r"lock (?:it|this) in|example questions?|questions (?:should|could|to)|coach (?:him|her|them)|"
    r"what would you|per (?:our|the))\b", re.IGNORECASE)
_STRENGTH = re.compile(
    r"\b(good(?! (?:way|idea|time|place|start|question|framework|approach))|great(?! (?:way|idea|question))|"
    r"best(?! way)|brilliant|excellent|amazing|awesome|disciplined|top|strong\w*|nails?|solid|well|excel\w*|shin\w*|star|model|reliabl\w*|consistently good|"
    r"does (?:it|this) right|doing right|strengths?|pair (?:them |him |her )?with|learn from|role model|better than|"
    r"gets? it right|on point|crush\w*|killing it)\b", re.IGNORECASE)
_GAP = re.compile(
    r"\b(keeps?|still|struggl\w*|bad|worst|weak\w*|never|forget\w*|wrong|issues?|problems?|gaps?|fall(?:ing|s)? down|"
    r"worr\w*|caves?|too (?:early|soon|much|fast|quick)|without|fail\w*|leav\w*|skip\w*|miss\w*|cold|stuck|"
    r"doesn['’]?t|don['’]?t|can['’]?t|isn['’]?t|aren['’]?t|won['’]?t|not|no |burn\w*|blow\w*|rush\w*|jump\w*|"
    r"monolog\w*|ramble\w*|over[- ]?talk\w*|talk over|happy ears|weak spots?|watch[- ]outs?|needs? work|"
    r"improve on|work on|stop\w*|quit\w*)\b", re.IGNORECASE)
_BOTH = re.compile(
    r"\b(and who['’]?s not|and who isn['’]?t|or not\b|good and bad|strengths and (?:weak\w*|gaps)|weak\w* and strengths|either way|overall|rundown|run-down|"
    r"read on|pros and cons|how (?:is|are|'s)\s+\w+\s+doing|doing on|any pattern|patterns?|profile|summary|"
    r"snapshot|picture|where (?:is|'s)\s+\w+\s+at|changed?)\b", re.IGNORECASE)
_ABOUT_A_REP = re.compile(  # the rest of a question about a person who may be a rep
    r"\b(doing|calls?|strengths?|weak\w*|gaps?|coach\w*|improv\w*|better|struggl\w*|good at|bad at|progress|"
    r"patterns?|habits?|discovery|pitch\w*|demo\w*|talk\w*|prep\w*|forecast\w*|next steps?|opening|handl\w*|"
    r"session|1:1|read on|rundown|picture|keep\w*|still|stopp?ed|any good)\b", re.IGNORECASE)
_PERSON_SLOT = re.compile(
    r"(?:\b(?:how(?:['’]s| is| has| did| does| was| are)|where(?:['’]s| is)|is|are|has|did|does|was|with|for|about|coach(?:ing)?|help(?:ed)?|"
    r"coached|on|and|re|give me|tell me about|what about)\s+)"
    r"(?P<name>[A-Z][a-z]{2,}(?:\s+[A-Z][a-z'-]{2,})?)(?=['’]s\b|\s|[,?.!:;-]|$)(?!\s+(?:Corp|Inc|Ltd|LLC|Co|Group)\b)")
_LEADING_NAME = re.compile(r"^(?P<name>[A-Z][a-z]{2,})(?=['’]s\b|\s*[,:;\u2013\u2014-])")  # "Dagny: any patterns?"
_INITIAL = re.compile(r"(?<![\w$&.'’/-])([A-Z])(?![\w&'’/.-])")  # "has J gotten better", not "$2M", "M&A"
_COMPANY = re.compile(r"\b(?:Corp|Inc|Ltd|LLC|Co|Group|Labs|Systems)\b")
_NOT_NAMES = frozenset((
    "i the a an what who which how why when where is has did does was any anyone anybody our my we team "
    "reps rep ok okay hey hi so and or but also pls please give tell show list monday tuesday wednesday "
    "thursday friday saturday sunday january february march april may june july august september october "
    "november december spin gap sandler challenger meddpicc aecr crm ai ae sdr bdr vp cfo ceo cro cto "
    "coo q1 q2 q3 q4 playbook discovery coaching coach demo pipeline forecast commit"
).split())


@dataclass(frozen=True)
class Roster:
    """The reps the floor knows, and how a question may name them."""

    reps: tuple[str, ...]
    vocabulary: frozenset[str] = frozenset()  # lower-case words of the playbooks: not people
    nicknames: dict[str, str] = field(default_factory=dict)  # "hattie" -> "Harriet Lindqvist" (see nicknames())

    def named(self, question: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(known reps named, capitalised names in a person's place that name no rep)."""
        found: list[str] = []
        words = _WORD.findall(question)
        lowered = [w.lower().rstrip("'’").removesuffix("'s").removesuffix("’s") for w in words]
        initials = set(_INITIAL.findall(question)) - {"I", "A"}
        reps_with = Counter(rep[0].upper() for rep in self.reps)  # first initial -> how many reps have it
        for rep in self.reps:
            initial = rep[0].upper()
            if self._names(rep, lowered, words) or (initial in initials and reps_with[initial] == 1):
                found.append(rep)
        unknown = []
        for m in [*_PERSON_SLOT.finditer(question), *_LEADING_NAME.finditer(question)]:
            name = m.group("name")
            if _COMPANY.search(name):
                continue
            key = name.split()[0].lower()
            if key in _NOT_NAMES or key in self.vocabulary or any(
                    self._names(r, [w.lower() for w in name.split()], name.split()) for r in self.reps):
                continue
            unknown.append(name)
        return tuple(found), tuple(dict.fromkeys(unknown))

    def _names(self, rep: str, lowered: list[str], words: list[str]) -> bool:
        """Does one of the question's words name this rep (see the module's docstring)?"""
        parts = [p.lower() for p in rep.split()]
        first, rest = parts[0], parts[1:]
        own = {first, *rest, *(p for r in rest for p in r.split("-"))}
        for word, raw in zip(lowered, words):
            if word.endswith("s") and word[:-1] in own:  # "odiles gaps": a possessive typed without '
                word = word[:-1]
            if word in own or self.nicknames.get(word) == rep:
                return True
            if len(raw) == 1 or len(word) < 3 or word in _NOT_NAMES or word in self.vocabulary:
                continue  # a lone initial is read from the whole question; a playbook word is nobody
            typed_as_name = raw[:1].isupper()  # lower case: only a longer, exact part of the name
            shortest = 3 if typed_as_name else 5
            close = ((first.startswith(word) and len(word) >= shortest) or (len(word) >= max(4, shortest) and word in first)
                     or (typed_as_name and word[:2] == first[:2] and _close(word, first[: len(word)])))
            if close and _unique(word, rep, self.reps):
                return True
            if len(word) >= 5 and _close(word, first):
                return True
        return False


_AFTER_DETERMINER = re.compile(r"\b(?:the|a|an|our|their|his|her|its|this|my|your|every|each)\s+([A-Za-z]+)",
                               re.IGNORECASE)


def nicknames(bodies: dict[str, list[str]], vocabulary: frozenset[str] = frozenset()) -> dict[str, str]:
    """Names the notes call a rep by ("Hattie" for Harriet, "Dez" for Desmond): a word that
    starts like the rep's first name (its first two letters) or sits inside it, found in at
    least two of that rep's notes and in none of the other reps' notes, and not a playbook
    word. ``bodies`` maps each rep to the texts of their notes."""
    seen: dict[str, dict[str, int]] = {}
    uses: Counter[str] = Counter()
    after_determiner: Counter[str] = Counter()  # "the calendar", "their bay": things, not people
    for rep, texts in bodies.items():
        for text in texts:
            words = [w.lower() for w in re.findall(r"\b[A-Za-z][a-z]{2,9}\b", text)]
            uses.update(words)
            for word in set(words):
                seen.setdefault(word, {}).setdefault(rep, 0)
                seen[word][rep] += 1
            after_determiner.update(m.lower() for m in _AFTER_DETERMINER.findall(text))
    found = {}
    for word, counts in seen.items():
        if len(counts) != 1 or word in vocabulary or word in _NOT_NAMES or after_determiner[word] * 3 >= uses[word]:
            continue
        (rep, notes), = counts.items()
        first = rep.split()[0].lower()
        if notes >= 2 and word != first and (word[:2] == first[:2] or (len(word) >= 4 and word in first)):
            found[word] = rep
    return found


def _unique(word: str, rep: str, everyone: Iterable[str]) -> bool:
    """The nickname starts or sits in only this rep's first name."""
    others = [r.split()[0].lower() for r in everyone if r != rep]
    return not any(o.startswith(word) or (len(word) >= 4 and word in o) for o in others)


def _close(a: str, b: str) -> bool:
    """At most one letter inserted, dropped or changed."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def read_question(question: str, roster: Roster, classifier: ThemeClassifier, vector: np.ndarray,
                  rep: str | None = None) -> FloorReading | None:
    """What the question asks of the floor, or None for a playbook question.

    A question that names no rep is a floor question only when it asks which reps do
    something (a question that starts with who / which reps / anyone), what the team as a
    whole does, or whether coaching on a theme helped; a request for advice that names no
    rep ("how do I coach a rep who ...") is for the playbooks."""
    named, unknown = roster.named(question)
    if rep and rep not in named and (_HELPED.search(question) or _ABOUT_PATTERNS.search(question)):
        named = (rep, *named)  # --rep Dana "what are her recurring gaps?"; a playbook question keeps the filter only
    advice = bool(_ADVICE.search(question))
    about_behaviour = bool(_STRENGTH.search(question) or _GAP.search(question) or _BOTH.search(question))
    asks = _WHO_ASKS.search(question)
    who = bool(asks) and not _WHO_PLAYBOOK.match(question, asks.start(1))
    team = bool(_TEAM_ASKS.search(question)) and bool(_PATTERNS.search(question)) and not _ONE_REP.search(question)
    coaching = bool(_COACHING.search(question))
    helped = bool(_HELPED.search(question)) and (coaching or bool(named))
    if not named:
        if unknown and not who and not team and _ABOUT_A_REP.search(question):
            return FloorReading("unknown_rep", unknown=unknown[0])
        if advice and not who:
            return None
        if not (who or team or (helped and coaching and _PAST.search(question))):
            return None
    theme = _theme(_COMPOUND.sub(r"\1-thread", question), classifier, vector, named + unknown)
    polarity = _polarity(question, theme, classifier)
    if named:
        if advice:
            return FloorReading("mixed", named, theme, polarity)
        if helped:
            return FloorReading("helped", named, theme, None)
        if not who:
            return FloorReading("rep", named, theme, polarity)
    elif helped and coaching and not who and not team:
        return FloorReading("helped", (), theme, None) if theme else None
    if team and not who:
        return FloorReading("team", (), theme, polarity)
    if theme is None:
        return FloorReading("unknown_theme", named, None, polarity, unknown=question) if about_behaviour else None
    return FloorReading("mixed" if advice else "who", named, theme, polarity)


def _theme(question: str, classifier: ThemeClassifier, vector: np.ndarray, names: tuple[str, ...]) -> str | None:
    text = question
    for name in names:
        for part in name.split():
            text = re.sub(rf"\b{re.escape(part)}\b", "", text, flags=re.IGNORECASE)
    probabilities = classifier.probabilities(text, vector)
    best = int(np.argmax(probabilities[:-1]))
    words = classifier.term_counts(text)[best]
    if probabilities[best] < THEME_MIN_PROBABILITY and not (words >= 1 and probabilities[best] >= THEME_WITH_WORDS):
        return None
    return classifier.themes[best].id


def _polarity(question: str, theme: str | None, classifier: ThemeClassifier) -> str | None:
    if _BOTH.search(question):
        return None
    strength, gap = _STRENGTH.search(question), _GAP.search(question)
    if strength and gap:  # "who should I pair with someone struggling": the first word about the reps decides
        return "strength" if strength.start() < gap.start() else "gap"
    if strength or gap:
        return "strength" if strength else "gap"
    if theme is not None:  # the theme's own cue words: "who pitches too early", "who holds the demo"
        found = next(t for t in classifier.themes if t.id == theme)
        return votes(question, found.id, found.gap_cues, found.strength_cues, found.terms).polarity
    return None
