"""`coach ingest` and `coach ask`: put knowledge in, get cited answers out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from coach.commands.common import EXIT_ERROR, EXIT_OK, open_kb, print_json
from core.settings import Settings
from core.errors import InputError
from core.jsonl import read_objects
from coach.progress import ProgressBar


def register(commands) -> None:
    ingest = commands.add_parser("ingest", help="ingest playbooks and call notes (default: knowledge/)",
                                 description="Ingest files and folders; unchanged files embed nothing, "
                                 "changed files are replaced, files gone from an ingested folder are removed.")
    ingest.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: knowledge/)")
    ingest.add_argument("--reindex", action="store_true",
                        help="drop the index and re-embed everything (after changing COACH_EMBED_MODEL)")
    ingest.add_argument("--gate", action="store_true",
                        help="stage the update, run the evals, and promote it only if no gated metric regresses (exit 3 if refused)")
    ingest.add_argument("--json", action="store_true", help="print the ingest report as JSON")
    ingest.set_defaults(run=cmd_ingest)

    ask = commands.add_parser("ask", help="ask a question; get a grounded, cited answer",
                              description="Answer a question from the knowledge base, citing playbook sections.")
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
            from evals.gate import gated_ingest

            report = gated_ingest(Settings.from_env(args.data_dir), paths, progress=bar.update).ingest
        else:
            report = open_kb(args).ingest(paths, progress=bar.update, reindex=args.reindex)
    if args.json:
        print_json(report.to_dict())
    else:
        print(f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
              f"deleted {report.deleted}; {report.chunks} chunks in the store")
        if report.observations or report.models_refreshed:
            refreshed = ", ".join(report.models_refreshed) or "none"
            print(f"{report.observations} observations; mental models refreshed: {refreshed}")
    for skipped in report.skipped:
        print(f"skipped {skipped.path}: {skipped.error}", file=sys.stderr)
    if report.skipped:
        print(f"coach: {len(report.skipped)} item(s) skipped; fix them and run coach ingest again",
              file=sys.stderr)
        return EXIT_ERROR
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
    questions = read_batch(path)
    for qid, question in questions:
        answer = _ask_one(kb, question, args)
        if args.json:
            print_json({"id": qid, **answer.to_dict()})
        else:
            print(f"## {qid}: {question}\n\n{render_answer(answer)}\n")
            _note_fallback(answer)
    return EXIT_OK


def read_batch(path: Path) -> list[tuple[Any, str]]:
    questions = []
    for number, item in read_objects(path):
        question = item.get("q") or item.get("question")
        if not isinstance(question, str) or not question.strip():
            raise InputError(f'{path}:{number}: expected a JSON object like {{"id": 1, "q": "..."}}; fix that line')
        questions.append((item.get("id", number), question))
    return questions


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
