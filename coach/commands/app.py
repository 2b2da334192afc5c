"""`coach ui`: the Gradio app for reps and coaches, on the current store."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys

from coach.commands.common import EXIT_OK, open_kb
from core.errors import ConfigError

AUTH_ENV = "COACH_UI_AUTH"


def register(commands) -> None:
    ui = commands.add_parser(
        "ui", help="start the web app (Ask, Observations, Mental models, Knowledge)",
        description="Serve the Gradio app on the current store until interrupted. It listens on "
        "127.0.0.1 only unless --host says otherwise.",
        epilog=f"environment: {AUTH_ENV}=user:password requires that login "
        "(recommended with --host 0.0.0.0); unset, the app has no login.",
    )
    ui.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default: 127.0.0.1; 0.0.0.0 exposes it to the network)")
    ui.add_argument("--port", type=int, default=7860, help="port to listen on (default: 7860)")
    ui.set_defaults(run=cmd_ui)


def cmd_ui(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port {args.port} is not a port; use 1-65535, e.g. --port 7860")
    auth = parse_auth(os.environ.get(AUTH_ENV))
    kb = open_kb(args)
    kb.require_content()  # a missing store is one line, before gradio takes seconds to import
    from ui.app import serve, warm_up  # gradio loads only for this command

    warm_up(kb)
    app, url = serve(kb, host=args.host, port=args.port, auth=auth)
    print(f"coach: serving on {url}", flush=True)
    if auth is None and not _loopback(args.host):
        print(f"coach: reachable from other machines without a login; set {AUTH_ENV}=user:password",
              file=sys.stderr)
    try:
        app.block_thread()
    finally:
        kb.close()
    return EXIT_OK


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``user:password`` -> (user, password); unset or empty -> None (no login)."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise ConfigError(f"{AUTH_ENV} must look like user:password (both non-empty); fix or unset it")
    return user.strip(), password


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
