"""`coach eval` and the evaluation gate."""

from __future__ import annotations


def register(commands) -> None:
    """Not built yet."""
