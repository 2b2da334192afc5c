"""The memory bank's configuration, as data a coach can edit in knowledge/.

``bank.json``: missions, promotion thresholds and the mental models (ids, names,
source queries). ``taxonomy.json``: the coaching themes (ids, labels, descriptions, cue
phrases, the playbook section each comes from).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError

BANK_FILE, TAXONOMY_FILE = "bank.json", "taxonomy.json"


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    description: str
    gap_cues: tuple[str, ...]
    strength_cues: tuple[str, ...]
    playbook_source: str | None
    playbook_section: str | None
    examples: tuple[tuple[str, str | None], ...] = ()  # (sentence, polarity or None)
    gap_statement: str = ""  # "pitches before discovery is done": what a gap observation says
    strength_statement: str = ""  # "holds the pitch until discovery is done"
    terms: tuple[str, ...] = ()  # words a sentence about the theme tends to use
    feedback_examples: tuple[str, ...] = ()  # coaching instructions on the theme
    mention_examples: tuple[str, ...] = ()  # sentences that name the theme without judging it

    def statement(self, polarity: str | None) -> str:
        """What an observation of this polarity says about a rep, so no label reads as praise
        for a mistake: the polarity's own wording, else the label with gap/strength spelled out."""
        if polarity == "strength":
            return self.strength_statement or f"strength: {self.label.lower()}"
        return self.gap_statement or f"gap: {self.label.lower()}"


@dataclass(frozen=True)
class ModelSpec:
    id: str
    name: str
    source_query: str
    max_tokens: int


@dataclass(frozen=True)
class Bank:
    retain_mission: str
    observations_mission: str
    min_calls: int  # a rep's pattern becomes an observation at this many distinct calls
    team_min_reps: int  # a team observation spans at least this many reps ...
    team_min_calls: int  # ... and this many distinct calls
    min_later_calls: int  # an intervention is judged once this many later calls exist
    models: tuple[ModelSpec, ...]


def load_bank(path: Path) -> Bank:
    data = _read_json(path)
    try:
        bank = data["bank"]
        consolidation = data.get("consolidation", {})
        models = tuple(
            ModelSpec(m["id"], m["name"], m["source_query"], int(m.get("max_tokens", 4096)))
            for m in data["mental_models"]
        )
        return Bank(
            retain_mission=bank["retain_mission"],
            observations_mission=bank["observations_mission"],
            min_calls=int(consolidation.get("min_calls", 2)),
            team_min_reps=int(consolidation.get("team_min_reps", 2)),
            team_min_calls=int(consolidation.get("team_min_calls", 3)),
            min_later_calls=int(consolidation.get("min_later_calls", 2)),
            models=models,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: missing or bad field {exc}; compare it with the shipped knowledge/bank.json") from None


def load_taxonomy(path: Path) -> tuple[Theme, ...]:
    data = _read_json(path)
    try:
        themes = tuple(
            Theme(
                id=t["id"], label=t["label"], description=t["description"],
                gap_cues=tuple(c.lower() for c in t.get("cues", {}).get("gap", [])),
                strength_cues=tuple(c.lower() for c in t.get("cues", {}).get("strength", [])),
                playbook_source=(t.get("playbook") or {}).get("source"),
                playbook_section=(t.get("playbook") or {}).get("section"),
                examples=tuple(
                    (text, None if polarity == "neutral" else polarity)
                    for polarity, texts in t.get("examples", {}).items()
                    if polarity in ("gap", "strength", "neutral") for text in texts
                ),
                gap_statement=(t.get("statements") or {}).get("gap", ""),
                strength_statement=(t.get("statements") or {}).get("strength", ""),
                terms=tuple(w.lower() for w in t.get("terms", [])),
                feedback_examples=tuple(t.get("examples", {}).get("feedback", [])),
                mention_examples=tuple(t.get("examples", {}).get("mention", [])),
            )
            for t in data["themes"]
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: a theme lacks field {exc}; each needs id, label, description and cues") from None
    ids = [t.id for t in themes]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{path}: theme ids must be unique; rename the duplicate")
    return themes


def load_background(path: Path) -> tuple[str, ...]:
    """Sentences of call notes that are about no coaching theme (buyer facts, logistics)."""
    return tuple(_read_json(path).get("background_examples", []))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing; copy it from the shipped knowledge/ folder") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid JSON ({exc}); fix the file and ingest again") from None
