"""The one exception family hloscope raises for problems a user can fix."""

from __future__ import annotations


class HloscopeError(Exception):
    """Base of every error hloscope reports to a user.

    The CLI turns it into a one-line message and ``exit_code``.
    """

    exit_code = 2


class UsageError(HloscopeError, ValueError):
    """Bad options or bad input (exit status 2)."""

    exit_code = 2


class ResultsError(HloscopeError, ValueError):
    """A results file that cannot be read (exit status 2)."""

    exit_code = 2


class ModelError(HloscopeError, ValueError):
    """A model or user block that cannot be built (exit status 2)."""

    exit_code = 2


class OutputError(HloscopeError, OSError):
    """An output folder or file that cannot be written (exit status 2)."""

    exit_code = 2


def article(noun: str) -> str:
    """'an int', 'a list': a type name with its indefinite article, for error messages."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
