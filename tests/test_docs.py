"""Docs are checked: every command has help text and appears in the README, and the
README's commands are the ones CI runs."""

from __future__ import annotations

import argparse
import re

from conftest import REPO
from coach.cli import build_parser

README = (REPO / "README.md").read_text()


def subcommands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                full = f"{prefix}{name}"
                found[full] = sub
                found.update(subcommands(sub, full + " "))
    return found


def test_every_command_has_help_and_is_in_the_readme():
    parser = build_parser()
    helps = {a.dest: a.help for a in parser._actions}
    assert helps["data_dir"]
    for name, sub in subcommands(parser).items():
        assert sub.description or sub.format_help(), name
        for action in sub._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"coach {name} {action.option_strings} has no help text"
        assert f"coach {name}" in README, f"README does not mention `coach {name}`"


def test_readme_commands_are_what_ci_runs():
    ci = (REPO / ".ci/run").read_text()
    assert "make test" in ci
    assert re.search(r"^make run$", README, re.MULTILINE)
    assert re.search(r"^make test$", README, re.MULTILINE)


def test_environment_variables_are_documented():
    for name in ("COACH_DATA_DIR", "COACH_CHROMA_URL", "COACH_EMBED_MODEL", "COACH_LLM", "COACH_UI_AUTH"):
        assert name in README, name
