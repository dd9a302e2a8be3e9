"""The one-line fast path: regular expressions for HLO as XLA prints it.

``INSTR_RE`` matches a whole instruction line, a computation header line, a
closing brace or a blank line. They accept a subset of what the full
reader (``hloscope.hlo.lexer`` and ``hloscope.hlo.parser``) accepts and read
it the same way; anything else (comments other than ``/*index=N*/``,
wrapped lines, single quotes, deeper bracket nesting) fails to match and
goes to the full reader. Quantifiers are possessive so that a failed match
costs one pass over the line; they are compiled as atomic groups
(``hloscope.hlo.atomic``), which every Python 3.11 matches correctly.
"""

from __future__ import annotations

import re

from hloscope.hlo.atomic import compile_atomic
from hloscope.hlo.lexer import NAME
from hloscope.hlo.grammar import CALL_KINDS, ENUM_ATTRIBUTE_NAMES
from hloscope.hlo.values import FAST_PATTERNS

_STR = r'"(?:[^"\\\n]++|\\.)*+"'
# Bracket groups inside a value: strings and one level of braces allowed,
# no comments or deeper brackets (those take the full reader).
_PLAIN = r"(?:[^(){}\[\]\"'\n/]++|" + _STR + r"|\{[^(){}\[\]\"'\n/]*\})*+"
_PLAIN_GROUP = r"\(" + _PLAIN + r"\)|\[" + _PLAIN + r"\]"
# XLA numbers long tuples with /*index=N*/ comments in shapes and operand lists.
_INDEX = r"/\*index=\d+\*/"
_INNER = r"(?:[^{}()\[\]\"'\n/]++|" + _STR + "|" + _PLAIN_GROUP + r"|/(?![/*]))"
_BRACE = r"\{(?:" + _INNER + r"|\{(?:" + _INNER + r"|\{" + _INNER + r"*+\})*+\})*+\}"
_BARE = r"(?:[^\s,{}()\[\]\"'/]++|" + _PLAIN_GROUP + ")++"
_VALUE = "(?:" + _BRACE + "|" + _STR + "|" + _BARE + ")"
# Tuples nest up to three deep here (deeper ones take the full reader). Every
# repetition is possessive: a 1,500-element tuple must not leave 1,500
# backtracking points behind (time and memory).
_TUPLE_TEXT = r"[^=\n%\"/()]++"
_TUPLE = (
    r"\((?:" + _TUPLE_TEXT + r"|\((?:" + _TUPLE_TEXT + r"|\([^=\n%\"/()]*+\)|" + _INDEX + r")*+\)|" + _INDEX + r")*+\)"
)
_SHAPE = r"(?:[a-z][a-z0-9]*\[[0-9,?<=]*+\](?:\{[0-9:][^{}\n]*+\})?|" + _TUPLE + ")"
# A computation's ``(params) -> result``: the result runs to the `` {`` that opens the body.
_SIGNATURE = _TUPLE + r" -> (?:[^\n=%\"/{ ]++|" + _INDEX + r"|\{[0-9:][^{}\n]*+\}| (?!\{))*+"

# Attributes the parser reads at once (the rest stay raw text): called
# computations, enum values XLA checks, control predecessors (defined before?),
# and the attributes checked against the instruction's shape and operands.
SHAPE_COUNT_ATTRIBUTES = ("operand_layout_constraints", "parameter_replication")
EAGER_ATTRIBUTES = (*CALL_KINDS, *ENUM_ATTRIBUTE_NAMES, "control-predecessors", *SHAPE_COUNT_ATTRIBUTES)
_EAGER = "|".join(EAGER_ATTRIBUTES)

# One line of a module, by alternative (``lastindex`` tells which):
# - a plain instruction (lastindex PLAIN_TAIL), the common case: name,
#   ``shape opcode`` (one key for both: ``f32[2]{0} add``), operand names
#   or a plain number (a parameter's, an integer constant's: a quarter of
#   an optimized module's lines, which would otherwise be matched twice),
#   and the rest of the line, attributes that tail_re checks (once per
#   distinct text: lines repeat layer after layer);
# - any other one-line instruction (lastindex TAIL): ROOT, typed operands
#   (``f32[] %a, f32[] %b``), other operand text (constant literals,
#   parameter numbers), an empty group where the attributes start, and a
#   leading ``kind=`` and call attribute as XLA prints fusions
#   (``kind=kLoop, calls=%f``), read here so that the rest of the line
#   repeats;
# - a computation's closing ``}`` (CLOSE);
# - a computation header ``ENTRY name (params) -> shape {`` (ENTRY, NAME, SIGNATURE);
# - a blank line or a ``//`` comment line (no group).
_NAMES = r"%?" + NAME + r"(?:, (?:" + _INDEX + r")?%?" + NAME + r")*+"
_TYPED = r"(?:" + _SHAPE + r" )?%" + NAME + r"(?:, (?:" + _INDEX + r")?(?:" + _SHAPE + r" )?%" + NAME + r")*+"
_FORM = _SHAPE + r" [a-z][a-z0-9\-]*"
# An instruction line's end, unless the next line goes on with its attributes (``\n  , name=...``).
_LINE_END = r"(?:\n(?![ \t]*,)|\Z)"
INSTR_RE = compile_atomic(
    r"[ \t]*%?(" + NAME + r") = (" + _FORM + r")\(((?:" + _NAMES + r")?|[0-9]++)\)"
    r"(?!, (?:kind|calls|to_apply)=)([^\n]*)" + _LINE_END +
    r"|[ \t]*(ROOT )?%?(" + NAME + r") = (" + _FORM + r")\("
    r"(?:((?:" + _NAMES + r")?)|(" + _TYPED + r")|((?:[^()\n]++|\([^()\n]*+\))*+))\)()"
    r"(?:, kind=(kLoop|kInput|kOutput|kCustom))?"
    r"(?:, (calls|to_apply)=%?(" + NAME + r")(?=[,\s]))?"
    r"([^\n]*)" + _LINE_END +
    r"|[ \t]*(\})[ \t\r]*(?:\n|\Z)"
    r"|(ENTRY )?%?(" + NAME + r")(?: (" + _SIGNATURE + r"))? \{[ \t]*\n"
    r"|[ \t\r]*(?://[^\n]*)?\n",
    re.ASCII,
)
# Group numbers: the plain instruction's name, form, operands and rest of the
# line (PLAIN_TAIL); the general one's ROOT, name, form, operands, typed
# operands, other operand text, attributes' start, kind, call kind and target,
# rest of the line (TAIL); CLOSE; a header's ENTRY, name and signature.
PLAIN_TAIL = 4
ROOT, TAIL = 5, 15
ATTRIBUTES = 11
CLOSE = 16
ENTRY, SIGNATURE = 17, 19
# Operand names in typed operands: ``%`` never appears in a shape.
TYPED_NAME_RE = compile_atomic(r"%(" + NAME + ")", re.ASCII)
# The attributes after an instruction's leading ones, to the end of the line, each one an
# opcode takes (``allowed``); group 1 is set when an eager attribute is among them. One pattern
# per set of names (XLA's opcodes have some 50), made on first use: so one match per distinct
# attribute text checks its form and its names at once.
_TAIL_RES: dict[frozenset[str], re.Pattern] = {}


def tail_re(allowed: frozenset[str]) -> re.Pattern:
    """The pattern of attribute texts whose names are all in ``allowed`` (see above)."""
    pattern = _TAIL_RES.get(allowed)
    if pattern is None:
        eager = [name for name in EAGER_ATTRIBUTES if name in allowed]
        # Values of a known kind only as XLA reads them (hloscope.hlo.values); the rest any value.
        kinds = sorted(allowed.intersection(FAST_PATTERNS).difference(eager))
        other = sorted(allowed.difference(eager, kinds), key=len, reverse=True)
        eager_names = "|".join(map(re.escape, eager)) or "(?!)"
        by_pattern: dict[str, list[str]] = {}
        for name in kinds:
            by_pattern.setdefault(FAST_PATTERNS[name], []).append(re.escape(name))
        # Names of one kind share their pattern, and the rest share one any-value pattern: a short pattern
        # to make.
        other_names = "|(?:" + "|".join(map(re.escape, other)) + ")=" if other else ""
        attribute = (
            "(?:(?:(?:" + eager_names + ")=()" + other_names + ")" + _VALUE
            + "".join(f"|(?:{'|'.join(names)})={value}" for value, names in by_pattern.items()) + ")"
        )
        pattern = _TAIL_RES[allowed] = compile_atomic(r"(?:, " + attribute + r")*+[ \t\r]*", re.ASCII)
    return pattern


INDEX_RE = compile_atomic(_INDEX)
# From the start of an attribute list: skip whole attributes up to the next
# eager one, so a ``, calls=`` inside a string value is never taken for one.
NEXT_EAGER_RE = compile_atomic(r"(?:, (?!(?:" + _EAGER + r")=)" + NAME + "=" + _VALUE + r")*+, (" + _EAGER + ")=(" + _VALUE + ")", re.ASCII)
# One ``id "string"`` or ``id {fields}`` line of a FileNames/StackFrames/... section.
SECTION_LINE_RE = compile_atomic(r"[ \t]*([0-9]{1,18}) (" + _STR + r"|\{[^{}\n\"]*\})[ \t\r]*\n")

# Balanced (), [] and {} groups, four deep, holding no strings or comments
# other than /*index=N*/: the values of a module header's attributes as XLA
# prints them (entry_computation_layout={(f32[2]{0})->f32[2]{0}}).
_ATOM = r"[^(){}\[\]\n\"'/]|" + _INDEX
_NESTED = _ATOM
for _ in range(4):
    _GROUP = r"\((?:" + _NESTED + r")*+\)|\[(?:" + _NESTED + r")*+\]|\{(?:" + _NESTED + r")*+\}"
    _NESTED = _ATOM + "|" + _GROUP
_HEADER_VALUE = r"(?:" + _GROUP + r"|[^\s,(){}\[\]\"'/=]++)"
# ``HloModule name, attribute=value, ...`` on one line (1 name, 2 the attributes).
HEADER_RE = compile_atomic(
    r"HloModule[ \t]+(" + NAME + r")((?:, " + NAME + "=" + _HEADER_VALUE + r")*+)[ \t\r]*(?:\n|\Z)", re.ASCII
)
HEADER_ATTRIBUTE_RE = compile_atomic(r", (" + NAME + ")=(" + _HEADER_VALUE + ")", re.ASCII)
