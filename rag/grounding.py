"""Does the knowledge base support an answer? A calibrated check, not a keyword list.

Three similarities describe a question:

- ``best_unit``: to its closest sentence, bullet or table row among the candidates;
- ``dense``: to its closest passage;
- ``out_of_scope``: to its closest example question of ``scope.json`` (what the
  knowledge base does not hold: CRM administration, HR policy, our own prices, ...).

A logistic model turns them into the probability that the question is out of scope;
at or above ``threshold`` the answer is an honest refusal. Weights and threshold
(``refusal.json``) were fitted on the field dev split by ``fit/refusal.py``,
which also plots refusal and false-refusal rates against the threshold. A store without
a scope.json uses the model fitted on the first two features only. A shared word cannot
bring a question into scope: no feature counts words.
"""

from __future__ import annotations

import json
import math
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


@dataclass(frozen=True)
class RefusalModel:
    features: tuple[str, ...]
    weights: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, values: dict[str, float]) -> float:
        z = self.intercept + sum(w * values[f] for f, w in zip(self.features, self.weights))
        return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=1)
def calibration() -> dict[str, RefusalModel]:
    data = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
    return {name: RefusalModel(tuple(m["features"]), tuple(m["weights"]), float(m["intercept"]),
                               float(m["threshold"]))
            for name, m in data["models"].items()}


def support(query_vector: np.ndarray, hits: list[Hit], units: dict[str, list[StoredUnit]],
            scope: Scope | None, threshold: float | None = None) -> Support:
    """The support features of a question and whether the calibrated model refuses it."""
    values = {
        "best_unit": max((float(s.vector @ query_vector) for stored in units.values() for s in stored), default=0.0),
        "dense": max((h.similarity for h in hits), default=0.0),
    }
    topic = None
    if scope is not None:
        values["out_of_scope"], topic = scope.nearest(query_vector)
    model = calibration()["with_scope" if scope is not None else "without_scope"]
    probability = model.probability(values) if hits else 1.0
    cut = model.threshold if threshold is None else threshold
    return Support(values["best_unit"], values["dense"], values.get("out_of_scope"), topic,
                   probability, probability >= cut)
