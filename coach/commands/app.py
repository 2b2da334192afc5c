"""`coach ui`: the Gradio app."""

from __future__ import annotations


def register(commands) -> None:
    """Not built yet."""
