"""Does the knowledge base support an answer? A calibrated check, not a keyword list.

Six similarities describe a question:

- ``best_unit``: to its closest sentence, bullet or table row among the candidates;
- ``dense``: to its closest passage;
- ``out_of_scope``: to its closest example question of ``scope.json``'s ``not_covered``
  topics (what the knowledge base does not hold: CRM administration, HR policy, our own
  prices, ...);
- ``in_scope``: to its closest example of ``scope.json``'s ``covered`` topics (what the
  playbooks hold, in reps' words: a buyer's discount request is an objection);
- ``asked_in`` and ``asked_out``: to the closest question asked before that the playbooks
  answered, and to the closest they did not cover (``rag.answered``: the dev questions).

A logistic model turns them into the probability that the question is out of scope.
Two thresholds, chosen by the cost of each error (``fit/refusal.py``: refusing a real
question costs five times an out-of-scope question answered as a marked weak match),
split it three ways:

- below ``weak_threshold``: a strong match, answered as usual;
- from ``weak_threshold`` to below ``threshold``: a weak match, answered with the closest
  sections under a first line saying the playbooks do not address it directly;
- at or above ``threshold``: refused, honestly.

Weights and thresholds (``refusal.json``) were fitted on the dev questions by
``fit/refusal.py``. Each store uses the richest model whose features it can give: without
the asked questions (their file removed), the model on the first four; a store whose
scope.json lists no covered topics, the model without ``in_scope``; a store without a
scope.json, the one on the first two features.
A shared word cannot bring a question into scope: no feature counts words.

A question that is not in English (``looks_english``: common function words of English
against those of other European languages, and the share of non-Latin letters) is never
answered as a strong match: the playbooks and the embedding model are English.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.records import Hit
from rag.docstore import StoredUnit
from rag.scope import Scope

CALIBRATION_FILE = Path(__file__).with_name("refusal.json")


@dataclass(frozen=True)
class Support:
    best_unit: float
    dense: float
    out_of_scope: float | None  # None: the store has no scope.json
    nearest_topic: str | None  # the not-covered topic closest to the question
    refusal_probability: float
    refused: bool
    in_scope: float | None = None  # None: the scope lists no covered topics
    weak: bool = False  # answered, but marked as a weak match
    english: bool = True
    asked_in: float | None = None  # None: no questions asked before ship with this build
    asked_out: float | None = None


@dataclass(frozen=True)
class RefusalModel:
    features: tuple[str, ...]
    weights: tuple[float, ...]
    intercept: float
    threshold: float  # refuse at or above
    weak_threshold: float | None = None  # a weak match at or above (None: same as threshold)

    def probability(self, values: dict[str, float]) -> float:
        z = self.intercept + sum(w * values[f] for f, w in zip(self.features, self.weights))
        return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=1)
def calibration() -> dict[str, RefusalModel]:
    data = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
    return {name: RefusalModel(tuple(m["features"]), tuple(m["weights"]), float(m["intercept"]),
                               float(m["threshold"]), _optional_float(m.get("weak_threshold")))
            for name, m in data["models"].items()}


def _optional_float(value) -> float | None:
    return None if value is None else float(value)


def model_for(values: dict[str, float | None]) -> str:
    """Which fitted model applies: the richest whose features the store can give."""
    models = calibration()
    for name in ("with_asked", "with_scope", "not_covered_only", "without_scope"):
        if name in models and all(values.get(f) is not None for f in models[name].features):
            return name
    return "without_scope"


def support(query_vector: np.ndarray, hits: list[Hit], units: dict[str, list[StoredUnit]],
            scope: Scope | None, threshold: float | None = None, question: str | None = None,
            asked: tuple[float | None, float | None] = (None, None)) -> Support:
    """The support features of a question and whether the calibrated model refuses it
    (``threshold`` overrides the fitted refusal threshold; the weak band keeps its own;
    ``asked``: ``asked_in`` and ``asked_out``, from ``rag.answered.AnsweredIndex.nearest``)."""
    values: dict[str, float | None] = {
        "best_unit": max((float(s.vector @ query_vector) for stored in units.values() for s in stored), default=0.0),
        "dense": max((h.similarity for h in hits), default=0.0),
        "out_of_scope": None, "in_scope": None, "asked_in": asked[0], "asked_out": asked[1],
    }
    topic = None
    if scope is not None:
        values["out_of_scope"], topic = scope.nearest(query_vector)
        values["in_scope"] = scope.nearest_covered(query_vector)
    model = calibration()[model_for(values)]
    probability = model.probability(values) if hits else 1.0
    cut = model.threshold if threshold is None else threshold
    weak_cut = min(cut, model.weak_threshold if model.weak_threshold is not None else cut)
    english = looks_english(question) if question is not None else True
    refused = probability >= cut
    weak = not refused and (probability >= weak_cut or not english)
    return Support(values["best_unit"], values["dense"], values["out_of_scope"], topic, probability, refused,
                   values["in_scope"], weak, english, values["asked_in"], values["asked_out"])


# -- the question's language ---------------------------------------------------------------
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_ENGLISH = frozenset(
    "the a an and or but of to in on at for with from by about is are was were be been am do does did "
    "i you he she we they it my your our their his her me him us them this that these those what how "
    "why when where who which should can could would will not no if so just have has had get got "
    "there then than up out as into any some ask say said buyer rep deal call".split()
)
# function words of other languages a question might come in; none is an English word
_OTHER = frozenset(
    # Spanish
    "el la los las un una unos unas y o pero de del al en con por para es son está están ser estar "
    "que qué cómo como cuándo dónde por qué quién cuál mi mis tu su sus nuestro nuestra nos lo le les "
    "se muy más este esta esto ese esa hay tiene tengo puedo debo hago digo cliente dice"
    # Portuguese
    " um uma os da do das dos em na no nas nos com não é são está você ele ela eu meu minha seu sua "
    "isso esse essa muito mais também quando onde porque diz"
    # French
    " le les un une des et ou mais du au aux en dans avec pour par est sont être que qui quoi comment "
    "quand où pourquoi je tu il elle nous vous ils mon ma mes ton ta son sa ses ce cette ces pas ne très "
    "dit"
    # German
    " der die das den dem des ein eine einen einem und oder aber von zu mit für auf ist sind sein wie "
    "was wann wo warum wer ich du er sie wir ihr mein meine dein sein nicht kein keine sehr auch sagt "
    "kunde"
    # Italian and Dutch
    " il lo gli di della delle dei con per è sono che chi come quando perché io mio mia non molto anche "
    "het een en of maar van met voor op zijn hoe wat wanneer waar waarom ik jij hij wij niet geen ook".split()
) - _ENGLISH
_NON_LATIN = re.compile(r"[^\x00-\u024f\s\d\W]", re.UNICODE)


def looks_english(question: str) -> bool:
    """Whether a question reads as English: it is not when most of its letters are
    outside the Latin alphabets, or when at least two of its words are common function
    words of another European language and they outnumber the English ones. A short
    question with no function word at all ("timing objection") counts as English."""
    letters = [ch for ch in question if ch.isalpha()]
    if letters and sum(1 for ch in letters if _NON_LATIN.match(ch)) > len(letters) / 2:
        return False
    words = [w.lower() for w in _TOKEN.findall(question)]
    english = sum(1 for w in words if w in _ENGLISH)
    other = sum(1 for w in words if w in _OTHER)
    if "¿" in question or "¡" in question:
        other += 1
    return not (other >= 2 and other > english)
