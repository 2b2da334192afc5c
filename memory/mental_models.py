"""The two living documents: Discovery Playbook and Coaching Themes.

Each is built with no LLM from the playbooks (passages retrieved for the model's source
query and for the playbook section of every theme) plus the floor's observations and
interventions, with a citation on every line. A model is rewritten only when its inputs
changed; every rewrite is kept as a version with the lines it added and removed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from core.records import Intervention, MentalModel, ModelCitation, ModelVersion, Observation
from memory.config import ModelSpec, Theme

BUILDER_VERSION = 3  # bump when the documents are built differently, so they refresh
DISCOVERY_SOURCE = "discovery-coach"
MAX_FLOOR_ITEMS = 12
SOURCE_PASSAGES = 6
UNITS_PER_PASSAGE = 2


@dataclass
class _Document:
    lines: list[str] = field(default_factory=list)
    citations: list[ModelCitation] = field(default_factory=list)

    def cite(self, source: str, quote: str, section: str | None = None, date: str | None = None) -> str:
        for existing in self.citations:
            if (existing.source, existing.quote) == (source, quote):
                return f"[{existing.n}]"
        n = len(self.citations) + 1
        self.citations.append(ModelCitation(n, source, section, quote, date))
        return f"[{n}]"

    def add(self, line: str = "") -> None:
        self.lines.append(line)


class MentalModels:
    def __init__(self, folder: Path, answerer, themes: tuple[Theme, ...]) -> None:
        self.folder, self.answerer, self.themes = folder, answerer, themes

    def refresh(self, specs: tuple[ModelSpec, ...], observations: list[Observation],
                interventions: list[Intervention], playbook_hashes: dict[str, str]) -> list[str]:
        """Rebuild the models whose inputs changed; returns the ids refreshed."""
        refreshed = []
        promoted = [o for o in observations if o.promoted]
        for spec in specs:
            inputs = _hash(spec, promoted, interventions, playbook_hashes, self.themes)
            history = self._history(spec.id)
            if history and history[-1]["inputs"] == inputs:
                continue
            document = self._build(spec, promoted, interventions)
            self._save_version(spec, document, inputs, history)
            refreshed.append(spec.id)
        return refreshed

    # -- reading ----------------------------------------------------------------------------
    def latest(self, spec: ModelSpec) -> MentalModel | None:
        history = self._history(spec.id)
        if not history:
            return None
        last = history[-1]
        return MentalModel(
            id=spec.id, name=spec.name, source_query=spec.source_query, content=last["content"],
            citations=tuple(ModelCitation(**c) for c in last["citations"]),
            version=last["version"], refreshed_at=last["refreshed_at"],
        )

    def versions(self, model_id: str) -> list[ModelVersion]:
        return [ModelVersion(v["version"], v["refreshed_at"], tuple(v["changes"])) for v in self._history(model_id)]

    # -- building -----------------------------------------------------------------------------
    def _build(self, spec: ModelSpec, observations, interventions) -> _Document:
        doc = _Document()
        doc.add(f"# {spec.name}")
        doc.add(f"*{spec.source_query}*")
        doc.add()
        if spec.id == "discovery-playbook":
            self._discovery_playbook(doc, spec, observations)
        else:
            self._coaching_themes(doc, spec, observations, interventions)
        return doc

    def _playbook_passages(self, doc: _Document, query: str, sections: list[tuple[str, str]]) -> None:
        """The best sentences of the passages that answer the source query, then of each
        theme's own playbook section."""
        seen: set[str] = set()
        found = self.answerer.search(query, k=SOURCE_PASSAGES, kind="playbook")
        for hit in found.hits:
            self._add_best_units(doc, found, hit, seen)
        for label, section in sections:
            found = self.answerer.search(f"{label}. {section.split(' > ')[-1]}", k=5, kind="playbook")
            for hit in (h for h in found.hits if h.chunk.section == section):
                self._add_best_units(doc, found, hit, seen)
                break

    def _add_best_units(self, doc: _Document, found, hit, seen: set[str]) -> None:
        if _PERSONA.search(hit.chunk.section):
            return  # the playbook's instructions to its own persona ("Role:", "Memory: you remember") are not advice
        units = [s for s in found.units.get(hit.chunk.id, []) if s.unit.kind != "line"]
        best = sorted(units, key=lambda s: -float(s.vector @ found.vector))[:UNITS_PER_PASSAGE]
        for stored in sorted(best, key=lambda s: s.unit.index):
            quote = stored.unit.quote
            if quote in seen:
                continue
            seen.add(quote)
            marker = doc.cite(hit.chunk.source, quote, section=hit.chunk.section)
            doc.add(f"- {stored.unit.display} ({hit.chunk.section.split(' > ')[-1]}) {marker}")

    def _discovery_playbook(self, doc: _Document, spec: ModelSpec, observations) -> None:
        discovery_themes = [t for t in self.themes if t.playbook_source and DISCOVERY_SOURCE in t.playbook_source]
        doc.add("## Frameworks and questions from the playbooks")
        self._playbook_passages(doc, spec.source_query, [(t.label, t.playbook_section) for t in discovery_themes])
        doc.add()
        doc.add("## Questions that surfaced pain on this floor")
        questions = [o for o in observations if o.statement.startswith("Asking ")]
        if not questions:
            doc.add("- No discovery question has surfaced pain in more than one call yet.")
        for obs in questions[:MAX_FLOOR_ITEMS]:
            markers = "".join(doc.cite(e.source, e.quote, date=e.date) for e in obs.evidence)
            doc.add(f"- {obs.statement} {markers}")
        doc.add()
        doc.add("## Discovery strengths and gaps on this floor")
        ids = {t.id for t in discovery_themes}
        labels = {t.id: t.label for t in discovery_themes}
        patterns = [o for o in observations if o.theme in ids and not o.statement.startswith("Asking ")]
        if not patterns:
            doc.add("- No recurring discovery pattern yet.")
        for obs in sorted(patterns, key=lambda o: (o.theme, o.polarity, o.rep or "")):
            doc.add(f"- **{labels[obs.theme]}**: {obs.statement} {_cite_all(doc, obs)}")

    def _coaching_themes(self, doc: _Document, spec: ModelSpec, observations, interventions) -> None:
        labels = {t.id: t for t in self.themes}
        patterns = [o for o in observations if not o.statement.startswith("Asking ")]
        for polarity, title in (("gap", "Recurring gaps now"), ("strength", "Recurring strengths now")):
            doc.add(f"## {title}, ranked by reps and calls")
            ranked = _rank_themes(patterns, polarity)
            if not ranked:
                doc.add(f"- No {polarity} recurs for any rep yet.")
            for theme_id, reps, calls in ranked:
                theme = labels.get(theme_id)
                label = theme.statement(polarity).capitalize() if theme else theme_id
                line = f"- **{label}**: {_count(len(reps), 'rep')} ({', '.join(sorted(reps))}), {_count(calls, 'call')}"
                if polarity == "gap" and theme and theme.playbook_section:
                    quote = self._section_quote(theme)
                    if quote:
                        line += f"; playbook: {doc.cite(theme.playbook_source, quote, section=theme.playbook_section)}"
                doc.add(line)
            doc.add()
        turned = [o for o in patterns if o.change is not None]
        if turned:
            doc.add("## Changed after coaching")
            for obs in turned:
                doc.add(f"- {obs.statement} {_cite_all(doc, obs)}")
            doc.add()
        doc.add("## Each rep's recurring strengths and gaps")
        for rep in sorted({o.rep for o in patterns if o.rep}):
            doc.add(f"### {rep}")
            for obs in (o for o in patterns if o.rep == rep):
                kind = "Changed" if obs.change else ("Strength" if obs.polarity == "strength" else "Gap")
                label = labels[obs.theme].label if obs.theme in labels else obs.theme
                doc.add(f"- {kind}, {label}: {obs.statement} {_cite_all(doc, obs)}")
        teams = [o for o in patterns if o.rep is None]
        if teams:
            doc.add()
            doc.add("## Shared across the team")
            for obs in teams:
                doc.add(f"- {obs.statement} {_cite_all(doc, obs)}")
        doc.add()
        doc.add("## Coaching interventions and whether they helped")
        if not interventions:
            doc.add("- No coaching intervention recorded yet.")
        for item in interventions:
            label = labels[item.theme].label if item.theme in labels else item.theme
            doc.add(
                f"- {item.rep}, {item.date}, {label}: {item.verdict} (gap in {item.before.gap_calls} of "
                f"{_count(item.before.calls, 'call')} before, {item.after.gap_calls} of "
                f"{_count(item.after.calls, 'call')} after) {doc.cite(item.source, item.action, date=item.date)}"
            )
        if interventions and interventions[0].rule:
            doc.add(f"- Rule: {interventions[0].rule}.")
        doc.add()
        doc.add("## What the playbooks say about coaching")
        self._playbook_passages(doc, spec.source_query, [])

    def _section_quote(self, theme: Theme) -> str | None:
        found = self.answerer.search(f"{theme.label}. {theme.description}", k=5, kind="playbook")
        for hit in found.hits:
            if hit.chunk.section == theme.playbook_section:
                units = found.units.get(hit.chunk.id, [])
                if units:
                    best = max(units, key=lambda s: float(s.vector @ found.vector))
                    return best.unit.quote
        return None

    # -- storage ------------------------------------------------------------------------------
    def _path(self, model_id: str) -> Path:
        return self.folder / f"{model_id}.json"

    def _history(self, model_id: str) -> list[dict]:
        path = self._path(model_id)
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []

    def _save_version(self, spec: ModelSpec, doc: _Document, inputs: str, history: list[dict]) -> None:
        content = "\n".join(doc.lines).strip() + "\n"
        previous = history[-1]["content"] if history else ""
        changes = [
            line for line in difflib.unified_diff(previous.splitlines(), content.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        history.append({
            "version": len(history) + 1,
            "refreshed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "inputs": inputs, "content": content,
            "citations": [asdict(c) for c in doc.citations], "changes": changes,
        })
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self._path(spec.id).with_suffix(".tmp")
        tmp.write_text(json.dumps(history, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self._path(spec.id))


def _cite_all(doc: _Document, obs: Observation) -> str:
    """A marker for every evidence quote of the observation, so each line cites its calls."""
    return "".join(doc.cite(e.source, e.quote, date=e.date) for e in obs.evidence)


_PERSONA = re.compile(r"\b(identity|personality|persona|who you are)\b", re.IGNORECASE)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _rank_themes(observations: list[Observation], polarity: str) -> list[tuple[str, set[str], int]]:
    """(theme, reps, calls) over the rep patterns whose reading is ``polarity`` now (a
    pattern that turned counts as its later reading); gaps and strengths never add up."""
    reps: dict[str, set[str]] = {}
    calls: dict[str, int] = {}
    for obs in observations:
        if obs.rep and obs.polarity == polarity:
            reps.setdefault(obs.theme, set()).add(obs.rep)
            calls[obs.theme] = calls.get(obs.theme, 0) + (obs.change.after.calls if obs.change else obs.calls)
    ranked = [(theme, reps[theme], calls[theme]) for theme in reps]
    return sorted(ranked, key=lambda r: (-len(r[1]), -r[2], r[0]))


def _hash(spec, observations, interventions, playbook_hashes, themes) -> str:
    payload = json.dumps({
        "builder": BUILDER_VERSION,
        "spec": asdict(spec),
        "observations": [o.to_dict() for o in observations],
        "interventions": [i.to_dict() for i in interventions],
        "playbooks": playbook_hashes,
        "themes": [asdict(t) for t in themes],
    }, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()
