"""`coach ingest` and `coach ask`: put knowledge in, get cited answers out."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.commands.common import EXIT_ERROR, EXIT_OK, open_kb, print_json
from coach.progress import ProgressBar
from core.errors import CoachError, InputError
from core.jsonl import read_lines
from core.safety import shown
from core.settings import Settings
from ingest.kinds import KINDS
from rag.answerer import MAX_QUESTION_CHARS


def register(commands) -> None:
    ingest = commands.add_parser("ingest", help="ingest playbooks and call notes (default: knowledge/)",
                                 description="Ingest files and folders; unchanged files embed nothing, "
                                 "changed files are replaced, files gone from an ingested folder are removed.")
    ingest.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: knowledge/)")
    ingest.add_argument("--reindex", action="store_true",
                        help="drop the index and re-embed everything (after changing COACH_EMBED_MODEL)")
    ingest.add_argument("--gate", action="store_true",
                        help="stage the update, run the evals, and promote it only if no gated metric regresses (exit 3 if refused)")
    ingest.add_argument("--kind", choices=KINDS,
                        help="read every file given as a playbook or as a call note (default: tell from each "
                        "file's text: a header with rep and date, a transcript or a CSV export is a call note, "
                        "markdown with headings a playbook)")
    ingest.add_argument("--json", action="store_true", help="print the ingest report as JSON")
    ingest.set_defaults(run=cmd_ingest)

    roots = commands.add_parser("roots", help="list the folders documents were ingested from, or move one",
                                description="Each document is keyed by its path inside the folder it was "
                                "ingested from (a root), so the same file is the same document from any "
                                "working directory. After moving a knowledge folder, run "
                                "`coach roots move OLD NEW` once: nothing is embedded again.")
    roots_commands = roots.add_subparsers(dest="roots_command", metavar="{list,move}")
    listing = roots_commands.add_parser("list", help="list the ingest roots (the default)")
    listing.add_argument("--json", action="store_true", help="print the roots as JSON")
    move = roots_commands.add_parser("move", help="point a root at the folder it was moved to",
                                     description="Point a root, named by its label or its old folder, at the "
                                     "folder it now lives in. Document keys do not change.")
    move.add_argument("old", metavar="OLD", help="the root's label (see coach roots) or its old folder")
    move.add_argument("new", metavar="NEW", help="the folder it was moved to")
    move.add_argument("--json", action="store_true", help="print the moved root as JSON")
    roots.add_argument("--json", action="store_true", help="print the roots as JSON")
    roots.set_defaults(run=cmd_roots)

    ask = commands.add_parser("ask", help="ask a question; get a grounded, cited answer",
                              description="Answer a question from the knowledge base, citing playbook sections. "
                                          "A coach's question about the floor (who keeps pitching too early? did the "
                                          "coaching with Dana help? what does Jun do well?) is answered from the coaching "
                                          "memory, citing dated call-note quotes.")
    ask.add_argument("question", nargs="?", help="the question (or use --batch)")
    ask.add_argument("--k", type=int, default=5, help="passages to retrieve (default: 5)")
    ask.add_argument("--rep", help="only use call notes and observations of this rep (playbooks are always used)")
    ask.add_argument("--batch", metavar="FILE.jsonl", help='answer one {"id", "q"} object per line')
    ask.add_argument("--session", metavar="NAME",
                     help="keep a conversation: follow-ups (\"what if it's budget instead?\") are understood in "
                     "the context of this session's earlier questions (<data-dir>/sessions/NAME.jsonl)")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.set_defaults(run=cmd_ask)


# -- ingest ------------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in (args.paths or ["knowledge"])]
    if args.gate and args.reindex:
        raise InputError("--gate cannot be combined with --reindex; re-index first, then gate later updates")
    with ProgressBar("ingest") as bar:
        if args.gate:
            from coach.gated_update import gated_ingest

            report = gated_ingest(Settings.from_env(args.data_dir), paths, progress=bar.update,
                                  kind=args.kind).ingest
        else:
            report = open_kb(args).ingest(paths, progress=bar.update, reindex=args.reindex, kind=args.kind)
    if args.json:
        print_json(report.to_dict())
    else:
        print(f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
              f"deleted {report.deleted}; {report.chunks} chunks in the store")
        if report.observations or report.models_refreshed:
            refreshed = ", ".join(report.models_refreshed) or "none"
            print(f"{report.observations} observations; mental models refreshed: {refreshed}")
    for skipped in report.skipped:
        print(f"skipped {shown(skipped.path)}: {shown(skipped.error)}", file=sys.stderr)
    if report.skipped:
        print(f"coach: {len(report.skipped)} item(s) skipped; fix them and run coach ingest again",
              file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


# -- roots -------------------------------------------------------------------------------
def cmd_roots(args: argparse.Namespace) -> int:
    kb = open_kb(args)
    if args.roots_command == "move":
        label, folder = kb.move_root(args.old, Path(args.new))
        if args.json:
            print_json({"label": label, "path": str(folder)})
        else:
            print(f"root {label} now points at {folder}; run coach ingest {folder} to pick up any changes")
        return EXIT_OK
    roots = kb.roots().folders
    if args.json:
        print_json([{"label": label, "path": str(path)} for label, path in roots.items()])
    elif not roots:
        print("no ingest roots yet; run coach ingest knowledge/")
    else:
        for label, path in roots.items():
            missing = "" if path.is_dir() else "  (missing: moved? run coach roots move " + label + " NEW)"
            print(f"{label}\t{path}{missing}")
    return EXIT_OK


# -- ask ---------------------------------------------------------------------------------
def cmd_ask(args: argparse.Namespace) -> int:
    if args.k < 1 or args.k > 50:
        raise InputError("--k must be between 1 and 50")
    if bool(args.batch) == bool(args.question):
        raise InputError('give either a QUESTION or --batch FILE.jsonl, e.g. coach ask "How do I handle a timing objection?"')
    kb = open_kb(args)
    if args.batch:
        return _ask_batch(kb, Path(args.batch), args)
    answer = _ask_one(kb, args.question, args)
    if args.json:
        print_json(answer.to_dict())
    else:
        print(render_answer(answer))
        _note_fallback(answer)
    return EXIT_OK


def _ask_one(kb, question: str, args: argparse.Namespace):
    if args.session:
        return kb.ask_in_session(args.session, question, k=args.k, rep=args.rep)
    return kb.ask(question, k=args.k, rep=args.rep)


def _note_fallback(answer) -> None:
    """With COACH_LLM set, say on stderr why an answer is the extractive one."""
    if answer.generator.fallback:
        print(f"coach: extractive answer; the LLM's was not used: {answer.generator.fallback}", file=sys.stderr)


def _ask_batch(kb, path: Path, args: argparse.Namespace) -> int:
    """Every line gets an answer or an error of its own; one bad line never stops the rest."""
    failed = 0
    for item in read_batch(path):
        error = item.error
        if error is None:
            try:
                answer = _ask_one(kb, item.question, args)
            except CoachError as exc:
                error = f"{path}:{item.line}: {exc}"
        if error is not None:
            failed += 1
            print(f"coach: {error}", file=sys.stderr)
            if args.json:
                print_json({"id": item.id, "line": item.line, "error": error})
            else:
                print(f"## {item.id}: error: {error}\n")
            continue
        if args.json:
            print_json({"id": item.id, **answer.to_dict()})
        else:
            print(f"## {item.id}: {item.question}\n\n{render_answer(answer)}\n")
            _note_fallback(answer)
    if failed:
        print(f"coach: {failed} line(s) of {path} not answered; fix them and run them again", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


@dataclass(frozen=True)
class BatchItem:
    line: int
    id: Any
    question: str = ""
    error: str | None = None  # why this line cannot be asked


def read_batch(path: Path) -> list[BatchItem]:
    """One item per non-blank line; a line that is not a usable question carries its error."""
    items = []
    for number, line in enumerate(read_lines(path), start=1):
        if line.strip():
            items.append(_batch_item(path, number, line))
    return items


def _batch_item(path: Path, number: int, line: str) -> BatchItem:
    usage = 'expected a JSON object like {"id": 1, "q": "..."}; fix that line'
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        row = None
    if not isinstance(row, dict):
        return BatchItem(number, number, error=f"{path}:{number}: {usage}")
    qid = row.get("id", number)
    question = row.get("q") or row.get("question")
    if not isinstance(question, str) or not question.strip():
        return BatchItem(number, qid, error=f"{path}:{number}: no question; {usage}")
    if len(question) > MAX_QUESTION_CHARS:
        return BatchItem(number, qid, error=f"{path}:{number}: the question is {len(question):,} characters long; "
                         f"keep it under {MAX_QUESTION_CHARS:,}")
    return BatchItem(number, qid, question)


def render_answer(answer) -> str:
    lines = []
    if answer.standalone_question and answer.standalone_question != answer.question:
        lines.append(f"(understood as: {answer.standalone_question})\n")
    lines.append(answer.answer)
    if answer.citations:
        lines.append("\nSources:")
        for c in answer.citations:
            quote = c.quote if c.quote.startswith(('"', "“")) else f'"{c.quote}"'
            lines.append(f"  [{c.n}] {c.source} — {c.section}\n      {quote}")
    if answer.observations:
        lines.append("\nOn this floor:")
        lines.extend(f"  - {o.statement}" for o in answer.observations)
    return "\n".join(lines)
