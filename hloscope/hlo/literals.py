"""Constant literals checked as XLA's parser reads them, without keeping their values.

``literal_error(shape, text)`` follows XLA's ``ParseLiteral``,
``ParseTupleLiteral`` and ``ParseDenseLiteral`` (``xla/hlo/parser/hlo_parser.cc``)
over the text between a constant's parentheses: a tuple shape takes
``(literal, ...)``; an array takes nested braces, one level per dimension,
each holding as many items as its dimension (``{...}``, as XLA prints an
elided literal, stands for the whole first dimension); values follow the
element type (integers within the type's range, pred also ``true`` and
``false``; decimals, ``inf``, ``-inf`` and ``nan`` within a float type's
finite range after rounding, NaN payloads that fit; complex values as
``(re, im)`` pairs). XLA notes some mistakes without stopping (a scalar
written for an array, a missing comma between tuple elements): such text is
accepted when nothing else fails, and when something does, the first noted
mistake is the one reported, as XLA reports it. Each distinct
(shape, text) pair is checked once (``memos.LITERALS``); values are never kept.

XLA aborts (no error message) on ``true``/``false`` for a non-pred type and
on constants of token or opaque type; they are refused here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from hloscope.hlo import tokens
from hloscope.hlo.errors import HloParseError
from hloscope.hlo.lexer import error, skip_group, skip_ws
from hloscope.hlo.memos import LITERALS, MEMO_LIMIT

# A longer literal is checked where it stands and not remembered: it rarely repeats, and the
# memo must not keep large texts alive after their module.
_MEMO_TEXT_LIMIT = 4096

_INT_RANGES = {
    **{f"s{bits}": (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) for bits in (1, 2, 4, 8, 16, 32, 64)},
    **{f"u{bits}": (0, (1 << bits) - 1) for bits in (1, 2, 4, 8, 16, 32, 64)},
}
# Float type -> (largest finite value, half its unit in the last place, whether that value's
# mantissa is odd, NaN payload mask or 0 where the type takes none). A value from
# max + half ulp up rounds past the largest (at exactly that point, only from an odd mantissa).
_FLOATS = {
    "f16": (65504.0, 16.0, True, 0x3FF),
    "bf16": ((2 - 2**-7) * 2.0**127, 2.0**119, True, 0x7F),
    "f32": ((2 - 2**-23) * 2.0**127, 2.0**103, True, 0x7FFFFF),
    "f64": (None, None, True, (1 << 52) - 1),  # what does not fit a double fails as a token
    "f8e5m2": (57344.0, 4096.0, True, 0x3),
    "f8e4m3": (240.0, 8.0, True, 0x7),
    "f8e3m4": (15.5, 0.25, True, 0xF),
    "f8e4m3fn": (448.0, 16.0, False, 0),
    "f8e4m3fnuz": (240.0, 8.0, True, 0),
    "f8e4m3b11fnuz": (30.0, 1.0, True, 0),
    "f8e5m2fnuz": (57344.0, 4096.0, True, 0),
    "f4e2m1fn": (None, None, True, 0),  # no infinity or NaN: a large value saturates
    "f8e8m0fnu": (2.0**127, 2.0**126, False, 0),  # powers of two only, from 2**-127; none <= 0
}
_E8M0_LOWEST = 2.0**-127
_COMPLEX_PARTS = {"c64": (2 - 2**-23) * 2.0**127, "c128": None}
_DOUBLE_MAX = 1.7976931348623157e308
_VALUE_KINDS = frozenset({tokens.TRUE, tokens.FALSE, tokens.INT, tokens.DECIMAL, tokens.INF, tokens.NEG_INF})


class _Refused(Exception):
    pass


def literal_error(shape: str, text: str) -> tuple[int, str] | None:
    """XLA's refusal of ``text`` as a literal of ``shape``: (offset in ``text``, message), else None.

    ``shape`` is a constant's shape as the parser keeps it (``f32[2,3]{1,0}``,
    tuples in parentheses); ``text`` is what stands between the constant's
    parentheses, as written.
    """
    key = (shape, text)
    found = LITERALS.get(key, key)
    if found is not key:
        return found
    found = _check(shape, text)
    if len(text) <= _MEMO_TEXT_LIMIT:
        if len(LITERALS) >= MEMO_LIMIT:
            LITERALS.clear()
        LITERALS[key] = found
    return found


def literal_end(src: str, pos: int, shape: str) -> int:
    """Where a constant's literal that starts at ``pos`` (after its ``(``) ends, after its ``)``.

    Raises HloParseError where XLA refuses the literal, with XLA's message,
    also when its brackets do not balance (XLA reads it token by token).
    """
    try:
        end = skip_group(src, pos - 1)
    except HloParseError:
        found = _check(shape, src[pos:])  # the reader stops where XLA stops
        if found is None:
            raise
        raise error(found[1], src, pos + found[0]) from None
    found = literal_error(shape, src[pos : end - 1])
    if found is not None:
        raise error(found[1], src, pos + found[0])
    return end


def _check(shape: str, text: str) -> tuple[int, str] | None:
    tree = _shape_tree(shape)
    if tree is None:
        return None  # a shape this check does not read (unbounded sizes, buffers): left as text
    if type(tree) is tuple and not tree[1]:
        # The common case, a scalar written as one plain value: no need of the reader.
        if _PLAIN_NUMBER_RE.fullmatch(text) and _plain_scalar_fits(tree[0], text):
            return None
        if text in _PLAIN_WORDS.get(tree[0], ()):
            return None
    elif type(tree) is tuple and _plain_array_fits(*tree[:2], text):
        return None
    reader = _LiteralReader(text)
    try:
        reader.literal(tree)
        kind, _ = tokens.token_at(text, reader.pos)
        if kind != tokens.EOF and kind != ")":  # ")": the literal's own, where its text runs on
            reader.fail(reader.pos, "expects ')' after constant literal")
    except _Refused:
        return reader.first
    return reader.first if reader.aborts else None


# One number token as XLA's lexer reads it (a digit first), integer or decimal.
_PLAIN_NUMBER_RE = re.compile(r"-?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")


_NON_FINITE = frozenset({"inf", "-inf", "nan", "-nan"})
_PLAIN_WORDS = {"pred": frozenset({"true", "false"}), **{name: _NON_FINITE for name in _FLOATS}}


def _plain_scalar_fits(element_type: str, text: str) -> bool:
    """Whether a plain number is a value of ``element_type`` XLA takes; False also where the reader must say."""
    if element_type == "pred" or element_type in _INT_RANGES:
        if "." in text or "e" in text or "E" in text or len(text) > 21:
            return False
        value = int(text)
        if element_type == "pred":
            return tokens.INT64_MIN <= value <= tokens.UINT64_MAX
        low, high = _INT_RANGES[element_type]
        return low <= value <= high
    rule = _FLOATS.get(element_type)
    if rule is None or element_type == "f8e8m0fnu":
        return False
    largest, half_ulp, odd, _ = rule
    value = abs(float(text))
    if value == float("inf"):
        return False
    return largest is None or value < largest + half_ulp


# Braces and what stands between them, commas and blanks aside (XLA's lexer skips both in a literal).
_PLAIN_ARRAY_TOKEN_RE = re.compile(r"[{}]|[^{},\s]+")


def _plain_array_fits(element_type: str, dims: list[int], text: str) -> bool:
    """Whether an array literal of plain values nests and counts as ``dims`` require, each value fitting.

    False also for anything else (``{...}``, comments, complex pairs, NaN payloads): the reader decides.
    """
    rank, words = len(dims), _PLAIN_WORDS.get(element_type, ())
    if rank == 0:
        return False
    seen, depth, found = [0] * rank, 0, _PLAIN_ARRAY_TOKEN_RE.findall(text)
    for i, token in enumerate(found):
        if token == "{":
            depth += 1
            if depth > rank:
                return False
            if depth > 1:
                seen[depth - 2] += 1
                if seen[depth - 2] > dims[depth - 2]:
                    return False
        elif token == "}":
            if depth == 0:
                return False
            depth -= 1
            if seen[depth] != dims[depth]:
                return False
            seen[depth] = 0
            if depth == 0:
                return i == len(found) - 1
        else:
            if depth != rank:
                return False
            seen[rank - 1] += 1
            if seen[rank - 1] > dims[rank - 1]:
                return False
            if token not in words and not (_PLAIN_NUMBER_RE.fullmatch(token) and _plain_scalar_fits(element_type, token)):
                return False
    return False


_SHAPE_TOKEN_RE = re.compile(r"\s*(?:/\*.*?\*/\s*)*(?:([a-z][a-z0-9]*)\[([^\]]*)\](?:\{[^{}]*\})?|(\()|(\))|(,))", re.S)


@lru_cache(maxsize=MEMO_LIMIT)
def _shape_tree(shape: str):
    """(element type, dims, dims text) of an array, or a list of element trees for a tuple; None if unread."""
    stack: list[list] = [[]]
    pos = 0
    while pos < len(shape.rstrip()):
        m = _SHAPE_TOKEN_RE.match(shape, pos)
        if m is None:
            return None
        pos = m.end()
        if m.group(3):
            stack.append([])
        elif m.group(4):
            if len(stack) < 2:
                return None
            done = stack.pop()
            stack[-1].append(done)
        elif m.group(1):
            dims_text = m.group(2).replace(" ", "")
            dims = [item.removeprefix("<=") for item in dims_text.split(",")] if dims_text else []
            if not all(item.isdigit() and len(item) <= 19 for item in dims):
                return None
            stack[-1].append((m.group(1), [int(item) for item in dims], dims_text))
    return stack[0][0] if len(stack) == 1 and len(stack[0]) == 1 else None


class _LiteralReader:
    """One pass over a literal's text, XLA's token by token; ``first`` is the first mistake noted."""

    def __init__(self, text: str):
        self.text = text
        self.pos = skip_ws(text, 0)
        self.first: tuple[int, str] | None = None
        self.aborts = False  # XLA stops (or aborts) on what was noted, not only notes it

    def note(self, pos: int, message: str) -> None:
        if self.first is None:
            self.first = (pos, message)

    def fail(self, pos: int, message: str):
        self.note(pos, message)
        self.stop()

    def stop(self):
        """XLA stops here, reporting the first mistake noted."""
        self.aborts = True
        raise _Refused()

    def token(self) -> tuple[str, int]:
        return tokens.token_at(self.text, self.pos)

    def advance(self, end: int) -> None:
        self.pos = skip_ws(self.text, end)

    def literal(self, shape) -> None:
        if isinstance(shape, list):
            self.tuple_literal(shape)
        else:
            self.dense_literal(*shape)

    def tuple_literal(self, elements: list) -> None:
        kind, end = self.token()
        if kind != "(":
            self.fail(self.pos, "expects '(' in front of tuple elements")
        self.advance(end)
        if self.token()[0] != ")":
            for i, element in enumerate(elements):
                if i > 0:
                    kind, end = self.token()
                    if kind == ",":
                        self.advance(end)
                    else:
                        self.note(self.pos, "expects ',' to separate tuple elements")
                try:
                    self.literal(element)
                except _Refused:
                    self.fail(self.pos, f"expects the {i}th element")
        kind, end = self.token()
        if kind != ")":
            self.fail(self.pos, f"expects ')' at the end of the tuple with {len(elements)}elements")
        self.advance(end)

    def dense_literal(self, element_type: str, dims: list[int], dims_text: str) -> None:
        if element_type in ("token", "opaque"):
            self.fail(self.pos, f"a constant of type {element_type} holds no literal XLA reads (XLA aborts on it)")
        rank = len(dims)
        human = f"{element_type}[{dims_text}]"
        elements = 1
        for dim in dims:
            elements *= dim
        nest = index = 0
        seen = [0] * rank

        def where(dim: int) -> str:
            return "[" + ",".join(str(count - 1) for count in seen[:dim]) + "]"

        def one_more(pos: int) -> bool:
            if rank > 0:
                if nest != rank:
                    self.note(pos, f"expects nested array in rank {rank}, but sees {nest}")
                    return False
                seen[rank - 1] += 1
                if seen[rank - 1] > dims[rank - 1]:
                    self.note(pos, f"expects {dims[rank - 1]} elements on the minor-most dimension, but sees more")
                    return False
            return True

        while True:
            pos = self.pos
            kind, end = self.token()
            if kind == "{":
                nest += 1
                if nest > rank:
                    self.fail(pos, f"expects nested array in rank {rank}, but sees larger")
                if nest > 1:
                    seen[nest - 2] += 1
                    if seen[nest - 2] > dims[nest - 2]:
                        self.fail(pos, f"expects {dims[nest - 2]} elements in the {where(nest - 2)}th element, but sees more")
            elif kind == "}":
                if nest == 0:
                    self.fail(pos, "unexpected '}' token")
                nest -= 1
                if seen[nest] != dims[nest]:
                    self.fail(pos, f"expects {dims[nest]} elements in the {where(nest)}th element, but sees {seen[nest]}")
                seen[nest] = 0
            elif kind == "(":
                if element_type not in _COMPLEX_PARTS:
                    self.fail(pos, "unexpected '(' in literal. Parens are only valid for complex literals")
                if not one_more(pos):
                    self.stop()
                end = self.complex_value(element_type, human, index)
                index += 1
            elif kind == tokens.DOTS:
                if nest != 1:
                    self.fail(pos, f"expects `...` at nest level 1, but sees it at nest level {nest}")
                seen[0] = dims[0]
            elif kind in _VALUE_KINDS:
                one_more(pos)
                self.value(element_type, human, index, elements, kind, end)
                index += 1
            elif kind != ",":
                self.fail(pos, "unexpected token type in a literal")
            self.advance(end)
            if nest == 0:
                return

    def value(self, element_type: str, human: str, index: int, elements: int, kind: str, end: int) -> None:
        pos, word = self.pos, self.text[self.pos : end]
        if kind in (tokens.TRUE, tokens.FALSE):
            if element_type != "pred":
                self.fail(pos, f"{word} is a pred value, not one of type {element_type} (XLA aborts on it)")
            value: object = kind == tokens.TRUE
        elif element_type == "pred" or element_type in _INT_RANGES:
            if kind != tokens.INT:
                self.fail(pos, f"expects integer for primitive type: {element_type.upper()}")
            value = int(word)
            if value > (1 << 63) - 1:
                value -= 1 << 64  # XLA keeps the int64 bit pattern
            if element_type != "pred":
                low, high = _INT_RANGES[element_type]
                if (value & ((1 << 64) - 1) > high) if low == 0 else not low <= value <= high:
                    self.fail(pos, f"value {value} is out of range for literal's primitive type "
                              f"{element_type.upper()} namely [{low}, {high}].")
        elif element_type in _FLOATS:
            value = self.double(kind, word, pos)
            self.check_float(element_type, value, pos)
        else:
            self.fail(pos, f"unsupported primitive type {element_type.upper()}")
        if index >= elements:
            shown = _g(value) if isinstance(value, float) else str(value).lower()
            self.fail(pos, f"tries to set value {shown} to a literal in shape {human} at linear index {index}, "
                      "but the index is out of range")
        if isinstance(value, float) and value != value:
            self.check_nan(element_type, tokens.nan_payload(word), _FLOATS[element_type][3], human, index, pos)

    def double(self, kind: str, word: str, pos: int) -> float:
        if kind == tokens.INT:
            value = int(word)
            return float(value - (1 << 64) if value > (1 << 63) - 1 else value)
        if kind == tokens.INF:
            return float("inf")
        if kind == tokens.NEG_INF:
            return float("-inf")
        if kind != tokens.DECIMAL:
            self.fail(pos, "expects decimal or integer")
        if tokens.nan_payload(word) is not None:
            return float("nan")
        value = float(word)
        if value in (float("inf"), float("-inf")):
            self.fail(pos, f"Constant is out of range for double (+/-{_g(_DOUBLE_MAX)}) and so is unparsable.")
        return value

    def check_float(self, element_type: str, value: float, pos: int) -> None:
        largest, half_ulp, odd, _ = _FLOATS[element_type]
        if value != value or value in (float("inf"), float("-inf")) or largest is None:
            return  # XLA checks no range of what is not finite
        if element_type == "f8e8m0fnu":
            low, out = _E8M0_LOWEST, value <= 0 or value > largest + half_ulp
        else:
            low, out = -largest, abs(value) > largest + half_ulp or (odd and abs(value) == largest + half_ulp)
        if out:
            self.fail(pos, f"value {_g(value)} is out of range for literal's primitive type {element_type.upper()} "
                      f"namely [{_g(low)}, {_g(largest)}].")

    def check_nan(self, element_type: str, payload: int, mask: int, human: str, index: int, pos: int) -> None:
        if payload == tokens.QUIET_NAN_PAYLOAD:
            return
        if mask and payload > mask:
            self.fail(pos, f"tries to set NaN payload 0x{payload:x} to a literal in shape {human} at linear index "
                      f"{index}, but the NaN payload is out of range (0x{mask:x})")
        if not mask:
            self.fail(pos, f"tries to set NaN payload 0x{payload:x} to a literal in shape {human} at linear index "
                      f"{index}, but {element_type} does not support payloads")

    def complex_value(self, element_type: str, human: str, index: int) -> int:
        """Read ``(re, im)`` from the ``(`` at ``self.pos``; return where it ends."""
        start = self.pos
        self.advance(self.pos + 1)
        parts = []
        for part, after in (("real", ","), ("imaginary", ")")):
            kind, end = self.token()
            word = self.text[self.pos : end]
            if kind not in (tokens.INT, tokens.DECIMAL, tokens.INF, tokens.NEG_INF):
                self.fail(self.pos, "expects decimal or integer")
            parts.append((self.double(kind, word, self.pos), word))
            self.advance(end)
            kind, end = self.token()
            if kind != after:
                self.fail(self.pos, "expect comma after real part of complex literal" if after == ","
                          else "expect ')' after complex number")
            if after == ",":
                self.advance(end)
        largest = _COMPLEX_PARTS[element_type]
        for (value, _), part in zip(parts, ("real", "imaginary")):
            if largest is not None and value == value and abs(value) != float("inf") and abs(value) > largest:
                self.fail(start, f"{part} part {_g(value)} is out of range for literal's primitive type "
                          f"{element_type.upper()}, namely [{_g(-largest)}, {_g(largest)}].")
        value, word = parts[0]
        if value != value:  # XLA checks the real part's payload (twice), never the imaginary part's
            mask = 0x7FFFFF if element_type == "c64" else (1 << 52) - 1
            self.check_nan(element_type, tokens.nan_payload(word), mask, human, index, start)
        return end


def _g(value: float) -> str:
    """A double as XLA's messages print it (six significant digits)."""
    return f"{value:.6g}"
