"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
from typing import Any

from core.settings import Settings

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_GATE = 0, 1, 2, 3


def open_kb(args: argparse.Namespace):
    from coach.knowledge_base import KnowledgeBase

    return KnowledgeBase(Settings.from_env(args.data_dir))


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))
