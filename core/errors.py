"""The one exception family of coach.

Every message says what happened and what to do next. The library raises; the CLI
prints ``str(error)`` as one line on stderr and exits with ``error.exit_code``; the UI
shows the same text.

    CoachError                    exit 1, user-facing
    ├── ConfigError               a setting or environment variable is wrong
    ├── StoreError                the knowledge base is missing, locked or mismatched
    │   └── EmbeddingMismatch     the store was built with another embedding model
    ├── InputError                a file or argument cannot be used (one item of a batch)
    ├── MissingExtra              an optional dependency is not installed
    └── GateRefused               exit 3, an evaluation gate refused an update
"""

from __future__ import annotations


class CoachError(Exception):
    """Base class: a problem the user can act on."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        if not message:
            raise ValueError("CoachError needs a message that says what to do")
        super().__init__(message)


class ConfigError(CoachError):
    """A setting (flag, environment variable, config file) cannot be used."""


class StoreError(CoachError):
    """The knowledge base cannot be opened or is not in the expected state."""


class EmbeddingMismatch(StoreError):
    """The store was built with a different embedding model than the one configured."""


class InputError(CoachError):
    """One input (file, question, upload) cannot be used; batches skip it and go on."""


class MissingExtra(CoachError):
    """An optional dependency is needed for what was asked."""


class GateRefused(CoachError):
    """The evaluation gate refused a knowledge update because answers got worse."""

    exit_code = 3
