"""Token-level reading of HLO text.

Pure functions over ``(src, pos)`` that return the new position, or
``(pos, value)``; they raise HloParseError at the offending character. Nothing
here recurses, so deeply nested brackets cannot exhaust the Python stack.
"""

from __future__ import annotations

import re
import string

from hloscope.hlo.errors import HloParseError
from hloscope.hlo.grammar import PRIMITIVE_TYPES
from hloscope.hlo.layouts import check_layout

# A name as XLA's lexer reads it; the fast path and the full reader share it.
NAME = r"[A-Za-z_][\w.\-]*"
NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_.-")
OPENERS = {"(": ")", "[": "]", "{": "}"}
QUOTES = frozenset("\"'")

_WS_RE = re.compile(r"[ \t\r\n]*")
_WS_OR_COMMENT = " \t\r\n/"
_NAME_RE = re.compile(r"%?(" + NAME + ")", re.ASCII)
# A name token as XLA's lexer reads one: %name, name or name: .
NAME_TOKEN_RE = re.compile(r"%" + NAME + "|" + NAME + ":?", re.ASCII)
_INT_RE = re.compile(r"-?[0-9]{1,30}(?![0-9])", re.ASCII)
_BARE_RUN_RE = re.compile(r"[^\s,(){}\[\]\"'/]+|/(?![/*])")
_DESCRIBE_RE = re.compile(r"[\w.\-]{1,40}")
# A bare word as an enum value (``highest``, ``rng_default``).
WORD_RUN_RE = re.compile(r"[\w.\-]+")


def error(msg: str, src: str, pos: int) -> HloParseError:
    """An HloParseError at ``pos``."""
    return HloParseError(msg, src, pos)


def describe(src: str, pos: int) -> str:
    """A short description of what is at ``pos`` for error messages."""
    if pos >= len(src):
        return "end of text"
    ch = src[pos]
    if ch in NAME_CHARS:
        m = _DESCRIBE_RE.match(src, pos)
        return repr(m.group(0)) if m else repr(ch)
    return repr(ch)


def skip_ws(src: str, pos: int) -> int:
    """Skip whitespace, ``/* */`` and ``//`` comments."""
    if src[pos : pos + 1] not in _WS_OR_COMMENT:
        return pos  # most calls: nothing to skip (at the end, "" is in any string and goes on)
    while True:
        pos = _WS_RE.match(src, pos).end()
        if src.startswith("/*", pos):
            end = src.find("*/", pos + 2)
            if end == -1:
                raise error("unterminated /* comment", src, pos)
            pos = end + 2
        elif src.startswith("//", pos):
            end = src.find("\n", pos)
            pos = len(src) if end == -1 else end + 1
        else:
            return pos


def expect(src: str, pos: int, char: str, what: str) -> int:
    """Skip whitespace, then consume ``char`` or fail with ``what``."""
    pos = skip_ws(src, pos)
    if not src.startswith(char, pos):
        raise error(f"expects {what}, found {describe(src, pos)}", src, pos)
    return pos + len(char)


def parse_name(src: str, pos: int, what: str = "name") -> tuple[int, str]:
    """Read ``%name``, ``name`` or ``name:`` (``[A-Za-z_][A-Za-z0-9_.-]*``).

    XLA's lexer reads a name followed directly by ``:`` as that name, as in
    ``HloModule convolution.167:`` or a parameter ``p: f32[]``.
    """
    pos = skip_ws(src, pos)
    m = _NAME_RE.match(src, pos)
    if m is None:
        raise error(f"expects {what}, found {describe(src, pos)}", src, pos)
    end = m.end()
    if src.startswith("=", end) and not src.startswith("%", pos):
        # To XLA's lexer ``name=`` is one token, an attribute name: no name.
        raise error(f"expects name, found attribute name {src[pos : end + 1]!r} (no space before '=')", src, pos)
    if src.startswith(":", end) and not src.startswith("%", pos):
        end += 1
    return end, m.group(1)


def parse_int(src: str, pos: int, what: str = "integer") -> tuple[int, int]:
    """Read a decimal integer."""
    pos = skip_ws(src, pos)
    m = _INT_RE.match(src, pos)
    if m is None:
        raise error(f"expects {what}, found {describe(src, pos)}", src, pos)
    return m.end(), int(m.group(0))


def skip_string(src: str, pos: int) -> int:
    """Skip a quoted string starting at ``pos`` (``"`` or ``'``, backslash escapes)."""
    quote = src[pos]
    i = pos + 1
    while True:
        j = src.find(quote, i)
        if j == -1:
            raise error("unterminated string", src, pos)
        # An odd number of backslashes before the quote escapes it.
        k = j
        while src[k - 1] == "\\":
            k -= 1
        if (j - k) % 2 == 0:
            return j + 1
        i = j + 1


def skip_group(src: str, pos: int) -> int:
    """Skip a bracketed group starting at ``pos`` with its nested groups and strings."""
    stack = [OPENERS[src[pos]]]
    i = pos + 1
    find_special = _GROUP_SPECIAL_RE.search
    while stack:
        m = find_special(src, i)
        if m is None:
            raise error(f"unclosed {src[pos]!r}", src, pos)
        i = m.start()
        ch = src[i]
        if ch in QUOTES:
            i = skip_string(src, i)
        elif ch == "/":
            if src.startswith("/*", i) or src.startswith("//", i):
                i = skip_ws(src, i)
            else:
                i += 1
        elif ch in OPENERS:
            stack.append(OPENERS[ch])
            i += 1
        else:
            if ch != stack[-1]:
                raise error(f"expects {stack[-1]!r}, found {ch!r}", src, i)
            stack.pop()
            i += 1
    return i


_GROUP_SPECIAL_RE = re.compile(r"[(){}\[\]\"'/]")


def skip_value(src: str, pos: int, what: str = "attribute value") -> int:
    """Skip one attribute value: groups, strings and bare runs with no space between.

    ``replica_groups=[2,2]<=[4]``, ``dim_labels=b01f_01io->b01f``,
    ``metadata={op_name="x"}`` and ``custom_call_target="f"`` are each one
    value. A ``{`` group after a space continues the value, as in the mesh
    form ``replica_groups=mesh['a'=2,'b'=2] {'b'}``: nothing else that can
    follow a value starts with ``{``.
    """
    pos = skip_ws(src, pos)
    start = pos
    n = len(src)
    while pos < n:
        ch = src[pos]
        if ch in OPENERS:
            pos = skip_group(src, pos)
        elif ch in QUOTES:
            pos = skip_string(src, pos)
        else:
            m = _BARE_RUN_RE.match(src, pos)
            if m is None:
                if pos > start and ch in " \t\r\n/":
                    after = skip_ws(src, pos)
                    if src.startswith("{", after):
                        pos = after
                        continue
                break
            pos = m.end()
    if pos == start:
        raise error(f"expects {what}, found {describe(src, pos)}", src, pos)
    return pos


def skip_literal_value(src: str, pos: int) -> int:
    """Skip ``shape literal`` as in ``literal=s32[] 1`` or ``literal=f32[2] {1, 2}``, or a tuple of them.

    A tuple literal is ``( s32[4] {4, 128, 128, 3}, pred[4] {1, 0, 0, 0} )``: one bracketed group.
    """
    start = skip_ws(src, pos)
    if src.startswith("(", start):
        return skip_group(src, start)
    pos, _ = parse_shape(src, pos)
    pos = skip_ws(src, pos)
    if pos < len(src) and src[pos] in OPENERS:
        return skip_group(src, pos)
    m = _BARE_RUN_RE.match(src, pos)
    if m is None or src[pos] == "/":
        raise error(f"expects a literal, found {describe(src, pos)}", src, pos)
    return m.end()


_ATTR_NAME_RE = re.compile(NAME + "(?==)", re.ASCII)


def next_attribute(src: str, pos: int) -> tuple[int, str, int] | None:
    """After an instruction or header: the next ``, name=`` as (name position, name, value position).

    None when no ``,`` follows. As in XLA, ``=`` must follow the name directly.
    """
    after = skip_ws(src, pos)
    if not src.startswith(",", after):
        return None
    name_pos = skip_ws(src, after + 1)
    m = _ATTR_NAME_RE.match(src, name_pos)
    if m is None:
        # XLA's lexer makes one token of a name and the ``=`` right after it; anything else is no attribute name.
        raise error(f"expects attribute name (a name and '=' right after it), found {describe(src, name_pos)}", src, name_pos)
    return name_pos, m.group(0), m.end() + 1


def read_attributes(src: str, pos: int, strict: bool = True) -> tuple[int, dict[str, str]]:
    """Read ``, name=value`` pairs; return the end and each value's raw text.

    ``strict=False`` lets a repeated attribute overwrite the earlier one
    instead of failing (for text the parser has already checked).
    """
    attrs: dict[str, str] = {}
    while True:
        found = next_attribute(src, pos)
        if found is None:
            return pos, attrs
        name_pos, name, start = found
        if name == "literal":
            pos = skip_literal_value(src, start)
        else:
            pos = skip_value(src, start, f"value of attribute {name!r}")
        if strict and name in attrs:
            raise error(f"attribute {name} already exists", src, name_pos)
        attrs[name] = src[start:pos]


def end_of_item(src: str, pos: int, closer: str, where: str) -> tuple[int, bool]:
    """After a list item: consume ``,`` (False) or ``closer`` (True), else fail."""
    pos = skip_ws(src, pos)
    if src.startswith(",", pos):
        return pos + 1, False
    if src.startswith(closer, pos):
        return pos + 1, True
    raise error(f"expects ',' or {closer!r} in {where}, found {describe(src, pos)}", src, pos)


def skip_dims(src: str, pos: int) -> int:
    """Skip ``[d0,<=d1,?]`` dimension sizes starting at ``[``."""
    pos += 1
    pos = skip_ws(src, pos)
    if src.startswith("]", pos):
        return pos + 1
    while True:
        pos = skip_ws(src, pos)
        if src.startswith("?", pos):
            pos += 1
        else:
            if src.startswith("<=", pos):
                pos += 2
            start = pos
            pos, size = parse_int(src, pos, "integer")  # XLA: "expects integer", a trailing comma too
            if size > 0x7FFFFFFFFFFFFFFF:
                raise error("expects integer (a dimension size past int64)", src, start)
        pos, closed = end_of_item(src, pos, "]", "dimensions")
        if closed:
            return pos


# An element type and its ``[``: only the types XLA's lexer knows start a shape.
_PRIMITIVE_RE = re.compile(r"(?:" + "|".join(sorted(PRIMITIVE_TYPES, key=len, reverse=True)) + r")(?=\[)")
_WORD_TYPE_RE = re.compile(r"[a-z][a-z0-9_]*(?=\[)")
# An element type as a token of its own: XLA's lexer reads one whatever follows, ``f32 [2]`` included.
_TYPE_TOKEN_RE = re.compile(r"(?:" + "|".join(sorted(PRIMITIVE_TYPES, key=len, reverse=True)) + r")(?![A-Za-z0-9_.\-])")


def unknown_type_at(text: str) -> int:
    """Where the first element type XLA does not know stands in shape text (``g32[2]``), else -1."""
    bracket = text.find("[")
    if bracket > 0 and text.count("[") == 1 and text[:bracket] in PRIMITIVE_TYPES:
        return -1  # the common case, one array shape
    if PRIMITIVE_TYPES.issuperset(_WORD_TYPE_RE.findall(text)):
        return -1
    for m in _WORD_TYPE_RE.finditer(text):
        if m.group(0) not in PRIMITIVE_TYPES:
            return m.start()
    return -1


# An element type with no ``[`` after it, as tuple shapes on the fast path may hold (``(f32, s32[])``).
# (An element starts after "(", "," or the "/" ending an /*index=N*/ comment.)
_BARE_TYPE_RE = re.compile(r"[(,/][ \t]*+" + _TYPE_TOKEN_RE.pattern + r"(?![ \t]*+\[)")


def has_bare_type(shape: str) -> bool:
    """Whether an element type in ``shape`` lacks its dimensions (XLA: "expects a list starting with kLsquare")."""
    return _BARE_TYPE_RE.search(shape) is not None


def can_be_type(src: str, pos: int) -> bool:
    """Whether an element type stands at ``pos`` as a token of its own (``f32``, not ``f32x``)."""
    return _TYPE_TOKEN_RE.match(src, pos) is not None


def can_be_shape(src: str, pos: int) -> bool:
    """Whether a shape starts at ``pos`` (``(``, ``b(`` or ``type[``)."""
    if src.startswith(("(", "b("), pos) or _PRIMITIVE_RE.match(src, pos) is not None:
        return True
    m = _TYPE_TOKEN_RE.match(src, pos)
    return m is not None and src.startswith("[", skip_ws(src, m.end()))


def parse_shape(src: str, pos: int) -> tuple[int, str]:
    """Read a shape; return it as text without comments.

    Array shapes are ``type[dims]{layout}``; tuples nest them in parentheses
    and a buffer shape ``b(f32[2,4])`` wraps one. A ``{`` after the
    dimensions opens a layout only when an integer or ``:`` follows it, as in
    XLA, so ``-> f32[2] {`` still opens a computation body.
    """
    pos = skip_ws(src, pos)
    start = pos
    depth = 0
    while True:
        pos = skip_ws(src, pos)
        if src.startswith("b(", pos):
            pos += 1
        if src.startswith("(", pos):
            depth += 1
            pos = skip_ws(src, pos + 1)
            if src.startswith(")", pos):
                depth -= 1
                pos += 1
            else:
                continue
        else:
            m = _PRIMITIVE_RE.match(src, pos) or _TYPE_TOKEN_RE.match(src, pos)
            if m is None:
                if _WORD_TYPE_RE.match(src, pos):
                    raise error("expected primitive type, saw kIdent", src, pos)
                if src.startswith((",", ")"), pos):  # an empty element in a tuple: XLA names the token
                    raise error(f"expected primitive type, saw {'kComma' if src[pos] == ',' else 'kRparen'}", src, pos)
                raise error(f"expects a shape, found {describe(src, pos)}", src, pos)
            dims = skip_ws(src, m.end())
            if not src.startswith("[", dims):
                raise error(f"expects a list starting with kLsquare (the dimensions after {m.group(0)})", src, dims)
            pos = skip_dims(src, dims)
            after = skip_ws(src, pos)
            if src.startswith("{", after):
                inner = skip_ws(src, after + 1)
                if inner < len(src) and (src[inner].isdigit() or src[inner] in ":-"):
                    pos = skip_group(src, after)
                    order = check_minor_to_major(src, inner, pos)
                    rank = 0 if src.startswith("]", skip_ws(src, dims + 1)) else src.count(",", dims, after) + 1
                    if order != rank:  # XLA checks the count where the shape ends
                        raise error(f"Dimensions size is {rank}, but minor to major size is {order}.", src, skip_ws(src, pos))
                    if src.find(":", after, pos) >= 0:
                        check_layout(src, after, pos)
        # After an element: a comma continues a tuple, ')' closes one.
        while depth:
            pos = skip_ws(src, pos)
            if src.startswith(",", pos):
                pos += 1
                break
            if not src.startswith(")", pos):
                raise error("expects ')' at the end of tuple.", src, pos)
            pos += 1
            depth -= 1
        else:
            return pos, clean_text(src[start:pos])


_DIMS_AND_LAYOUTS_RE = re.compile(r"\[[^\]]*\]|\{[^{}]*\}")


def tuple_size(shape: str) -> int:
    """How many elements a tuple shape's text (``(f32[2,3]{1,0}, s32[])``, comments dropped) holds at its top."""
    if shape.replace(" ", "") == "()":
        return 0
    depth = commas = 0
    for ch in _DIMS_AND_LAYOUTS_RE.sub("", shape):  # their commas are not the tuple's
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 1:
            commas += 1
    return commas + 1


def check_minor_to_major(src: str, pos: int, end: int) -> int:
    """A layout's ``1,0`` before its ``:`` or ``}``: integers, a comma between two (XLA's messages); their count."""
    count = 0
    while src[pos] not in ":}":
        count += 1
        m = _INT_RE.match(src, pos)
        if m is None:
            raise error(f"expects integer, found {describe(src, pos)}", src, pos)
        pos = skip_ws(src, m.end())
        if src.startswith(",", pos):
            pos = skip_ws(src, pos + 1)
            if src[pos] in ":}":
                raise error(f"expects integer, found {describe(src, pos)}", src, pos)
        elif src[pos] not in ":}":
            raise error(f"expects layout to end with kRbrace, found {describe(src, pos)}", src, pos)
    return count


def skip_signature(src: str, pos: int) -> int:
    """Skip ``(p: f32[2], q: (s32[], f32[])) -> shape``."""
    pos += 1
    if not src.startswith(")", skip_ws(src, pos)):
        while True:
            pos, _ = parse_name(src, pos, "parameter name")
            pos = skip_ws(src, pos)
            if src.startswith(":", pos):
                pos += 1
            pos, _ = parse_shape(src, pos)
            pos = skip_ws(src, pos)
            if src.startswith(",", pos):
                pos += 1
                continue
            break
    pos = expect(src, pos, ")", "')' to end the parameter list")
    pos = expect(src, pos, "->", "'->' after the parameter list")
    pos, _ = parse_shape(src, pos)
    return pos


_COMMENT_RE = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_SPACES_RE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Drop comments and fold whitespace runs into one space."""
    if "/" in text:
        text = _COMMENT_RE.sub("", text)
    if "\n" in text or "  " in text or "\t" in text or "\r" in text:
        text = _SPACES_RE.sub(" ", text)
    return text.strip()
