"""Sub-attribute syntax XLA's parser checks token by token, checked the same way.

The module header's ``input_output_alias={...}`` and ``buffer_donor={...}``
(``ParseAliasing`` and ``ParseBufferDonor`` in XLA's ``hlo_parser.cc``): each
check reads the value from where it starts and raises HloParseError with
XLA's message at the token XLA stops on, or returns where the value ends.
They run once per module, never per instruction line.
"""

from __future__ import annotations

import re

from hloscope.hlo import tokens
from hloscope.hlo.values import HEADER_CHECKS, VALUE_CHECKS as INTEGER_CHECKS
from hloscope.hlo.errors import HloParseError
from hloscope.hlo.lexer import NAME, error, parse_shape, skip_value, skip_ws

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


def check_entry_layout(src: str, start: int) -> int:
    """``entry_computation_layout={(shape, ...)->shape}``: each shape as XLA reads it; the value's end.

    Raises HloParseError where XLA's shape reading stops (a layout order not as long as the rank, an
    empty dimension); the list's own punctuation is only skipped.
    """
    end = skip_value(src, start, "value of attribute 'entry_computation_layout'")
    pos = skip_ws(src, start)
    if not src.startswith("{", pos) or not src.startswith("(", pos := skip_ws(src, pos + 1)):
        return end
    pos = skip_ws(src, pos + 1)
    while not src.startswith(")", pos):
        pos = skip_ws(src, parse_shape(src, pos)[0])
        if not src.startswith(",", pos):
            break
        pos = skip_ws(src, pos + 1)
    if not src.startswith(")", pos):
        return end
    pos = skip_ws(src, pos + 1)
    if src.startswith("->", pos):
        parse_shape(src, pos + 2)
    return end


HEADER_SYNTAX = {
    "input_output_alias": check_aliasing,
    "buffer_donor": check_buffer_donor,
    "entry_computation_layout": check_entry_layout,
    **HEADER_CHECKS,
}


# dim_labels=b01f_01io->b01f as XLA's lexer takes it (one token), then each part as its parser checks it.
_DIM_LABELS_RE = re.compile(r"[0-9bf?]{2,}_[0-9io?]{2,}->[0-9bf?]{2,}", re.ASCII)


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


# window={size=3x3 stride=2x2 pad=1_1x0_0 ...} (XLA's ParseWindow): fields in any order, each once.
_WINDOW_DXD_FIELDS = ("size", "stride", "lhs_dilate", "rhs_dilate", "rhs_reversal")
_WINDOW_SAME_SIZE = ("stride", "lhs_dilate", "rhs_dilate", "pad")
_WINDOW_FIELD = r"(size|stride|lhs_dilate|rhs_dilate|rhs_reversal)=([0-9]{1,18}(?:x[0-9]{1,18})*)(?![0-9_])|(pad)=(-?[0-9]{1,18}_-?[0-9]{1,18}(?:x-?[0-9]{1,18}_-?[0-9]{1,18})*)(?![0-9_])"
_PLAIN_WINDOW_RE = re.compile(r"\{(?:(?:" + _WINDOW_FIELD + r")(?: (?=[a-z])|(?=\})))*\}")
_WINDOW_FIELD_RE = re.compile(r"([a-z_]+)=([-0-9_x]+)")


def window_error(value: str) -> tuple[int, str] | None:
    """XLA's refusal of a ``window`` value as (offset in ``value``, message), else None.

    ``value`` is the braced text as written. Checked as XLA's ParseWindow
    checks it: sub-attribute names, ``size=``-like fields an integer or
    ``AxB``, ``pad=`` a pad pattern of low_high pairs, each field once, and
    each list as long as ``size=``.
    """
    if _PLAIN_WINDOW_RE.fullmatch(value):
        # The common case, as XLA prints windows: each field once, every list as long as size=.
        fields = _WINDOW_FIELD_RE.findall(value)
        counts = {name: len(numbers.split("x")) for name, numbers in fields}
        size = counts.get("size", 0)
        if len(counts) == len(fields) and all(counts.get(name, size) == size for name in _WINDOW_SAME_SIZE):
            return None
    if not value.startswith("{"):
        return 0, "expected '{' to start window attribute"
    fields: dict[str, int] = {}
    pos = skip_ws(value, 1)
    while not value.startswith("}", pos):
        kind, end = tokens.token_at(value, pos)
        if kind != tokens.ATTRIBUTE_NAME:
            return pos, "expects attribute name"
        name_pos, name, pos = pos, value[pos : end - 1], skip_ws(value, end)
        if name not in _WINDOW_DXD_FIELDS and name != "pad":
            return name_pos, f"unexpected attribute name: {name}"
        kind, end = tokens.token_at(value, pos)
        if name in fields:
            return pos, f"sub-attribute '{name}=' already exists"
        if name == "pad":
            if kind != tokens.PAD:
                return pos, "expects window pad pattern, e.g., '0_0x3_3'"
            parts = value[pos:end].split("x")
            if any(part.count("_") != 1 or not _fits_int64(part.split("_")) for part in parts):
                return pos, "expects padding_low and padding_high separated by '_'"
        elif kind == tokens.DXD:
            parts = value[pos:end].split("x")
            if not _fits_int64(parts):
                return pos, f"expects sub-attribute '{name}=ixj...'"
        elif kind == tokens.INT and _fits_int64([value[pos:end]]):
            parts = [value[pos:end]]
        else:
            return pos, "expects token type kInt or kDxD"
        fields[name] = len(parts)
        pos = skip_ws(value, end)
    size = fields.get("size", 0)
    for name in _WINDOW_SAME_SIZE:
        if fields.get(name, size) != size:
            return 0, f"expects '{name}=' has the same size as 'size='"
    return None


def padding_error(value: str) -> tuple[int, str] | None:
    """XLA's refusal of a pad's ``padding`` value (ParsePaddingConfig) as (offset, message), else None.

    Not checked: a value XLA's lexer ends early (``1_1_1_1``), whose rest XLA reads as what follows.
    """
    kind, end = tokens.token_at(value, 0)
    if kind != tokens.PAD:
        return 0, "expects padding config, e.g., '0_0_0x3_3_1'"
    if not all(_fits_int64(part.split("_")) for part in value[:end].split("x")):
        return 0, "expects padding config pattern like 'low_high_interior' or 'low_high'"
    return None


def _fits_int64(numbers: list[str]) -> bool:
    # Past 20 characters no number fits (and int() refuses texts over 4,300 digits).
    return all(len(number) <= 20 and tokens.INT64_MIN <= int(number) < -tokens.INT64_MIN for number in numbers)


def _dim_labels_error(value: str) -> tuple[int, str] | None:
    message = dim_labels_error(value)
    return None if message is None else (0, message)


def _shape_error(value: str) -> tuple[int, str] | None:
    """``outfeed_shape=``'s value as XLA reads a shape: where and why it stops, else None."""
    try:
        parse_shape(value, 0)
    except HloParseError as exc:
        return exc.pos, exc.msg
    return None


def _shape_list_error(value: str) -> tuple[int, str] | None:
    """``operand_layout_constraints={shape, ...}``: each shape as XLA reads it, then ',' or the '}'."""
    pos = skip_ws(value, 1)
    if not value.startswith("{") or value.startswith("}", pos):
        return None
    try:
        while True:
            pos = skip_ws(value, parse_shape(value, pos)[0])
            if not value.startswith(",", pos):
                return None if value.startswith("}", pos) else (pos, "expects a list to end with kRbrace")
            pos += 1
    except HloParseError as exc:
        return exc.pos, exc.msg


# Attribute name -> its value's check (offset, message) or None, for both readers. An offset at the
# value's end stands for the token after it.
VALUE_CHECKS = {
    "dim_labels": _dim_labels_error,
    "window": window_error,
    "padding": padding_error,
    "outfeed_shape": _shape_error,
    "operand_layout_constraints": _shape_list_error,
    **INTEGER_CHECKS,
}
# The values values_pass checks in an attribute text (the fast path's attribute pattern takes only
# integer values that pass): one list for its pattern and its substring test.
_CHECKED_IN_TAIL = ("dim_labels", "window", "padding")
_CHECKED_IN_TAIL_RE = re.compile(r"(?<![\w.-])(" + "|".join(_CHECKED_IN_TAIL) + r")=(\{[^{}]*\}|[^\s,]*)")
_SHAPE_VALUED = ("outfeed_shape", "operand_layout_constraints")
_SHAPE_VALUED_RE = re.compile(r"(?<![\w.-])(" + "|".join(_SHAPE_VALUED) + ")=", re.ASCII)
_CHECKED_MARKERS = tuple(f"{name}=" for name in (*_CHECKED_IN_TAIL, *_SHAPE_VALUED))


def values_pass(tail: str) -> bool:
    """Whether each checked value (dim_labels=, window=, padding=) in an instruction's attribute text passes.

    Once per distinct attribute text; a value that only looks like one (inside a string) may fail here,
    never pass wrongly: the full reader then decides.
    """
    if not any(marker in tail for marker in _CHECKED_MARKERS):
        return True  # the common case, and substring tests cost far less than the pattern
    return all(VALUE_CHECKS[key](value) is None for key, value in _CHECKED_IN_TAIL_RE.findall(tail)) and all(
        _shape_valued_passes(tail, m.group(1), m.end()) for m in _SHAPE_VALUED_RE.finditer(tail)
    )


def _shape_valued_passes(tail: str, key: str, start: int) -> bool:
    try:
        end = skip_value(tail, start)
    except HloParseError:
        return False
    return VALUE_CHECKS[key](tail[start:end]) is None
