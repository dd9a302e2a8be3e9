"""XLA's lexer for the values it reads token by token: numbers, patterns, words.

``token_at(text, pos)`` returns the kind and end of the token at ``pos`` as
XLA's ``HloLexer`` (``xla/hlo/parser/hlo_lexer.cc``) takes it: a number is
tried as a decimal, dim labels, ``DxD`` (``2x3``), pad (``0_1x2_2``), an
integer, then ``-inf`` and ``-nan``, in that order, so ``1_1_0x2`` is one
pad token and ``0_0_-1`` is the pad ``0_0`` then a word. Windows, padding
configs (``hloscope.hlo.syntax``) and constant literals
(``hloscope.hlo.literals``) read their values with it.
"""

from __future__ import annotations

import re

from hloscope.hlo.grammar import PRIMITIVE_TYPES

# Token kinds, named after XLA's TokKind.
INT, DECIMAL, DXD, PAD, DIM_LABELS = "int", "decimal", "dxd", "pad", "dim_labels"
INF, NEG_INF, TRUE, FALSE, DOTS = "inf", "-inf", "true", "false", "..."
NAME_TOKEN, ATTRIBUTE_NAME, IDENT, PRIMITIVE, KEYWORD, ERROR, EOF = (
    "name", "attribute_name", "ident", "primitive", "keyword", "error", "eof",
)

_FLOAT_RE = re.compile(r"-?(?:[0-9]+|[0-9]+\.[0-9]*|[0-9]*\.[0-9]+)[eE][+-]?[0-9]+|-?(?:[0-9]+\.[0-9]*|[0-9]*\.[0-9]+)")
_DIM_LABELS_RE = re.compile(r"[0-9bf?]{2,}_[0-9io?]{2,}->[0-9bf?]{2,}")
_DXD_RE = re.compile(r"[0-9]+(?:x[0-9]+)+")
_PAD_RE = re.compile(r"-?[0-9]+_-?[0-9]+(?:_[0-9]+)?(?:x-?[0-9]+_-?[0-9]+(?:_[0-9]+)?)*")
_INT_RE = re.compile(r"-?[0-9]+")
_NAN_PAYLOAD_RE = re.compile(r"\(0x[0-9a-fA-F]+\)")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_KEYWORDS = frozenset(
    "HloModule ENTRY ROOT FileLocations FileNames FunctionNames StackFrames maximal replicated manual "
    "last_tile_dim_replicate shard_as shard_like unknown unreduced".split()
)
_SINGLE = frozenset("=,:*#+~[]{}()")
INT64_MIN, UINT64_MAX = -(1 << 63), (1 << 64) - 1
# The payload bits of a double's NaN: a NaN written without one is quiet (its top payload bit).
DOUBLE_PAYLOAD_MASK, QUIET_NAN_PAYLOAD = (1 << 52) - 1, 1 << 51


def token_at(text: str, pos: int) -> tuple[str, int]:
    """(kind, end) of the token at ``pos`` (no blanks before it; EOF at the end)."""
    if pos >= len(text):
        return EOF, pos
    ch = text[pos]
    # ASCII only, as XLA's lexer: str.isdigit and str.isalpha take other scripts' digits and letters too.
    if "0" <= ch <= "9" or ch in "-?":
        if text.startswith("->", pos):
            return "->", pos + 2
        return _number_or_pattern(text, pos)
    if "a" <= ch <= "z" or "A" <= ch <= "Z" or ch == "_":  # a letter outside ASCII starts no token XLA's lexer knows
        return _identifier(text, pos)
    if ch in _SINGLE:
        return ch, pos + 1
    if text.startswith("...", pos):
        return DOTS, pos + 3
    if text.startswith("<=", pos):
        return "<=", pos + 2
    return ERROR, pos


def _number_or_pattern(text: str, pos: int) -> tuple[str, int]:
    for kind, pattern in ((DECIMAL, _FLOAT_RE), (DIM_LABELS, _DIM_LABELS_RE), (DXD, _DXD_RE), (PAD, _PAD_RE)):
        m = pattern.match(text, pos)
        if m is not None:
            return kind, m.end()
    m = _INT_RE.match(text, pos)
    if m is not None:
        digits = m.group(0)
        # XLA's lexer reads up to 2**64 - 1 (kept as its int64 bit pattern) and down to -2**63;
        # a longer text is out of range before int() (which refuses over 4,300 digits) reads it.
        value = int(digits) if len(digits) <= 21 else UINT64_MAX + 1
        return (INT, m.end()) if INT64_MIN <= value <= UINT64_MAX else (ERROR, pos)
    if text.startswith("-inf", pos):
        return NEG_INF, pos + 4
    if text.startswith("-nan", pos):
        return _nan(text, pos, pos + 4)
    return ("?" if text[pos] == "?" else ERROR), pos + (text[pos] == "?")


def _identifier(text: str, pos: int) -> tuple[str, int]:
    end = _IDENT_RE.match(text, pos).end()
    after = text[end : end + 1]
    if after == ":":
        return NAME_TOKEN, end + 1
    if after == "=":
        return ATTRIBUTE_NAME, end + 1
    word = text[pos:end]
    if word in PRIMITIVE_TYPES:
        return PRIMITIVE, end
    if word == "nan":
        return _nan(text, pos, end)
    if word in ("true", "false", "inf"):
        return word, end
    if word in _KEYWORDS:
        return KEYWORD, end
    m = _DIM_LABELS_RE.match(text, pos)
    return (DIM_LABELS, m.end()) if m is not None else (IDENT, end)


def _nan(text: str, start: int, end: int) -> tuple[str, int]:
    """``nan`` or ``-nan``, with a payload ``(0x...)`` when ``(`` follows: one decimal token."""
    if not text.startswith("(", end):
        return DECIMAL, end
    m = _NAN_PAYLOAD_RE.match(text, end)
    if m is None or not 0 < int(m.group(0)[3:-1], 16) <= DOUBLE_PAYLOAD_MASK:
        return ERROR, start
    return DECIMAL, m.end()


def nan_payload(token: str) -> int | None:
    """The payload bits of a NaN token (``nan``: the quiet bit, ``nan(0x3ff)``: 0x3ff); None if no NaN."""
    word = token.lstrip("-")
    if not word.startswith("nan"):
        return None
    return int(word[6:-1], 16) if word.startswith("nan(") else QUIET_NAN_PAYLOAD
