"""`coach observations`, `coach interventions`, `coach model`: the coaching memory."""

from __future__ import annotations


def register(commands) -> None:
    """Not built yet."""
