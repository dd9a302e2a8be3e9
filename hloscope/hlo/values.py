"""Attribute values XLA reads by their kind: integers (``index=0``), braced integer lists
(``dimensions={0,1}``), strings (``custom_call_target="f"``) and floats (``epsilon=0.001``).

XLA reads an attribute's value as it meets it, token by token with its
lexer (``hloscope.hlo.tokens``), so a value of the wrong kind is refused
there, with XLA's message, before anything later on the line. Both readers
use these checks: the full reader on each value, the fast path through the
patterns ``tail_re`` builds from the names below (a value it cannot vouch
for goes to the full reader).
"""

from __future__ import annotations

import re

from hloscope.hlo import tokens
from hloscope.hlo.atomic import compile_atomic
from hloscope.hlo.lexer import error, skip_group, skip_string, skip_value, skip_ws

# Attributes XLA reads as one integer (its kInt64 and kInt32 attributes).
INTEGER_ATTRIBUTES = frozenset(
    "index channel_id iota_dimension feature_group_count batch_group_count index_vector_dim k feature_index "
    "exponent_bits mantissa_bits".split()
)
# Attributes XLA reads as a braced list of integers, ``{0, 1}`` (its kBracedInt64List attributes).
INTEGER_LIST_ATTRIBUTES = frozenset(
    "dimensions dynamic_slice_sizes fft_length lhs_contracting_dims rhs_contracting_dims lhs_batch_dims "
    "rhs_batch_dims offset_dims collapsed_slice_dims start_index_map update_window_dims inserted_window_dims "
    "scatter_dims_to_operand_dims operand_batching_dims start_indices_batching_dims input_batching_dims "
    "scatter_indices_batching_dims".split()
)
# Attributes XLA reads as a string (its kString attributes) and as a float (kFloat).
STRING_ATTRIBUTES = frozenset({"custom_call_target", "infeed_config", "outfeed_config", "async_execution_thread"})
FLOAT_ATTRIBUTES = frozenset({"epsilon"})
FLOAT_MAX = 3.4028234663852886e38
EXPECTS_INTEGER = "expects integer"
_OPENING = {"}": "{", "]": "["}
_TOKEN_NAMES = {"}": "kRbrace", "]": "kRsquare"}
_DIGITS_RE = re.compile(r"-?[0-9]+")
LIST_END = "expects a list to end with kRbrace"


def _integer_end(value: str, pos: int) -> int:
    """The end of the integer token at ``pos``, or -1 where XLA sees no integer (or one out of int64)."""
    kind, end = tokens.token_at(value, pos)
    if kind != tokens.INT or not tokens.INT64_MIN <= int(value[pos:end]) < -tokens.INT64_MIN:
        return -1
    return end


def integer_error(value: str) -> tuple[int, str] | None:
    """(offset, XLA's message) where an integer attribute's value text fails, else None."""
    start = skip_ws(value, 0)
    end = _integer_end(value, start)
    if end < 0 or skip_ws(value, end) < len(value):
        return start, EXPECTS_INTEGER
    return None


def _list_error(value: str, pos: int, close: str, item, delimiter: str = ",") -> tuple[int, str | None]:
    """XLA's ParseList from ``pos``: its opening bracket, items between delimiters, its closing one.

    Returns (the end, None) or (where it fails, XLA's message); a missing opening bracket XLA reports
    as a list that does not end (its message, at the token).
    """
    end_message = f"expects a list to end with {_TOKEN_NAMES[close]}"
    if not value.startswith(_OPENING[close], pos):
        return pos, end_message
    pos = skip_ws(value, pos + 1)
    if value.startswith(close, pos):
        return pos + 1, None
    while True:
        pos, message = item(value, pos)
        if message is not None:
            return pos, message
        pos = skip_ws(value, pos)
        if value.startswith(close, pos):
            return pos + 1, None
        if not value.startswith(delimiter, pos):
            return pos, end_message
        pos = skip_ws(value, pos + 1)


def _list_item(value: str, pos: int) -> tuple[int, str | None]:
    # In a list XLA takes the digits as the integer, whatever follows them (``1.5`` ends the list at ``.``).
    m = _DIGITS_RE.match(value, pos)
    # Past 20 characters no number fits (and int() refuses texts over 4,300 digits).
    if m is None or len(m.group(0)) > 20 or not tokens.INT64_MIN <= int(m.group(0)) < -tokens.INT64_MIN:
        return pos, EXPECTS_INTEGER
    return m.end(), None


def _int_list(value: str, pos: int) -> tuple[int, str | None]:
    return _list_error(value, skip_ws(value, pos), "}", _list_item)


def _whole(found: tuple[int, str | None]) -> tuple[int, str] | None:
    return None if found[1] is None else found


def integer_list_error(value: str) -> tuple[int, str] | None:
    """(offset, XLA's message) where a ``{0, 1}`` value text fails, else None."""
    return _whole(_int_list(value, 0))


def groups_error(value: str) -> tuple[int, str] | None:
    """(offset, XLA's message) where ``{{0,1},{2,3}}`` (replica groups, source-target pairs) fails, else None.

    The iota (``[2,2]<=[4]``) and mesh forms of replica groups are not checked here.
    """
    pos = skip_ws(value, 0)
    if value.startswith(("[", "mesh"), pos):
        return None
    if not value.startswith("{", pos):
        return pos, "expected '[' to start sharding devices shape"
    return _whole(_list_error(value, pos, "}", _int_list))


_GROUP_RE = re.compile(r"\{([^{}]*)\}")


def pairs_only(value: str) -> bool:
    """Whether each group of a ``source_target_pairs={{0,1},{1,0}}`` value holds two integers (XLA's check)."""
    inner = value.strip()[1:-1]
    return all(group.count(",") == 1 for group in _GROUP_RE.findall(inner))


def slice_error(value: str) -> tuple[int, str] | None:
    """(offset, XLA's message) where ``slice={[0:2], [1:4:2]}`` fails, else None."""
    pos = skip_ws(value, 0)
    if not value.startswith("{", pos):
        return pos, "expects '{' to start ranges"
    pos = skip_ws(value, pos + 1)
    if value.startswith("}", pos):
        return None
    while True:
        start = pos
        end, message = _list_error(value, pos, "]", _list_item, ":")
        if message is None and value[start:end].count(":") not in (1, 2):
            count = value[start:end].count(":") + 1
            return start, f"expects [start:limit:step] or [start:limit], but sees {count} elements."
        if message is not None:
            return end, message
        pos = skip_ws(value, end)
        if value.startswith("}", pos):
            return None
        if not value.startswith(",", pos):
            return pos, "expects '}' to end ranges"
        pos = skip_ws(value, pos + 1)


def string_error(value: str) -> tuple[int, str] | None:
    """(offset, XLA's message) where a string attribute's value text is no string (XLA takes '...' too)."""
    start = skip_ws(value, 0)
    if start >= len(value) or value[start] not in "\"'":
        return start, "expects string"
    return None


def float_error(value: str) -> tuple[int, str] | None:
    """(offset, XLA's message) where a float attribute's value text fails, else None."""
    start = skip_ws(value, 0)
    kind, end = tokens.token_at(value, start)
    if kind in (tokens.INF, tokens.NEG_INF):
        return start, "value out of range for float"
    if kind not in (tokens.INT, tokens.DECIMAL) or skip_ws(value, end) < len(value):
        return start, "expects decimal or integer"
    if value[start:end].lstrip("-") not in ("nan",) and abs(float(value[start:end])) > FLOAT_MAX:
        return start, "value out of range for float"
    return None


METADATA_STRINGS = ("op_type", "op_name", "source_file", "deduplicated_name", "scheduling_name", "metadata_payload")
METADATA_INTEGERS = ("source_line", "source_end_line", "source_column", "source_end_column", "stack_frame_id")
_METADATA_ALLOWED = ", ".join(sorted((*METADATA_STRINGS, *METADATA_INTEGERS, "profile_type")))
INT32_MAX = (1 << 31) - 1


def metadata_error(value: str) -> tuple[int, str] | None:
    """(offset, XLA's message) where a ``metadata={op_name="x" source_line=3}`` value text fails, else None.

    Fields as XLA reads them: each once, a comma between them or not, strings,
    integers (the source positions in int32) and a braced ``profile_type`` list.
    """
    pos = skip_ws(value, 0)
    if not value.startswith("{", pos):
        return pos, "expects '{' to start sub attributes"
    seen: set[str] = set()
    pos = skip_ws(value, pos + 1)
    while not value.startswith("}", pos):
        if value.startswith(",", pos):
            pos = skip_ws(value, pos + 1)
        kind, end = tokens.token_at(value, pos)
        if kind != tokens.ATTRIBUTE_NAME:
            return pos, "expects attribute name"
        name = value[pos : end - 1]
        if name not in _METADATA_ALLOWED.split(", "):
            return pos, f'unexpected attribute "{name}". Allowed attributes: {_METADATA_ALLOWED}'
        if name in seen:
            return pos, f"attribute {name} already exists"
        seen.add(name)
        start = skip_ws(value, end)
        if name == "profile_type":
            stop, message = _int_list(value, start)
            if message is not None:
                return stop, message
        else:
            kind, stop = tokens.token_at(value, start)
            if name in METADATA_STRINGS and kind != "string":
                if start >= len(value) or value[start] not in "\"'":
                    return start, "expects string"
                stop = skip_string(value, start)
            elif name in METADATA_INTEGERS:
                if kind != tokens.INT:
                    return start, EXPECTS_INTEGER
                if not -INT32_MAX - 1 <= int(value[start:stop]) <= INT32_MAX and name != "stack_frame_id":
                    return start, "value out of range for int32_t"
        pos = skip_ws(value, stop)
    return None


def frontend_attributes_error(value: str) -> tuple[int, str] | None:
    """(offset, XLA's message) where ``frontend_attributes={a="x", b="y"}`` fails, else None.

    A value that is neither a string nor a ``{...}`` group XLA reports at the
    attribute's name, before the value (a negative offset).
    """
    pos = skip_ws(value, 0)
    if not value.startswith("{", pos):
        return pos, "expected '{' to start frontend attributes"
    pos = skip_ws(value, pos + 1)
    if value.startswith("}", pos):
        return None
    while True:
        kind, end = tokens.token_at(value, pos)
        if kind != tokens.ATTRIBUTE_NAME:
            return pos, "expects attribute name"
        pos = skip_ws(value, end)
        if value.startswith(("\"", "'"), pos):
            pos = skip_string(value, pos)
        elif value.startswith("{", pos):
            pos = skip_group(value, pos)
        else:
            return -len("frontend_attributes="), "error parsing attribute frontend_attributes"
        pos = skip_ws(value, pos)
        if value.startswith("}", pos):
            return None
        if not value.startswith(",", pos):
            return pos, "expects '}' at the end of frontend attributes"
        pos = skip_ws(value, pos + 1)


def check_header_integer(src: str, start: int) -> int:
    """A module header's integer value (``replica_count=2``) at ``start``; its end, or HloParseError as XLA's."""
    end = skip_value(src, start, "value of a header attribute")
    found = integer_error(src[start:end])
    if found is not None:
        raise error(found[1], src, start + found[0])
    return end


# Header attributes XLA reads as integers.
HEADER_CHECKS = dict.fromkeys(("replica_count", "num_partitions"), check_header_integer)
VALUE_CHECKS = {
    **dict.fromkeys(INTEGER_ATTRIBUTES, integer_error),
    **dict.fromkeys(INTEGER_LIST_ATTRIBUTES, integer_list_error),
    **dict.fromkeys(STRING_ATTRIBUTES, string_error),
    **dict.fromkeys(FLOAT_ATTRIBUTES, float_error),
    "metadata": metadata_error,
    "replica_groups": groups_error,
    "source_target_pairs": groups_error,
    "slice": slice_error,
    "frontend_attributes": frontend_attributes_error,
}
# The fast path's patterns for these values, by attribute name: one integer, a braced list of them
# (1 to 18 digits, so in int64), a float (an exponent of one digit or negative, so in range), a
# double-quoted string, metadata as XLA prints it, groups of integers, slice ranges, iota replica
# groups; anything else the full reader judges.
_INTEGER = r"-?[0-9]{1,18}+(?![0-9A-Za-z_.\-])"
_INTEGER_LIST = r"\{(?:[ \t]*+" + _INTEGER + r"(?:[ \t]*+,[ \t]*+" + _INTEGER + r")*+)?[ \t]*+\}"
_FLOAT = r"-?[0-9]++(?:\.[0-9]*+)?(?:[eE](?:-[0-9]++|\+?[0-9]))?(?![0-9A-Za-z_.\-])"
_STRING = r'"(?:[^"\\\n]++|\\.)*+"'
_METADATA = (
    r"\{(?:,?[ \t]*+(?:(?:" + "|".join(METADATA_STRINGS) + ")=" + _STRING + "|(?:" + "|".join(METADATA_INTEGERS)
    + r")=-?[0-9]{1,9}+(?![0-9]))[ \t]*+)*+\}"
)
_GROUPS = r"\{(?:[ \t]*+" + _INTEGER_LIST + r"(?:[ \t]*+,[ \t]*+" + _INTEGER_LIST + r")*+)?[ \t]*+\}"
_PAIR = r"\{[ \t]*+" + _INTEGER + r"[ \t]*+,[ \t]*+" + _INTEGER + r"[ \t]*+\}"
_IOTA_GROUPS = r"\[[0-9,]*+\]<=\[[0-9,]*+\](?:T\([0-9,]*+\))?(?![^\s,])"
_RANGE = r"\[[ \t]*+" + _INTEGER + r"[ \t]*+:[ \t]*+" + _INTEGER + r"(?:[ \t]*+:[ \t]*+" + _INTEGER + r")?[ \t]*+\]"
_SLICE = r"\{(?:[ \t]*+" + _RANGE + r"(?:[ \t]*+,[ \t]*+" + _RANGE + r")*+)?[ \t]*+\}"
FAST_PATTERNS = {
    **dict.fromkeys(INTEGER_ATTRIBUTES, _INTEGER),
    **dict.fromkeys(INTEGER_LIST_ATTRIBUTES, _INTEGER_LIST),
    **dict.fromkeys(STRING_ATTRIBUTES, _STRING),
    **dict.fromkeys(FLOAT_ATTRIBUTES, _FLOAT),
    "metadata": _METADATA,
    "replica_groups": "(?:" + _GROUPS + "|" + _IOTA_GROUPS + ")",
    "source_target_pairs": r"\{(?:[ \t]*+" + _PAIR + r"(?:[ \t]*+,[ \t]*+" + _PAIR + r")*+)?[ \t]*+\}",
    "slice": _SLICE,
    "frontend_attributes": r"\{(?:[A-Za-z_][A-Za-z0-9_.\-]*+=" + _STRING + r"(?:,[ \t]*+[A-Za-z_][A-Za-z0-9_.\-]*+="
    + _STRING + r")*+)?\}",
}


def _vouched(name: str, check):
    """``check``, after the fast path's pattern for ``name``: a value it takes needs no token by token reading."""
    pattern = compile_atomic(FAST_PATTERNS[name], re.ASCII)

    def checked(value: str) -> tuple[int, str] | None:
        return None if pattern.fullmatch(value) is not None else check(value)

    return checked


# The full reader's checks, by attribute name (metadata's pattern does not see a field given twice).
VALUE_CHECKS = {
    name: _vouched(name, check) if name in FAST_PATTERNS and name != "metadata" else check
    for name, check in VALUE_CHECKS.items()
}
