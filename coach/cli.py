"""The ``coach`` command: a thin layer over ``coach.knowledge_base``.

Each command group lives in ``coach/commands/`` and registers its sub-commands here.
Commands print a human view or ``--json`` on stdout, progress and logs on stderr.
Errors from the ``CoachError`` family become one line on stderr and their exit code.
"""

from __future__ import annotations

import argparse
import signal
import sys

from coach import __version__
from coach.commands import agent, app, cache, evaluation, knowledge, memory
from coach.commands.common import EXIT_USAGE
from core.errors import CoachError

COMMAND_GROUPS = (knowledge, memory, evaluation, app, agent, cache)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coach",
        description="A local knowledge base and coaching memory for sales teams: "
        "ingest playbooks and call notes, then ask grounded, cited questions.",
    )
    parser.add_argument("--version", action="version", version=f"coach {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help="where the store lives (default: $COACH_DATA_DIR or .coach/)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    if hasattr(signal, "SIGPIPE"):  # `coach ... | head` should stop quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except CoachError as error:
        if args.debug:
            raise
        print(f"coach: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("coach: interrupted; the store is consistent, re-run the command to finish", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
