"""HloParseError: bad HLO text, with the place it went wrong."""

from __future__ import annotations

from hloscope.errors import HloscopeError

# Lines longer than this are shown as a window around the column, so that a
# one-line 4 MB module does not end up in an error message.
_MAX_SHOWN_LINE_CHARS = 120


def line_and_column(src: str, pos: int) -> tuple[int, int]:
    """1-based line and column of character offset ``pos`` in ``src``."""
    pos = max(0, min(pos, len(src)))
    line = src.count("\n", 0, pos) + 1
    column = pos - (src.rfind("\n", 0, pos) + 1) + 1
    return line, column


def _caret_excerpt(src: str, pos: int, column: int) -> str:
    pos = max(0, min(pos, len(src)))
    start = src.rfind("\n", 0, pos) + 1
    end = src.find("\n", pos)
    if end == -1:
        end = len(src)
    text = src[start:end].rstrip("\r")
    caret_at = column - 1
    if len(text) > _MAX_SHOWN_LINE_CHARS:
        half = _MAX_SHOWN_LINE_CHARS // 2
        left = max(0, caret_at - half)
        right = left + _MAX_SHOWN_LINE_CHARS
        text = ("..." if left else "") + text[left:right] + ("..." if right < len(text) else "")
        caret_at = caret_at - left + (3 if left else 0)
    # Tabs keep their width under the caret so it points at the right character.
    pad = "".join("\t" if ch == "\t" else " " for ch in text[:caret_at])
    text = "".join(ch if ch.isprintable() or ch == "\t" else "?" for ch in text)
    return f"  {text}\n  {pad}^"


class HloParseError(ValueError, HloscopeError):
    """HLO text that cannot be parsed.

    ``line`` and ``column`` are 1-based; ``pos`` is the character offset.
    ``str(error)`` names the place and shows the line with a caret under it.
    """

    exit_code = 2

    def __init__(self, msg: str, src: str = "", pos: int = 0, label: str | None = None):
        line, column = line_and_column(src, pos)
        excerpt = _caret_excerpt(src, pos, column) if src else ""
        self._fill(msg, pos, label, line, column, excerpt)

    def _fill(self, msg, pos, label, line, column, excerpt) -> None:
        self.msg, self.pos, self.label = msg, pos, label
        self.line, self.column, self._excerpt = line, column, excerpt
        where = f"line {line}, column {column}"
        if label:
            where = f"{label}: {where}"
        full = f"{msg} ({where})"
        if excerpt:
            full = f"{full}\n{excerpt}"
        ValueError.__init__(self, full)

    def with_label(self, label: str) -> HloParseError:
        """The same error, its message prefixed with a file label."""
        return _rebuild(self.msg, self.pos, label, self.line, self.column, self._excerpt)

    def __reduce__(self):
        # Errors cross process boundaries (worker processes); keep them picklable.
        return (_rebuild, (self.msg, self.pos, self.label, self.line, self.column, self._excerpt))


def _rebuild(msg, pos, label, line, column, excerpt):
    error = HloParseError.__new__(HloParseError)
    error._fill(msg, pos, label, line, column, excerpt)
    return error
