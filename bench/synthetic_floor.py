"""Generate a large synthetic sales floor for benchmarks: N reps, a year of calls."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

FIRST = ["Ada", "Bram", "Cleo", "Dev", "Esme", "Finn", "Gia", "Hugo", "Iris", "Jonah", "Kira", "Luca",
         "Mina", "Noor", "Otto", "Pia", "Quinn", "Rosa", "Sami", "Tess", "Umar", "Vera", "Wes", "Xena", "Yuri"]
LAST = ["Abara", "Berg", "Costa", "Dahl"]
ACCOUNTS = ["Alder", "Birch", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Indigo", "Juniper",
            "Kestrel", "Lumen", "Maple", "Nimbus", "Onyx", "Pioneer", "Quartz", "Ridge", "Summit", "Tidal"]
PATTERNS = [
    "{first} jumped to the demo before the buyer had finished describing the problem.",
    "{first} held the pitch until minute 20 and played the problem back first.",
    "{first} asked what the delay does downstream, a strong implication question.",
    "{first} never quantified what the status quo costs them.",
    "{first} kept asking why and found the root cause in the approval process.",
    "{first} talked too much; the buyer barely got a word in.",
    "The call ended with no next step and no date.",
    "{first} booked the next meeting on the calendar before hanging up.",
    "{first} is still single-threaded with no economic buyer identified.",
    "{first} set the agenda and confirmed the time at the start.",
    "{first} caved on price and offered a discount straight away.",
    "The deal went into commit because they loved the demo.",
]
FILLER = [
    "The buyer runs {n} sites and handles scheduling in spreadsheets.",
    "They mentioned a system migration planned for next quarter.",
    "Procurement needs a security review before any pilot.",
    "Asked \"What happens if this is still manual in six months?\" and the buyer said they would miss the audit.",
    "The team has grown by {n} people this year and the process has not kept up.",
    "Finance wants to see a payback period under a year.",
    "Two other vendors are in the evaluation.",
]


def write(root: Path, reps: int = 50, notes: int = 1000, seed: int = 7) -> None:
    rng = random.Random(seed)
    names = [f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST) % len(LAST)]}" for i in range(reps)]
    calls = root / "calls"
    calls.mkdir(parents=True, exist_ok=True)
    start = date(2025, 11, 1)
    for i in range(notes):
        rep = names[i % reps]
        day = start + timedelta(days=rng.randrange(365))
        account = f"{rng.choice(ACCOUNTS)} {rng.choice(['Foods', 'Logistics', 'Health', 'Labs', 'Retail'])}"
        first = rep.split()[0]
        sentences = [s.format(first=first, n=rng.randrange(2, 40)) for s in rng.sample(FILLER, 3)]
        sentences += [s.format(first=first) for s in rng.sample(PATTERNS, 2)]
        rng.shuffle(sentences)
        body = f"# {account}: discovery\n\n" + "\n\n".join(sentences) + "\n"
        (calls / f"{day.isoformat()}-{i:04d}.md").write_text(
            f"---\nrep: {rep}\ndate: {day.isoformat()}\naccount: {account}\ncall_type: discovery\n---\n\n{body}",
            encoding="utf-8",
        )
