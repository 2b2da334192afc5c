"""Derive a floor's expectations.json from its annotations.jsonl (rules of evals/floors/SPEC.md).

    python evals/floors/derive_expectations.py evals/floors/<name> [--split dev|test|...] [--check]

The split is taken from --split, else from an existing expectations.json, else from a
"Split: <name>" line in the floor's README.md. Before writing, every annotation is checked
against its note: the quote must be a verbatim substring of the note file (or of the CSV
row's notes cell), rep and date must match the note's header, and quality remarks must
come from buyer calls, not coaching sessions. --check only validates and compares with the
existing expectations.json (exit 1 if they differ).

This script is independent of the coach package on purpose: it reads the notes with its
own small parser so that a floor does not depend on the code it measures.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

THEMES = {
    "pitching-too-early", "implication-questions", "cost-of-inaction", "root-cause",
    "talk-listen-ratio", "next-steps", "multi-threading", "upfront-contract",
    "objection-handling", "forecast-discipline", "research-before-call",
}
COACHING_TYPES = {"coaching", "coaching session", "1:1"}
CSV_ALIASES = {
    "rep": {"rep", "rep name", "owner", "sales rep"},
    "date": {"date", "call date"},
    "call_type": {"call type", "call_type", "type"},
    "notes": {"notes", "summary", "call notes"},
}
MONTHS = {m: i for i, ms in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")], start=1) for m in ms}


# ---------------------------------------------------------------- reading notes

def parse_date(text: str) -> str:
    text = text.strip().strip("'\"")
    if m := re.fullmatch(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})", text):
        return date(int(m[1]), int(m[3]), int(m[4])).isoformat()
    if m := re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})", text):
        return date(int(m[3]), MONTHS[m[2].lower()], int(m[1])).isoformat()
    if m := re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})", text):
        return date(int(m[3]), MONTHS[m[1].lower()], int(m[2])).isoformat()
    raise ValueError(f"unknown date format: {text!r}")


def norm_key(key: str) -> str:
    key = key.strip().lower().replace("-", " ").replace("_", " ")
    return "call_type" if key in {"call type", "type"} else key


def read_header(text: str) -> dict[str, str]:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        lines = text[3:end].splitlines()
    else:
        lines = text.split("\n\n", 1)[0].splitlines()
    fields = {}
    for line in lines:
        line = line.split(" #", 1)[0]
        if ":" in line:
            key, value = line.split(":", 1)
            fields[norm_key(key)] = value.strip().strip("'\"")
    return fields


def read_calls(floor: Path) -> dict[tuple[str, int | None], dict]:
    """(source, row) -> {rep, date, coaching, text} for every note of the floor."""
    calls = {}
    for path in sorted((floor / "calls").rglob("*")):
        if not path.is_file():
            continue
        source = path.relative_to(floor).as_posix()
        if path.suffix.lower() == ".csv":
            with path.open(encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                cols = {}
                for name in reader.fieldnames or []:
                    for field, aliases in CSV_ALIASES.items():
                        if name.strip().lower() in aliases:
                            cols[field] = name
                for i, row in enumerate(reader, start=1):
                    kind = (row.get(cols.get("call_type", ""), "") or "").strip().lower()
                    calls[(source, i)] = dict(rep=row[cols["rep"]].strip(), date=parse_date(row[cols["date"]]),
                                              coaching=kind in COACHING_TYPES, text=row[cols["notes"]])
        elif path.suffix.lower() in {".md", ".markdown", ".txt"}:
            text = path.read_text(encoding="utf-8")
            head = read_header(text)
            calls[(source, None)] = dict(rep=head["rep"], date=parse_date(head["date"]),
                                         coaching=head.get("call_type", "").lower() in COACHING_TYPES,
                                         text=text)
    return calls


# ---------------------------------------------------------------- validation

def validate(annotations: list[dict], calls: dict) -> list[str]:
    errors = []
    injections = 0
    for n, a in enumerate(annotations, start=1):
        where = f"line {n} ({a.get('source')}#{a.get('row')})"
        note = calls.get((a["source"], a.get("row")))
        if note is None:
            errors.append(f"{where}: no such note")
            continue
        if a["quote"] not in note["text"]:
            errors.append(f"{where}: quote not verbatim in the note: {a['quote'][:60]!r}")
        if a["rep"] != note["rep"]:
            errors.append(f"{where}: rep {a['rep']!r} but the note says {note['rep']!r}")
        if a["date"] != note["date"]:
            errors.append(f"{where}: date {a['date']} but the note says {note['date']}")
        kind = a["kind"]
        if kind == "quality":
            if note["coaching"]:
                errors.append(f"{where}: quality remark annotated in a coaching session")
            if a["theme"] not in THEMES or a["polarity"] not in {"gap", "strength"}:
                errors.append(f"{where}: bad theme/polarity {a['theme']}/{a['polarity']}")
        elif kind == "feedback":
            if a["theme"] not in THEMES or a["polarity"] is not None:
                errors.append(f"{where}: feedback needs a theme and polarity null")
        elif kind == "injection":
            injections += 1
        else:
            errors.append(f"{where}: unknown kind {kind!r}")
    if injections > 1:
        errors.append("more than one injection annotation")
    return errors


# ---------------------------------------------------------------- derivation

def call_id(a: dict) -> str:
    return a["source"] if a.get("row") is None else f"{a['source']}#{a['row']}"


def verdict(before: dict, after: dict) -> bool | None:
    if after["calls"] < 2:
        return None
    after_rate = after["gap_calls"] / after["calls"]
    before_rate = before["gap_calls"] / before["calls"] if before["calls"] else 1.0
    return after_rate < 1 / 3 and after_rate < before_rate


def derive(annotations: list[dict], floor_name: str, split: str) -> dict:
    quality = [a for a in annotations if a["kind"] == "quality"]
    call_date = {call_id(a): a["date"] for a in quality}

    by_pattern: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for a in quality:
        by_pattern[(a["rep"], a["theme"], a["polarity"])].setdefault(call_id(a), a)

    def ordered(ids):
        return sorted(ids, key=lambda c: (call_date[c], c))

    observations, one_offs = [], []
    for (rep, theme, polarity), per_call in sorted(by_pattern.items()):
        if len(per_call) >= 2:
            observations.append(dict(rep=rep, theme=theme, polarity=polarity, calls=ordered(per_call)))
        else:
            (first,) = per_call.values()
            one_offs.append(dict(rep=rep, theme=theme, polarity=polarity, quote=first["quote"]))

    reps_for: dict[tuple, set] = defaultdict(set)
    for o in observations:
        reps_for[(o["theme"], o["polarity"])].add(o["rep"])
    team = [dict(theme=t, polarity=p, reps=sorted(r)) for (t, p), r in sorted(reps_for.items()) if len(r) >= 2]

    injection = None
    for a in annotations:
        if a["kind"] == "injection":
            injection = dict(source=a["source"], quote=a["quote"])
            if a.get("row") is not None:
                injection["row"] = a["row"]

    actions: dict[tuple, str] = {}
    for a in annotations:
        if a["kind"] == "feedback":
            actions.setdefault((a["rep"], a["date"], a["theme"]), a["source"])
    interventions = []
    for (rep, day, theme), source in sorted(actions.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
        judged: dict[str, dict] = {}
        for a in quality:
            if a["rep"] == rep and a["theme"] == theme:
                entry = judged.setdefault(call_id(a), dict(date=a["date"], gap=False))
                entry["gap"] |= a["polarity"] == "gap"
        before = [j for j in judged.values() if j["date"] <= day]
        after = [j for j in judged.values() if j["date"] > day]
        b = dict(calls=len(before), gap_calls=sum(j["gap"] for j in before))
        f = dict(calls=len(after), gap_calls=sum(j["gap"] for j in after))
        interventions.append(dict(rep=rep, date=day, theme=theme, source=source, before=b, after=f,
                                  helped=verdict(b, f)))

    return {"floor": floor_name, "split": split, "observations": observations,
            "team_observations": team, "one_offs": one_offs, "injection": injection,
            "interventions": interventions}


def find_split(floor: Path, given: str | None) -> str:
    if given:
        return given
    existing = floor / "expectations.json"
    if existing.exists():
        return json.loads(existing.read_text(encoding="utf-8"))["split"]
    readme = floor / "README.md"
    if readme.exists():
        if m := re.search(r"(?im)^\W*split\W*:\W*([a-z]+)", readme.read_text(encoding="utf-8")):
            return m[1]
    sys.exit("no split: pass --split")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("floor", type=Path)
    parser.add_argument("--split")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    floor = args.floor
    annotations = [json.loads(line) for line in
                   (floor / "annotations.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    errors = validate(annotations, read_calls(floor))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    result = derive(annotations, floor.resolve().name, find_split(floor, args.split))
    text = json.dumps(result, indent=1, ensure_ascii=False) + "\n"
    target = floor / "expectations.json"
    if args.check:
        same = target.exists() and json.loads(target.read_text(encoding="utf-8")) == result
        print("expectations.json is up to date" if same else "expectations.json differs from the annotations")
        return 0 if same else 1
    target.write_text(text, encoding="utf-8")
    print(f"{target}: {len(result['observations'])} observations, {len(result['team_observations'])} team, "
          f"{len(result['one_offs'])} one-offs, {len(result['interventions'])} interventions "
          f"({', '.join(str(i['helped']) for i in result['interventions'])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
