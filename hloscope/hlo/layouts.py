"""A layout's parts after ``:`` as XLA's parser checks them: dim level types ``D(...)`` and ``P(...)``.

``check_layout(src, start, end)`` looks at the layout group ``src[start:end]``
(``{1,0:D(D,C)T(8,128)}``) and raises HloParseError with XLA's message and
place where XLA refuses it: a dim level type other than D, C, S or H (each
optionally followed by ``+`` then ``~``), a list not closed after one, and a
physical shape ``P(...)``, which XLA refuses on every array it can read here
("not for a sparse array"), at the text after the shape. Other parts
(``T``, ``L``, ``E``, ``S``, ...) are skipped as written. Callers run it only on
layouts with ``:``, once per distinct shape text on the fast path.
"""

from __future__ import annotations

import re

from hloscope.hlo.errors import HloParseError

_PART_RE = re.compile(r"\s*([A-Za-z_]\w*)\s*(?=\()")
_LEVEL_RE = re.compile(r"\s*([A-Za-z_]\w*|[^\s,()])?")
_AFTER_LEVEL_RE = re.compile(r"\+?~?\s*")
_LEVELS = frozenset("DCSH")
_ARRAY_RE = re.compile(r"\s*(\w+)\s*\[([^\]]*)\]\s*(\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\})?\s*$")


def _group_end(src: str, pos: int) -> int:
    """The end of the parenthesised group that opens at ``pos``."""
    depth = 0
    for i in range(pos, len(src)):
        depth += src[i] == "("
        depth -= src[i] == ")"
        if depth == 0:
            return i + 1
    return len(src)


def check_layout(src: str, start: int, end: int) -> None:
    """Raise XLA's error for the layout ``src[start:end]`` (``{...:...}``) where XLA refuses it."""
    colon = src.find(":", start, end)
    if colon < 0:
        return
    pos = colon + 1
    physical = None
    while (m := _PART_RE.match(src, pos, end)) is not None:
        part, pos = m.group(1), m.end()
        close = _group_end(src, pos)
        if part == "D":
            _check_levels(src, pos + 1)
        elif part == "P":
            physical = (pos + 1, close - 1)
        pos = close
    if physical is not None:
        after = re.compile(r"\s*").match(src, end).end()
        shown = _show_layout(src[start + 1 : colon], src[colon + 1 : end - 1])
        raise HloParseError(f"Layout has physical shape, but is not for a sparse array: {shown}", src, after)


_LAYOUT_START_RE = re.compile(r"\{\s*[0-9:-]")


def layouts_pass(shape: str) -> bool:
    """Whether every layout in shape text passes check_layout."""
    for m in _LAYOUT_START_RE.finditer(shape):
        depth, end = 0, len(shape)
        for i in range(m.start(), len(shape)):
            depth += shape[i] == "{"
            depth -= shape[i] == "}"
            if depth == 0:
                end = i + 1
                break
        try:
            check_layout(shape, m.start(), end)
        except HloParseError:
            return False
    return True


def _check_levels(src: str, pos: int) -> None:
    """``D(`` item, ...``)`` from just after the ``(``."""
    if src.startswith(")", re.compile(r"\s*").match(src, pos).end()):
        return
    while True:
        m = _LEVEL_RE.match(src, pos)
        word = m.group(1)
        if word not in _LEVELS:
            raise HloParseError("expected a DimLevelType abbreviation (D, C, or S)", src, m.start(1) if word else m.end())
        pos = _AFTER_LEVEL_RE.match(src, m.end()).end()
        if src.startswith(",", pos):
            pos += 1
        elif src.startswith(")", pos):
            return
        else:
            raise HloParseError("expects a list to end with kRparen", src, pos)


def _show_layout(minor_to_major: str, parts: str) -> str:
    """The layout as XLA prints it in its message: no dim level types, the physical shape with its layout."""
    shown = []
    pos = 0
    while (m := _PART_RE.match(parts, pos)) is not None:
        close = _group_end(parts, m.end())
        while close < len(parts) and parts[close] == "(":  # T(8,128)(2,1)
            close = _group_end(parts, close)
        if m.group(1) == "P":
            shown.append(f"P({_show_shape(parts[m.end() + 1 : close - 1])})")
        elif m.group(1) != "D":
            shown.append(m.group(1) + re.sub(r"\s+", "", parts[m.end() : close]))
        pos = close
    return "{" + re.sub(r"\s+", "", minor_to_major) + ":" + "".join(shown) + "}"


def _show_shape(text: str) -> str:
    """A shape as XLA prints it: arrays with their layout (the default when none is written)."""
    text = text.strip()
    if text.startswith("("):
        items, depth, begin = [], 0, 1
        for i, ch in enumerate(text[1:-1], 1):
            depth += ch in "([{"
            depth -= ch in ")]}"
            if ch == "," and depth == 0:
                items.append(text[begin:i])
                begin = i + 1
        items.append(text[begin:-1])
        return "(" + ", ".join(_show_shape(item) for item in items if item.strip()) + ")"
    m = _ARRAY_RE.match(text)
    if m is None:
        return text
    dims = [d.strip() for d in m.group(2).split(",") if d.strip()]
    layout = m.group(3)
    if layout is not None:
        inner = layout[1:-1]
        head, colon, parts = inner.partition(":")
        layout = _show_layout(head, parts) if colon else "{" + re.sub(r"\s+", "", head) + "}"
    elif dims:
        layout = "{" + ",".join(str(i) for i in reversed(range(len(dims)))) + "}"
    return f"{m.group(1)}[{','.join(dims)}]{layout or ''}"
