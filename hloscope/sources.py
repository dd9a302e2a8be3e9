"""Where user code comes from: ``PATH.py:NAME`` or ``package.module:NAME`` strings.

Plain string rules (no jax, no import of the user's code), so the analyzing
parent can check ``--model`` and ``--inputs`` before any worker starts.
"""

from __future__ import annotations

from pathlib import Path

from hloscope.errors import UsageError


def split_source(source: str, option: str = "--model") -> tuple[str, str]:
    """'dir/block.py:make' -> ('dir/block.py', 'make'); UsageError naming ``option`` if malformed."""
    where, _, name = source.rpartition(":")
    if not where or not name.isidentifier():
        if option == "--model":
            raise UsageError(
                f"--model {source!r}: give a built-in name or PATH.py:FACTORY or package.module:FACTORY"
            )
        raise UsageError(f"{option} {source!r}: give PATH.py:FUNCTION or package.module:FUNCTION")
    return where, name


def is_path(where: str) -> bool:
    """True when the part before the colon names a file, not an importable module."""
    return where.endswith(".py") or "/" in where or "\\" in where


def absolute_source(source: str) -> str:
    """``PATH.py:NAME`` with PATH made absolute, so the source names the same file from any folder.

    ``package.module:NAME``, built-in model names and malformed sources are returned unchanged.
    """
    where, _, name = source.rpartition(":")
    if not where or not is_path(where):
        return source
    return f"{Path(where).resolve()}:{name}"
