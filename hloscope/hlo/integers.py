"""Integer attribute values as XLA reads them: ``index=0``, ``dimensions={0,1}``.

XLA reads an attribute's value as it meets it, token by token with its
lexer (``hloscope.hlo.tokens``), so a value that is no integer is refused
there, "expects integer", before anything later on the line. Both readers
use these checks: the full reader on each value, the fast path through the
patterns ``tail_re`` builds from the names below (a value it cannot vouch
for goes to the full reader).
"""

from __future__ import annotations

import re

from hloscope.hlo import tokens
from hloscope.hlo.lexer import skip_ws

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
EXPECTS_INTEGER = "expects integer"
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


def integer_list_error(value: str) -> tuple[int, str] | None:
    """(offset, XLA's message) where a ``{0, 1}`` value text fails, else None."""
    pos = skip_ws(value, 0)
    if not value.startswith("{", pos):
        return pos, LIST_END  # XLA's message for a value without its braces
    pos = skip_ws(value, pos + 1)
    if value.startswith("}", pos):
        return None
    while True:
        # In a list XLA takes the digits as the integer, whatever follows them (``1.5`` ends the list at ``.``).
        m = _DIGITS_RE.match(value, pos)
        if m is None or not tokens.INT64_MIN <= int(m.group(0)) < -tokens.INT64_MIN:
            return pos, EXPECTS_INTEGER
        end = m.end()
        pos = skip_ws(value, end)
        if value.startswith("}", pos):
            return None
        if not value.startswith(",", pos):
            return pos, LIST_END
        pos = skip_ws(value, pos + 1)


VALUE_CHECKS = {
    **dict.fromkeys(INTEGER_ATTRIBUTES, integer_error),
    **dict.fromkeys(INTEGER_LIST_ATTRIBUTES, integer_list_error),
}
# The fast path's patterns for these values: one integer, a braced list of them (1 to 18 digits, so
# in int64; anything else the full reader judges).
INTEGER_PATTERN = r"-?[0-9]{1,18}+(?![0-9A-Za-z_.\-])"
INTEGER_LIST_PATTERN = r"\{(?:[ \t]*+" + INTEGER_PATTERN + r"(?:[ \t]*+,[ \t]*+" + INTEGER_PATTERN + r")*+)?[ \t]*+\}"
