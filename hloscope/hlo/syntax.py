"""Sub-attribute syntax XLA's parser checks token by token, checked the same way.

The module header's ``input_output_alias={...}`` and ``buffer_donor={...}``
(``ParseAliasing`` and ``ParseBufferDonor`` in XLA's ``hlo_parser.cc``): each
check reads the value from where it starts and raises HloParseError with
XLA's message at the token XLA stops on, or returns where the value ends.
They run once per module, never per instruction line.
"""

from __future__ import annotations

import re

from hloscope.hlo.lexer import NAME, error, skip_ws

_TOKEN_RE = re.compile(r"(-?[0-9]+)(?![0-9])|(%?" + NAME + r")|.", re.ASCII | re.S)
_ALIAS_FORMAT = (
    "Expected format: <output_shape_index>: (<input_param>, <input_param_shape_index>) OR "
    "<output_shape_index>: <input_param>"
)
_DONOR_FORMAT = "Expected format: (<input_param>, <input_param_shape_index>)"
_ALIAS_KINDS = frozenset({"must-alias", "may-alias"})


class _Tokens:
    """XLA's token stream over ``src`` from ``pos``: ints, names and single characters."""

    def __init__(self, src: str, pos: int):
        self.src = src
        self._at(pos)

    def _at(self, pos: int) -> None:
        self.pos = skip_ws(self.src, pos)
        m = _TOKEN_RE.match(self.src, self.pos)
        self.kind = "eof" if m is None else "int" if m.group(1) else "name" if m.group(2) else m.group(0)
        self.end = self.pos if m is None else m.end()

    def take(self, kind: str, message: str) -> None:
        if self.kind != kind:
            raise error(message, self.src, self.pos)
        self._at(self.end)

    def eat(self, kind: str) -> bool:
        if self.kind != kind:
            return False
        self._at(self.end)
        return True

    def shape_index(self) -> None:
        self.take("{", "Expects '{' at the start of ShapeIndex")
        while self.kind != "}":
            self.take("int", "expects integer")
            if not self.eat(","):
                break
        self.take("}", "Expects '}' at the end of ShapeIndex")


def check_aliasing(src: str, pos: int) -> int:
    """``{ {0}: (0, {}, must-alias), ... }`` at ``pos``, as XLA's ParseAliasing reads it; return its end."""
    tokens = _Tokens(src, pos)
    tokens.take("{", "Expects '{' at the start of aliasing description")
    while tokens.kind != "}":
        tokens.shape_index()
        tokens.take(":", _ALIAS_FORMAT)
        tokens.take("(", _ALIAS_FORMAT)
        tokens.take("int", "expects integer")
        tokens.take(",", _ALIAS_FORMAT)
        tokens.shape_index()
        if tokens.eat(","):
            word = src[tokens.pos : tokens.end] if tokens.kind == "name" else None
            tokens.take("name", "expects name")
            if word not in _ALIAS_KINDS:
                raise error("Unexpected aliasing kind; expected SYSTEM or USER", src, tokens.pos)
        tokens.take(")", _ALIAS_FORMAT)
        if not tokens.eat(","):
            break
    tokens.take("}", "Expects '}' at the end of aliasing description")
    return _end_of(tokens)


def check_buffer_donor(src: str, pos: int) -> int:
    """``{ (0, {}), ... }`` at ``pos``, as XLA's ParseBufferDonor reads it; return its end."""
    tokens = _Tokens(src, pos)
    tokens.take("{", "Expects '{' at the start of buffer donor description")
    while tokens.kind != "}":
        tokens.take("(", _DONOR_FORMAT)
        tokens.take("int", "expects integer")
        tokens.take(",", _DONOR_FORMAT)
        tokens.shape_index()
        tokens.take(")", _DONOR_FORMAT)
        if not tokens.eat(","):
            break
    tokens.take("}", "Expects '}' at the end of buffer donor description")
    return _end_of(tokens)


def _end_of(tokens: _Tokens) -> int:
    # The value ends right after its '}'; what follows is the next token, not part of it.
    return tokens.src.rindex("}", 0, tokens.pos) + 1


HEADER_SYNTAX = {"input_output_alias": check_aliasing, "buffer_donor": check_buffer_donor}


# dim_labels=b01f_01io->b01f as XLA's lexer takes it (one token), then each part as its parser checks it.
_DIM_LABELS_RE = re.compile(r"[0-9bf?]{2,}_[0-9io?]{2,}->[0-9bf?]{2,}", re.ASCII)
_DIM_LABELS_IN_TAIL_RE = re.compile(r"(?<![\w.-])dim_labels=([^\s,]*)")


def dim_labels_error(value: str) -> str | None:
    """XLA's message for a ``dim_labels`` value it refuses (placed where the value starts), else None.

    Not checked: the parts' agreement in spatial dimensions.
    """
    if _DIM_LABELS_RE.fullmatch(value) is None:
        return "expects dim labels pattern, e.g., 'bf0_0io->0bf'"
    lhs, _, rest = value.partition("_")
    rhs, _, out = rest.partition("->")
    for part, side, letters in ((lhs, "lhs", "bf"), (rhs, "rhs", "io"), (out, "output", "bf")):
        if len(set(part)) != len(part):
            return f"expects unique {side} dimension numbers, but sees {part}"
        rank = len(part)
        if any(not (c in letters or c == "?" or "0" <= c < chr(ord("0") + rank)) for c in part):
            return f"expects [0-{rank - 1}{letters}?] in {side} dimension numbers"
    return None


def dim_labels_pass(tail: str) -> bool:
    """Whether each ``dim_labels=`` in an instruction's attribute text passes (once per distinct text)."""
    return all(dim_labels_error(value) is None for value in _DIM_LABELS_IN_TAIL_RE.findall(tail))
