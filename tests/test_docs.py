"""Docs are checked: every command has help text and appears in the README, and the
README's commands are the ones CI runs."""

from __future__ import annotations

import argparse
import re

from conftest import REPO
from coach.cli import build_parser

README = (REPO / "README.md").read_text()


def subcommands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, tuple[argparse.ArgumentParser, str | None]]:
    """Every sub-command ("ask", "model list", ...) with the help text its parent lists it
    with (None: not given, so the parent's --help lists it with nothing beside it)."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            listed = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                full = f"{prefix}{name}"
                found[full] = (sub, listed.get(name))
                found.update(subcommands(sub, full + " "))
    return found


def readme_command_list() -> str:
    """The fenced block of commands under README's "Using it"."""
    block = re.search(r"^## Using it\n+```\n(.*?)^```", README, re.MULTILINE | re.DOTALL)
    assert block, "README.md has no command list (a fenced block under '## Using it')"
    return block.group(1)


def test_every_command_has_help_text():
    parser = build_parser()
    commands = subcommands(parser)
    assert {"ingest", "ask", "eval", "model list"} <= set(commands)
    for name, (sub, listed) in commands.items():
        assert listed and listed.strip() and listed != argparse.SUPPRESS, \
            f"coach {name} has no help= where its parent lists it"
        assert (sub.description or listed).strip(), f"coach {name} has neither a description nor help"
        for action in sub._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            shown = action.option_strings or [action.metavar or action.dest]
            assert action.help and action.help.strip(), f"coach {name} {shown} has no help text"
    options = {a.dest: a.help for a in parser._actions}
    assert options["data_dir"] and options["debug"]


def test_every_command_in_help_is_in_the_readme_command_list():
    parser = build_parser()
    text = parser.format_help()
    listing = text[text.index("positional arguments:"):text.index("options:")]
    shown = re.findall(r"^ {4}([a-z][\w-]*)(?:\s|$)", listing, re.MULTILINE)
    assert set(shown) == {name for name in subcommands(parser) if " " not in name}, shown
    documented = readme_command_list()
    for name in shown:
        assert re.search(rf"(^|\| )coach {name}\b", documented, re.MULTILINE), \
            f"README's command list (under '## Using it') does not show `coach {name}`"


def test_readme_commands_are_what_ci_runs():
    ci = (REPO / ".ci/run").read_text()
    assert "make test" in ci
    assert re.search(r"^make run$", README, re.MULTILINE)
    assert re.search(r"^make test$", README, re.MULTILINE)


def test_environment_variables_are_documented():
    for name in ("COACH_DATA_DIR", "COACH_CHROMA_URL", "COACH_EMBED_MODEL", "COACH_LLM", "COACH_UI_AUTH"):
        assert name in README, name
