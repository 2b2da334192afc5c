"""Polarity (gap, strength or neither) and instruction detection for one sentence, by rule.

Embeddings barely tell "asked why" from "never asked why", so polarity is read from the
words. The theme's cue phrases (``cues.gap`` / ``cues.strength`` in the taxonomy) and a
small general vocabulary of praise and criticism vote; a negation in scope flips a vote:

- negators: not / n't, never, no, none, nobody, nothing, zero, without, w/o, forgot,
  failed to, skip / skipped, missed, "still no", "no mention of", "couldn't get", "instead of",
  "rather than"; a negation reaches at most ``SCOPE`` words ahead and stops at a clause
  break (, ; : - and "but", "until", "till", "so");
- a negated *topic word* of the theme votes too: negating the behaviour a theme asks for
  ("no agenda", "didn't ask why") is a gap; negating the behaviour a theme warns against
  ("never touched the deck till the pain was clear", "didn't cave") is a strength, which
  is how double negations resolve;
- words inside quotation marks are the buyer's or rep's own speech: their negations do not
  count.

A sentence with no vote is neutral (``None``): it names the theme without judging it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

SCOPE = 8  # words a negation reaches
ALTERNATIVE_SCOPE = 4  # "rather than treat it as a fault, she kept asking": the alternative not taken is short
VERDICT_VOTE = 1.5
UNPLACED_NEGATION_VOTE = 0.4
# negators that do not make an unplaced gap: "rather than how many sites", "skipped the basics"
_NOT_PLACED = ("rather than", "instead of", "skip", "skipped", "skips", "skipping", "missed")
CUE_VOTE, PLAIN_VOTE, TOPIC_VOTE = 1.0, 0.6, 0.8

# themes whose topic words name the behaviour to avoid (a pitch, a monologue, a discount, a commit):
# negating one of them is a strength ("never touched the deck till ...", "didn't cave")
WARNS_AGAINST = {
    "pitching-too-early": ("demo", "demoed", "demoing", "pitch", "pitched", "pitching", "slide", "slides", "deck",
                           "screen share", "screen", "screenshare", "product", "presenting", "presented", "features",
                           "tour", "module", "modules", "dashboard", "solution", "show", "showed", "showing"),
    "talk-listen-ratio": ("monologue", "monologues", "rambled", "rambling", "interrupted", "interrupting", "stacked",
                          "stacking", "talked over", "talking over", "cut in", "lecture", "speech", "speeches"),
    "objection-handling": ("discount", "discounted", "discounting", "caved", "cave", "caving", "folded", "fold",
                           "folding", "flinch", "flinched", "defensive", "argue", "argued", "arguing", "debate",
                           "back off", "backed off", "backing off", "budge", "budged", "panic", "panicked",
                           "moved on", "move on", "brushed off", "brush off", "gloss over", "glossed over", "ignored"),
    "forecast-discipline": ("happy ears", "commit", "committed", "push", "pushed", "forecast"),
}
# behaviour to avoid under any theme: "didn't rush", "never interrupted" is a strength
WARNED_ANYWHERE = ("rush", "rushed", "rushing", "interrupt", "interrupted", "interrupting", "panic", "panicked",
                   "cave", "caved", "flinch", "flinched", "assume", "assumed", "guess", "guessed", "ramble",
                   "rambled", "oversell", "oversold", "settle", "settled", "rely", "relied",
                   "relying", "take it at face value", "took it at face value", "let it slide", "let it go",
                   "single-threaded", "single threaded", "alone")
# ... and of those, the ones that are a gap wherever they occur un-negated
BAD_ACTIONS = {
    "talk-listen-ratio": ("monologue", "monologues", "rambled", "rambling", "interrupted", "interrupting", "stacked",
                          "stacking", "talked over", "talking over", "cut in", "lecture", "speeches"),
    "objection-handling": ("discounted", "discounting", "caved", "caving", "folded", "defensive", "argued",
                           "arguing", "debate", "backed off", "backing off", "panicked", "moved on", "moving on",
                           "brushed off", "brushed it off", "glossed over", "ignored"),
    "forecast-discipline": ("happy ears",),
}
# a theme's own evidence of the gap: an early minute mark for the first pitch
EVIDENCE_OF_GAP = {
    "pitching-too-early": re.compile(
        r"\b(?:minute|min\.?)\s*(?:[1-9]|one|two|three|four|five|six|seven|eight|nine)\b(?![\d:])|"
        r"\b(?:[1-9]|one|two|three|four|five|six|seven|eight|nine)[ -]?min(?:ute)?s?\b(?! (?:of|later|after))|"
        r"\bfirst (?:two|three|four|five|few|couple of) minutes\b|"
        r"\b(?:demo\w*|slides?|deck|pitch\w*|screen ?shar\w*|presentation|product tour)\b[^.;:]{0,50}?\bbefore\b",
        re.IGNORECASE),
}
# evidence a theme's good behaviour happened: a figure for the cost, a day and time for the next step
EVIDENCE = {
    "cost-of-inaction": re.compile(r"[$£€]\s?\d|\b\d[\d,.]*\s?(?:k|m|ftes?|hours?|hrs?|days?|people|staff|percent)\b|"
                                   r"\b\d+(?:\.\d+)?\s?%|\b(?:thousand|million)\b", re.IGNORECASE),
    "next-steps": re.compile(r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri)(?:day)?\b[^.;]{0,20}?\b\d{1,2}(?::\d\d)?\s?(?:am|pm)?\b|"
                             r"\b\d{1,2}(?::\d\d)?\s?(?:am|pm)\b|\b(?:the )?\d{1,2}(?:st|nd|rd|th)\b", re.IGNORECASE),
}
# actions any theme asks for: negated, they are a gap ("not asked", "hasn't spoken to anyone")
GOOD_ACTIONS = ("ask", "asked", "asking", "explore", "explored", "check", "checked", "confirm", "confirmed", "book",
                "booked", "try", "tried", "reach", "reached", "spoken", "spoke", "talked to", "met", "get", "got",
                "find", "found", "set", "agree", "agreed", "follow", "followed", "dig", "dug", "prepare", "prepared",
                "look", "looked", "know", "knew", "learn", "learned", "size", "sized", "quantify", "map", "mapped",
                "lock", "locked", "invite", "invited", "schedule", "scheduled", "push", "pushed")
_NEGATOR = re.compile(
    r"\b(?:not|never|no|none|nobody|nothing|zero|without|w/o|forget|forgot|forgets|forgetting|failed to|fails to|"
    r"failing to|skip|skipped|skips|skipping|"
    r"missed|lacked|lacking|neither|nor|hardly|unable|instead of|rather than|no mention of|"
    r"(?:did|does|do|was|is|were|are|has|have|had|could|would|wo|ca|should)(?:n't|nt|n’t)|"
    r"didnt|doesnt|dont|wasnt|isnt|hasnt|havent|hadnt|couldnt|wouldnt|wont|cant|"
    r"did not|does not|do not|was not|is not|has not|have not|had not|could not|would not|can not|cannot|"
    # counterfactuals: what should have happened did not
    r"should have|should've|could have|could've|would have been|needed to|was the (?:moment|time|chance|place) to|"
    r"(?:the|an|a|perfect|huge|big|clear|good) (?:opening|chance|opportunity|moment) to)\b",
    re.IGNORECASE,
)
_ADVICE = re.compile(r"(?:^|[.;:!?]\s*|\s[-–—]+\s)(?:don't|dont|do not)\b", re.IGNORECASE)
_BREAK = re.compile(r"[,;:.!?()\[\]&+]|\s[-–—]+\s|\b(?:but|until|till|til|so|then|because|b/c|once|which|although|though|"
                    r"and then|while|after)\b", re.IGNORECASE)
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|‘[^’]*’|(?<![\w])'(?:[^']|(?<=\w)'(?=\w)){2,}?'(?![\w])")
_PRAISE = re.compile(
    r"\b(?:great|good|nice|nicely|excellent|solid|strong|well|textbook|exactly|love|clean|cleanest|sharp|brilliant|"
    r"perfect|right move|right call|right question|spot on|impressive|improved|improvement|finally|this time|better|"
    r"best|well done|kudos|smart|thoughtful|properly|disciplined|honest|calm|patient|patiently|nailed|tidy|"
    r"did its job|comfortable|rightly|exactly right|quite right|just right|the right (?:call|move|question|thing)|finest)\b",
    re.IGNORECASE,
)
_CRITICISM = re.compile(
    r"\b(?:too early|too soon|too much|too fast|too quickly|way too|rushed|vague|weak|poor|sloppy|mistake|"
    r"wasted|burned|burnt|struggled|awkward|painful|ouch|yikes|unfortunately|stuck|again|(?<!standing )(?<!sitting )still|nowhere|fumbled|"
    r"blew|lost the room|a guess|mostly our|where's the|where is the)\b",
    re.IGNORECASE,
)
# the coach's verdict on the move as a whole outweighs a single word
_VERDICTS = (
    (re.compile(r"\b(?:which is|that's|that is|was) (?:exactly |just |absolutely )?(?:right|the right call|what we want)\b|"
                r"\b(?:quite |very )?rightly\b|\b(?:good|right|great) call\b|\bspot on\b|\bwell done\b|\bnailed it\b",
                re.IGNORECASE), "strength"),
    (re.compile(r"\b(?:which is|that's|that is) (?:a |the )?(?:problem|mistake|miss|gap)\b|\bnot good enough\b|"
                r"\b(?:big|clear|real) miss\b", re.IGNORECASE), "gap"),
)
_PROBING = re.compile(r"(?:^\W*(?:[a-z]+ )?|\bby |\b(?:he|she|they|[a-z]+) (?=kept|wanted|went on))"
                      r"(?:asked|asking|kept asking|kept pushing|wanted to know|went on to ask|followed up with|probed|dug into|pushed on)\b"
                      r"(?! (?:for|about) (?:a|the) (?:discount|demo|pricing))")
_CONDITIONAL = re.compile(r"\bonly\b[^.;]{0,50}?\b(?:after|once|when|with|if)\b", re.IGNORECASE)
_REPORTED_QUESTION = re.compile(r"\b(?:ask|asked|asking|asks|question|questions|wanted to know|wondered)\b")
_GOOD_AFTER_BAD = re.compile(r"\b(?:this time|finally|for once|improved|better than last)\b", re.IGNORECASE)


@dataclass(frozen=True)
class PolarityVotes:
    gap: float
    strength: float

    @property
    def polarity(self) -> str | None:
        if self.gap > self.strength:
            return "gap"
        if self.strength > self.gap:
            return "strength"
        return None


def polarity(text: str, theme_id: str | None, gap_cues=(), strength_cues=(), terms=()) -> str | None:
    return votes(text, theme_id, gap_cues, strength_cues, terms).polarity


def votes(text: str, theme_id: str | None, gap_cues=(), strength_cues=(), terms=()) -> PolarityVotes:
    lowered = text.lower()
    spoken = _quoted_spans(lowered)
    raw = [m for m in _NEGATOR.finditer(lowered) if not _inside(m.start(), spoken) and not _doing_nothing(m)]
    negations = _cancel_double(raw)
    cancelled = {m.start() for m in raw} - {m.start() for m in negations}
    advice = {m.start() for m in negations if _ADVICE.search(lowered[:m.end()][-(len(m.group(0)) + 4):] or "")
              and _ADVICE.search(lowered, max(0, m.start() - 4))}
    scores = {"gap": 0.0, "strength": 0.0}
    claimed: list[tuple[int, int]] = []

    def vote(side: str, at: int, weight: float, negatable: bool = True) -> None:
        negation = _negation_of(lowered, at, negations) if negatable else None
        if negation is not None:
            side = "gap" if negation.start() in advice else _flip(side)
        scores[side] += weight

    cues = sorted([(c, "gap") for c in gap_cues] + [(c, "strength") for c in strength_cues], key=lambda c: -len(c[0]))
    for cue, side in cues:
        for m in phrase_pattern(cue).finditer(lowered):
            if _overlaps(m.span(), claimed):
                continue
            claimed.append(m.span())
            if m.start() in cancelled:  # "didn't forget to book": the cue's own negation is undone
                scores[_flip(side)] += CUE_VOTE
                continue
            # a cue that carries its own negation ("no next step") or starts a new clause
            # ("till the pain was clear": the double negation of "never ... till") is not flipped
            vote(side, m.start(), CUE_VOTE, negatable=not _NEGATOR.match(cue) and not _BREAK.match(cue))
    for pattern, side in ((_PRAISE, "strength"), (_CRITICISM, "gap")):
        for m in pattern.finditer(lowered):
            if not _overlaps(m.span(), claimed) and not _inside(m.start(), spoken):
                vote(side, m.start(), PLAIN_VOTE)
    bad = BAD_ACTIONS.get(theme_id or "", ())
    for term in bad:
        for m in phrase_pattern(term).finditer(lowered):
            if not _overlaps(m.span(), claimed) and not _inside(m.start(), spoken):
                claimed.append(m.span())
                vote("gap", m.start(), TOPIC_VOTE)
    for table, side in ((EVIDENCE, "strength"), (EVIDENCE_OF_GAP, "gap")):
        evidence = table.get(theme_id or "")
        for m in evidence.finditer(lowered) if evidence is not None else ():
            if not _overlaps(m.span(), claimed) and not _inside(m.start(), spoken):
                claimed.append(m.span())
                vote(side, m.start(), PLAIN_VOTE)
                break
    probe = _PROBING.search(lowered)
    if probe and not _overlaps(probe.span(), claimed):
        vote("strength", probe.start(), PLAIN_VOTE)
    for m in _CONDITIONAL.finditer(lowered):
        scores["strength"] += PLAIN_VOTE  # "only moved it to commit after the signed plan came back"
    _negated_topics(lowered, theme_id, terms, negations, advice, spoken, claimed, scores)
    for pattern, side in _VERDICTS:
        if (m := pattern.search(lowered)) and not _inside(m.start(), spoken):
            scores[side] += VERDICT_VOTE
    if not scores["gap"] and not scores["strength"] and any(m.group(0) not in _NOT_PLACED
                                                            for m in negations):
        scores["gap"] += UNPLACED_NEGATION_VOTE  # "no plan for the call", "no word on timing"
    unquoted = _QUOTED.sub(" ", lowered)
    if "?" in unquoted and not _REPORTED_QUESTION.search(unquoted):
        scores["gap"] += PLAIN_VOTE  # "A headache in hours? In dollars?": the coach asks what was missing
    if scores["gap"] and scores["strength"] and _GOOD_AFTER_BAD.search(lowered):
        scores["strength"] += PLAIN_VOTE  # "this time she booked it": the change is the point
    return PolarityVotes(scores["gap"], scores["strength"])


def _negated_topics(lowered, theme_id, terms, negations, advice, spoken, claimed, scores) -> None:
    """Each negation that no cue or judging word took: the nearest topic word or action in
    its scope decides. Negating what a theme warns against is a strength, negating anything
    else a gap ("no agenda", "not asked")."""
    warned = (*WARNS_AGAINST.get(theme_id or "", ()), *WARNED_ANYWHERE)
    words = [(w, w in warned) for w in {*terms, *warned, *GOOD_ACTIONS}]
    for negation in negations:
        if any(start >= negation.end() and _negation_of(lowered, start, negations) is negation
               for start, _ in claimed):
            continue
        nearest = None
        for word, is_warned in words:
            for m in phrase_pattern(word).finditer(lowered, negation.end()):
                if _inside(m.start(), spoken) or _overlaps(m.span(), claimed):
                    continue
                if _negation_of(lowered, m.start(), negations) is negation and (nearest is None or m.start() < nearest[0]):
                    nearest = (m.start(), is_warned)
                break
        if nearest is None:
            continue
        if negation.start() in advice:
            scores["gap"] += TOPIC_VOTE
        else:
            scores["strength" if nearest[1] else "gap"] += TOPIC_VOTE


@lru_cache(maxsize=8192)
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A phrase's words in order, with at most two other words between two of them."""
    words = [re.escape(w) for w in phrase.lower().split()]
    return re.compile(r"(?<![\w])" + r"\W+(?:[\w'’/]+\W+){0,2}?".join(words) + r"(?![\w])")


def _cancel_double(negations: list) -> list:
    """ "didn't forget", "never failed", "not without": a negator in the scope of another
    cancels it, and both are dropped."""
    kept, i = [], 0
    while i < len(negations):
        m = negations[i]
        if i + 1 < len(negations):
            nxt = negations[i + 1]
            gap = nxt.string[m.end():nxt.start()]
            reach = 1 if nxt.group(0) != "without" else SCOPE  # "never let a pain pass without asking"
            if len(gap.split()) <= reach and not _BREAK.search(gap):
                i += 2
                continue
        kept.append(m)
        i += 1
    return kept


_DO_NOTHING = re.compile(r"\b(?:do|does|doing|did)\s+$")


def _doing_nothing(m) -> bool:
    """ "the cost of doing nothing" names the status quo; it negates nothing."""
    return m.group(0) == "nothing" and bool(_DO_NOTHING.search(m.string[max(0, m.start() - 8):m.start()]))


def _negation_of(text: str, at: int, negations):
    """The negation whose scope holds position ``at`` (same clause, at most SCOPE words
    before it), or None."""
    found = None
    for m in negations:
        if m.end() > at:
            break
        between = text[m.end():at]
        reach = ALTERNATIVE_SCOPE if m.group(0) in ("rather than", "instead of") else SCOPE
        if not _BREAK.search(between) and len(between.split()) <= reach:
            found = m
    return found


def _flip(side: str) -> str:
    return "strength" if side == "gap" else "gap"


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _QUOTED.finditer(text)]


def _inside(at: int, spans) -> bool:
    return any(start < at < end for start, end in spans)


def _overlaps(span, claimed) -> bool:
    return any(span[0] < end and start < span[1] for start, end in claimed)


# -- instructions -------------------------------------------------------------------------
_IMPERATIVE = frozenset(
    "ask put show try stop start hold wait get make bring book use let spend keep don't dont do play log send set "
    "open close confirm find name map quantify write practice practise lead pause restate aim end take give check "
    "replace block walk cut build prepare prep read research list count record listen summarise summarize recap "
    "agree schedule invite follow dig push run plan focus avoid never always add work role-play roleplay treat swap "
    "drop resist stay pick note jot capture rehearse acknowledge probe quantify "
    "re-check recheck reach loop introduce call email review slow frame anchor say tell".split()
)
_LEAD_IN = re.compile(
    r"^(?:[-*•>]\s*)?(?:(?:(?i:next (?:call|time|meeting|week|one)|next step for [\w-]+|going forward|from now on|from here on|"
    r"for the next [\w ]{1,20}|homework|assignment|action(?: item)?s?|todo|to do|to-do|focus(?: area)?(?: for [\w-]+)?|"
    r"(?:coaching )?goal|challenge|tip|rule|practice|drill)|[A-Z][\w'-]+(?: [A-Z][\w'-]+)?)\s*[:,–—-]+\s*)+",
)
_DIRECTIVE = re.compile(
    r"\b(?:homework for|assignment for|"
    r"focus for|focus area|focus on|focus is|going forward|from now on|"
    r"starting (?:monday|tomorrow|today|next)|for the next (?:two|three|four|few|couple|\d)|"
    r"for (?:his|her|their|your|the) next|from here on|coaching goal|"
    r"(?:we|he|she|they|you) (?:both )?agreed(?: (?:that|to|on)\b(?=\s+\w)|(?=\s*[:,–—-]))|i'd like to (?:hear|see)|before (?:monday|the next|each|every|your|any (?:call|meeting|demo|discovery))|(?:he|she|they)(?:'ll| will) (?:open|start|ask|book|bring|"
    r"run|set|send|practi[cs]e|try|hold|keep|write|spend|get|map|end|lead|put|use|confirm|block|work)|"
    r"(?:he|she|they|you) (?:needs?|has|have) to|you should|you need to|make sure|be sure to|remember to|"
    r"i want (?:you|him|her|them) to|i'd like (?:you|him|her) to|let's|lets work|(?:^|\b(?:we|we've|we have|to|let's|will|\'ll|should|then|i|you))\s*(?:work|worked|working) on|"
    r"to practi[cs]e|role-?play|try (?:to|asking|saying|opening|using)|aim for|commit(?:ted)? to|the plan is|"
    r"challenge for|goal for|drill|target for|coaching target|over the next|next time i want|"
    r"i(?:'d| would)? (?:want|like|expect) (?:at least|every|each|a|an|to see|to hear)|"
    r"(?:he|she|they)(?:'s| is| are) going to (?!be\b))\b",
    re.IGNORECASE,
)
_NEGATED_BEFORE = re.compile(r"(?:n't|n’t|\bnot|\bnever|nt)\s+$", re.IGNORECASE)
_NEXT_TIME = re.compile(r"\bnext (?:call|time|week|meeting)\s*[,:]|(?:^|[^\w\s]\s*)(?:her |his |their |the )?(?:homework|assignment|action items?|to-?do)\s*[:\-–—]",
                        re.IGNORECASE)
_PAST_MODAL = re.compile(r"\b(?:should|could|would) (?:have|'ve)\b|\bshould've\b", re.IGNORECASE)


def is_instruction(text: str) -> bool:
    """A coaching instruction or assignment ("Next call, ask ...", "homework: ...", "she'll
    open every call by ...", "Try asking ..."), not a remark about what happened. Quoted
    speech does not count."""
    text = _QUOTED.sub('""', text)
    if _EARLIER_AGREEMENT.search(text) or _AGREED_WHAT_HAPPENED.search(text):
        return False  # "... which is exactly the rule we agreed on September 25": a reference, not a new instruction
    if _PAST_MODAL.search(text) and not _DIRECTIVE.search(text):
        return False
    if any(not _NEGATED_BEFORE.search(text[max(0, m.start() - 12):m.start()]) for m in _DIRECTIVE.finditer(text)) \
            or _NEXT_TIME.search(text):
        return True
    rest = _LEAD_IN.sub("", text.strip(), count=1)
    rest = _FRAME.sub("", rest, count=1)  # "after every pain point, ask ...", "only put deals in ..."
    words = re.sub(r"^[\W_]+", "", rest).split()
    if not words:
        return False
    first = words[0].lower().strip(",:;.!")
    if first == "before" and len(words) > 1 and words[1].lower() == "you":
        return True
    if first in ("when", "if") and re.search(r"\b(?:ask|try|say|stop|pause|don't|dont|acknowledge|get)\b", rest, re.I):
        return bool(re.search(r"\b(?:they|the buyer|a buyer|someone)\b", rest, re.I))
    if first not in _IMPERATIVE:
        return False
    if first in _ADVERBS:  # "never leave a call ..." but not "never asked why"
        following = words[1].lower() if len(words) > 1 else ""
        return bool(following) and not following.endswith("ed") and following not in ("know", "knew", "got", "had")
    if first in _SAME_IN_PAST:  # "set the agenda and asked ..." is a remark; "set the next meeting before you ..." is not
        return bool(re.search(r"\byou(?:r)?\b", rest, re.I)) or not _PAST_VERB.search(" ".join(words[1:]))
    return True


_EARLIER_AGREEMENT = re.compile(  # an earlier agreement, cited: "the rule we agreed on September 25", "as we agreed"
    r"\b(?:the|our|that|this) (?:rule|plan|target|behaviou?r|habit|standard)s? (?:we|she|he|they) (?:had )?agreed "
    r"(?:on|at|in|last|back|during)\b|\bas (?:we|she|he|they) (?:had )?agreed\b", re.IGNORECASE)
_AGREED_WHAT_HAPPENED = re.compile(  # "She agreed that Glen never got to tell her ...": agreeing about the past
    r"\bagreed that\b(?![^.]*\b(?:will|'ll|should|would|going to|next|from now|every|each|always)\b)"
    r"[^.]*\b(?:never|didn't|did not|wasn't|weren't|had|was|were|got|went)\b", re.IGNORECASE)
_FRAME = re.compile(r"^(?:(?:after|on|in|for|at|during|with|before|when) (?:every|each|any|the next|your next)\b[^,]{0,40},\s*|"
                    r"only\s+)", re.IGNORECASE)
_ADVERBS = frozenset({"never", "always", "don't", "dont"})
_SAME_IN_PAST = frozenset({"set", "put", "let", "cut", "read"})
_PAST_VERB = re.compile(r"\b\w{3,}ed\b|\b(?:got|went|made|took|gave|said|told|left|kept|sent|found|began|ran|knew|held|led)\b",
                        re.IGNORECASE)


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"“A-Z])")


def reported_part(text: str) -> str | None:
    """A remark followed by an instruction ("Sam listed features. Acknowledge first, then
    ask ..."): the remark, which the instruction corrects. None for anything else."""
    sentences = [s for s in _SENTENCE.split(_QUOTED.sub(lambda m: m.group(0).replace(". ", ", ").replace("? ", ", "),
                                                                text.strip())) if s.strip()]
    if len(sentences) < 2 or is_instruction(sentences[0]):
        return None
    return sentences[0] if any(is_instruction(s) for s in sentences[1:]) else None


_MENTION = re.compile(
    r"\b(?:came up|come up|comes up|talked about|discussed|went over|go over|covered|mentioned|reviewed|"
    r"is in the|are in the|in the crm|shared folder|shared drive|was raised|were raised|touched on)\b",
    re.IGNORECASE,
)


def is_mention(text: str) -> bool:
    """Names a topic without judging it ("next steps came up", "we talked about pricing")."""
    return bool(_MENTION.search(text))
