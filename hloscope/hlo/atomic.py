"""Possessive quantifiers written as atomic groups, for every Python the project supports.

``X*+`` means ``(?>X*)`` (the ``re`` documentation says so), but CPython 3.11.0
to 3.11.4 match some possessive quantifiers wrongly (CPython issue gh-106052:
``re.fullmatch('(?:ab?c)*+', 'a')`` matches), which makes the fast path read a
different module than the text holds. Atomic groups are right on every 3.11,
and since 3.11.5 CPython itself compiles possessive quantifiers to them, so
the rewrite costs nothing where the bug is fixed.
"""

from __future__ import annotations

import re

_GROUP_OPENER_RE = re.compile(r"\((?:\?(?:[:=!>]|<[=!]|P<\w+>))?")
_COUNTED_RE = re.compile(r"\{[0-9]*(?:,[0-9]*)?\}")


def atomic(pattern: str) -> str:
    """``pattern`` with each ``X*+``, ``X++``, ``X?+`` and ``X{m,n}+`` as ``(?>X*)`` and so on.

    Reads the pattern's syntax (escapes, character classes, groups); raises
    ``ValueError`` for an unbalanced pattern.
    """
    stack: list[tuple[str, list[str]]] = [("", [])]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        pieces = stack[-1][1]
        if ch == "\\":
            pieces.append(pattern[i : i + 2])
            i += 2
        elif ch == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            pieces.append(pattern[i : j + 1])
            i = j + 1
        elif ch == "(":
            opener = _GROUP_OPENER_RE.match(pattern, i).group()
            stack.append((opener, []))
            i += len(opener)
        elif ch == ")":
            if len(stack) == 1:
                raise ValueError(f"unbalanced ')' at {i} in {pattern!r}")
            opener, inner = stack.pop()
            stack[-1][1].append(opener + "".join(inner) + ")")
            i += 1
        elif ch in "*+?" or (ch == "{" and _COUNTED_RE.match(pattern, i)):
            quantifier = ch if ch != "{" else _COUNTED_RE.match(pattern, i).group()
            i += len(quantifier)
            if i < n and pattern[i] == "+":
                pieces[-1] = "(?>" + pieces[-1] + quantifier + ")"
                i += 1
            else:
                if i < n and pattern[i] == "?":
                    quantifier += "?"
                    i += 1
                pieces[-1] += quantifier
        else:
            # "|" and anchors are pieces that no quantifier follows.
            pieces.append(ch)
            i += 1
    if len(stack) != 1:
        raise ValueError(f"unbalanced '(' in {pattern!r}")
    return "".join(stack[0][1])


def compile_atomic(pattern: str, flags: int = 0) -> re.Pattern:
    """``re.compile`` of ``atomic(pattern)``."""
    return re.compile(atomic(pattern), flags)
