"""Freeze an evaluation set into dev and test halves, once, before anything is tuned.

Usage: python -m evals.splits FILE.jsonl [--key theme,polarity] [--seed 2026]
Writes FILE-dev.jsonl and FILE-test.jsonl beside it (stratified by ``--key`` fields so
both halves hold every kind of item), and records the test half's sha256 in
``evals/splits/<name>.sha256``. ``verify`` later refuses a test file whose bytes changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path

from core.errors import InputError

SPLITS_DIR = Path(__file__).resolve().parent / "splits"


def split(rows: list[dict], keys: list[str], seed: int) -> tuple[list[dict], list[dict]]:
    strata: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        strata[tuple(str(row.get(k)) for k in keys)].append(row)
    rng = random.Random(seed)
    dev, test = [], []
    for key in sorted(strata):
        group = strata[key][:]
        rng.shuffle(group)
        half = len(group) // 2
        # odd-sized strata: the extra item goes to dev or test alternately
        if len(group) % 2 and rng.random() < 0.5:
            half += 1
        dev.extend(group[:half])
        test.extend(group[half:])
    order = {id(r): i for i, r in enumerate(rows)}
    return sorted(dev, key=lambda r: order[id(r)]), sorted(test, key=lambda r: order[id(r)])


def checksum_file(test_file: Path) -> Path:
    return SPLITS_DIR / f"{test_file.name}.sha256"


def verify(test_file: Path) -> None:
    """Raise unless ``test_file`` is byte for byte the frozen test split."""
    record = checksum_file(test_file)
    if not record.exists():
        raise InputError(f"{test_file} has no frozen checksum in {record}; freeze it with python -m evals.splits")
    want = record.read_text().split()[0]
    got = hashlib.sha256(test_file.read_bytes()).hexdigest()
    if got != want:
        raise InputError(f"{test_file} changed after it was frozen (sha256 {got[:12]} != {want[:12]}); "
                         "restore it from git: the test split must not be edited")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--key", default="kind", help="comma-separated fields to stratify by")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    dev, test = split(rows, args.key.split(","), args.seed)
    stem = args.file.name.removesuffix(".jsonl")
    outputs = {}
    for name, part in (("dev", dev), ("test", test)):
        path = args.file.with_name(f"{stem}-{name}.jsonl")
        if name == "test" and path.exists():
            raise SystemExit(f"{path} exists: a frozen test split is never re-drawn")
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
        outputs[name] = path
    SPLITS_DIR.mkdir(exist_ok=True)
    digest = hashlib.sha256(outputs["test"].read_bytes()).hexdigest()
    checksum_file(outputs["test"]).write_text(f"{digest}  {outputs['test'].name}\n")
    print(f"dev {len(dev)} -> {outputs['dev']}\ntest {len(test)} -> {outputs['test']} (sha256 {digest[:12]})")


if __name__ == "__main__":
    main()
