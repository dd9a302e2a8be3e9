"""What the parser learns from a piece of text alone, remembered across lines and parses.

Modules repeat the same pieces (``shape opcode`` pairs, attribute lists, literals)
layer after layer and module after module, and what a piece says does not
depend on where it stands: each is read once. Every memo is emptied when it
reaches MEMO_LIMIT entries; ``clear_memos`` empties them all (to time a
parse from scratch).
"""

from __future__ import annotations

import re

from hloscope.hlo import lexer
from hloscope.hlo.checks import async_kind
from hloscope.hlo.errors import HloParseError
from hloscope.hlo.fastpath import INDEX_RE, tail_re
from hloscope.hlo.grammar import OPERAND_COUNTS, allowed_attributes, opcode_spellings, required_attributes
from hloscope.hlo.layouts import layouts_pass
from hloscope.hlo.syntax import values_pass

MEMO_LIMIT = 4096
# Opcodes whose parentheses hold a literal or a number, not operand names.
PAYLOAD_OPCODES = frozenset({"constant", "parameter"})
# The fast path leaves XLA's async ops to the full reader, which checks their shapes and chain.
FAST_OPCODES = {op: op for op in opcode_spellings() if async_kind(op) is None}
FORM_PLAIN, FORM_PAYLOAD = 0, 1
# What an attribute text holds: nothing but blanks, attributes, attributes
# with an eager one (fastpath.EAGER_ATTRIBUTES), or text only the full reader can judge.
BLANK, PLAIN, EAGER, BAD = 0, 1, 2, 3

# Shape text -> one shared string for it, comments dropped.
SHAPES: dict[str, str] = {}
# Attribute names an opcode takes -> {attribute text after an instruction's leading attributes -> what
# it holds (BLANK ... BAD)}: opcodes that take the same names share one memo.
TAILS: dict[frozenset[str], dict[str, int]] = {}
# "shape opcode" text as the fast path matches it -> (opcode, shared shape, kind), kind one of
# FORM_PLAIN, FORM_PAYLOAD (constant, parameter), the operand count XLA requires (-1: any),
# ``, name=`` of each attribute it requires (or None), the attribute names it takes and the ``get``
# of its TAILS memo; None: an opcode the fast path leaves alone.
FORMS: dict[str, tuple | None] = {}
# (shape text, constant literal text) -> None or where and why XLA refuses it (hloscope.hlo.literals).
LITERALS: dict[tuple[str, str], tuple[int, str] | None] = {}
# A module header's entry_computation_layout text -> whether the full reader refuses a shape in it.
ENTRY_LAYOUTS: dict[str, bool] = {}
# Opcode -> what the fast path checks of it: (operand count XLA requires or -1, ``, name=`` of
# each attribute it requires or None, the attribute names it takes). Grammar, not text: never emptied.
_OPCODE_RULES: dict[str, tuple] = {}


def clear_memos() -> None:
    """Forget what earlier parses learnt: the next parse starts from scratch (for timing it fairly)."""
    for memo in (SHAPES, TAILS, FORMS, LITERALS, ENTRY_LAYOUTS):
        memo.clear()


def _remember(memo: dict, key, value):
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


def _opcode_rules(opcode: str) -> tuple:
    rules = _OPCODE_RULES.get(opcode)
    if rules is None:
        markers = tuple(f", {name}=" for name in required_attributes(opcode)) or None
        if opcode == "conditional":
            # Either form's computations; the reader checks them against the first operand's type.
            markers = ("_computation",)
        rules = _OPCODE_RULES[opcode] = (OPERAND_COUNTS.get(opcode, -1), markers, allowed_attributes(opcode))
    return rules


def share_shape(shape: str) -> str:
    """The one shared string for a shape's text, comments dropped."""
    clean = SHAPES.get(shape)
    if clean is None:
        clean = INDEX_RE.sub("", shape) if "/" in shape else shape
        if len(SHAPES) >= MEMO_LIMIT:
            SHAPES.clear()
        clean = SHAPES.setdefault(clean, clean)
        SHAPES[shape] = clean
    return clean


_LONG_NUMBER_RE = re.compile(r"[0-9]{19}")
# An array shape with no empty item, no number past 18 digits and a plain layout order as long as its rank
# (XLA refuses another length): nothing to refuse. Ranks past 8 take the general checks below.
_N = r"[0-9]{1,18}"
_PLAIN_ARRAY_RE = re.compile(
    r"[a-z][a-z0-9]*(?:\[\](?:\{\})?|"
    + "|".join(r"\[" + ",".join([_N] * k) + r"\](?:\{" + ",".join([_N] * k) + r"\}|\{\})?" for k in range(1, 9))
    + ")"
)


def _shape_flawed(shape: str) -> bool:
    """Whether the full reader refuses ``shape``: an empty item in its dimensions, layout or tuple
    (``f32[2,]``, ``{1,0,}``, ``(f32[], )``), a number long enough to pass int64, a layout whose
    minor-to-major part is not ``1,0`` (``{1 0}``), an element type without dimensions in a tuple.
    String tests, once per distinct form."""
    if _PLAIN_ARRAY_RE.fullmatch(shape):
        return False
    if ",]" in shape or "[," in shape or ",," in shape or ",}" in shape or "{," in shape:
        return True
    if len(shape) > 20 and _LONG_NUMBER_RE.search(shape):
        return True
    brace = shape.find("]{")
    while brace >= 0:
        order = shape[brace + 2 : shape.find("}", brace)].partition(":")[0]
        if order and not order.replace(",", "").isdigit():
            return True
        brace = shape.find("]{", brace + 2)
    if shape.startswith("(") and (", )" in shape or "(," in shape or ", ," in shape or lexer.has_bare_type(shape)):
        return True
    if "P(" in shape:  # a physical shape nests a shape in a layout: read it as the full reader does
        try:
            return lexer.skip_ws(shape, lexer.parse_shape(shape, 0)[0]) < len(shape)
        except HloParseError:
            return True
    # Each array's layout order as long as its rank, and between a tuple's items a comma (no '{}' either).
    rest = _GOOD_ELEMENT_RE.sub("A", INDEX_RE.sub("", shape) if "/" in shape else shape)
    if "[" in rest:  # arrays the pattern does not vouch for (dynamic sizes, rank past 8, ...): count them
        for dims, order in _ELEMENT_RE.findall(rest):
            if order and (dims.count(",") + 1 if dims.strip() else 0) != _order_length(order):
                return True
        rest = _ELEMENT_RE.sub("A", rest)
    return shape.startswith("(") and _SKELETON_FLAW_RE.search(rest) is not None


def entry_layout_flawed(value: str) -> bool:
    """Whether the full reader refuses a shape in ``entry_computation_layout={(shape, ...)->shape}``, remembered."""
    found = ENTRY_LAYOUTS.get(value)
    if found is None:
        params, arrow, result = value[1:-1].partition("->")
        flawed = bool(arrow) and (_shape_flawed(params.strip()) or _shape_flawed(result.strip()))
        flawed = flawed or (":" in value and not layouts_pass(value))
        found = _remember(ENTRY_LAYOUTS, value, flawed)
    return found


# An array with no layout or a layout whose order is as long as its rank (up to 8), its parts after ':' aside.
_GOOD_ELEMENT_RE = re.compile(
    r"[a-z][a-z0-9]*+(?:\[\](?:\{:[^{}]*\})?|"
    + "|".join(r"\[" + ",".join([_N] * k) + r"\](?:\{" + ",".join([_N] * k) + r"(?::[^{}]*)?\})?" for k in range(1, 9))
    + r")(?![\[\w{])"
)
# An array in shape text: its dimensions and, where a '{' opens a layout, the layout (its order first).
_ELEMENT_RE = re.compile(r"[a-z][a-z0-9]*\[([^\]]*)\](?:[ \t]*(\{[ \t]*[-0-9:][^{}]*\}))?")
# A tuple's skeleton once each array is "A": anything but arrays, parentheses, commas and blanks between them.
_SKELETON_FLAW_RE = re.compile(r"[^A(),\s]|A\s*[A(]|\)\s*[A(]")


def _order_length(layout: str) -> int:
    order = layout[1:-1].partition(":")[0]
    return order.count(",") + 1 if order.strip() else 0


def form_of(key: str) -> tuple | None:
    """The FORMS entry of a fast-path ``shape opcode`` text, remembered."""
    if key in FORMS:
        return FORMS[key]
    shape, _, opcode_text = key.rpartition(" ")
    opcode = FAST_OPCODES.get(opcode_text)
    form = None
    # The full reader refuses an element type XLA does not know or without dimensions, and an infeed whose
    # shape is no tuple.
    # (A shape in SHAPES has been read before, so its types are known.)
    if (shape not in SHAPES and lexer.unknown_type_at(shape) >= 0) or (opcode == "infeed" and not shape.startswith("(")):
        opcode = None
    elif _shape_flawed(shape):
        opcode = None  # the full reader refuses an empty list item, a bad layout order, a type without dimensions
    elif ":" in shape and not layouts_pass(shape):
        opcode = None  # the full reader refuses a layout part as XLA does
    if opcode is not None:
        kind = FORM_PAYLOAD if opcode in PAYLOAD_OPCODES else FORM_PLAIN
        rules = _opcode_rules(opcode)
        if opcode == "tuple" and shape.startswith("("):
            rules = (lexer.tuple_size(share_shape(shape)), *rules[1:])  # XLA counts a tuple's operands by its shape
        form = (opcode, share_shape(shape), kind, *rules, TAILS.setdefault(rules[2], {}).get)
    return _remember(FORMS, key, form)


def tail_kind(tail: str, allowed: frozenset[str]) -> int:
    """What an instruction line's remaining attribute text holds (BLANK ... BAD), remembered.

    A name not ``allowed`` makes it BAD: the full reader refuses it as XLA does.
    """
    m = tail_re(allowed).fullmatch(tail)
    found = BAD if m is None else EAGER if m.group(1) is not None else PLAIN if tail.strip() else BLANK
    if "=" in tail and not values_pass(tail):
        found = BAD  # the full reader refuses it as XLA does
    return _remember(TAILS.setdefault(allowed, {}), tail, found)
