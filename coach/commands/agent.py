"""`coach mcp`: the knowledge base as tools for an agent harness (Model Context Protocol, stdio)."""

from __future__ import annotations

import argparse

from coach.commands.common import EXIT_OK, open_kb
from core.errors import MissingExtra


def register(commands) -> None:
    mcp = commands.add_parser(
        "mcp", help="serve the knowledge base to an agent over MCP (stdio)",
        description="Run a Model Context Protocol server on stdin/stdout with the tools ask, search, "
        "observations, interventions, list_mental_models, show_mental_model and retain_note. "
        "An agent harness starts it as a subprocess; see docs/mcp.md for a config snippet.",
        epilog="Logs go to stderr; stdout carries only the protocol. COACH_LLM and the other "
        "settings apply as for coach ask.",
    )
    mcp.set_defaults(run=cmd_mcp)


def cmd_mcp(args: argparse.Namespace) -> int:
    try:
        from coach.mcp_server import serve_stdio  # imports the mcp SDK
    except ImportError:
        raise MissingExtra("coach mcp needs the mcp package; run: make setup (or pip install 'mcp==2.3.0')") from None
    kb = open_kb(args)
    try:
        serve_stdio(kb)
    finally:
        kb.close()
    return EXIT_OK
