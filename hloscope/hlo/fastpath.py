"""The one-line fast path: regular expressions for HLO as XLA prints it.

``INSTR_RE`` matches a whole instruction line, a computation header line, a
closing brace or a blank line. They accept a subset of what the full
reader (``hloscope.hlo.lexer`` and ``hloscope.hlo.parser``) accepts and read
it the same way; anything else (comments other than ``/*index=N*/``,
wrapped lines, single quotes, deeper bracket nesting) fails to match and
goes to the full reader. Quantifiers are possessive so that a failed match
costs one pass over the line.
"""

from __future__ import annotations

import re

from hloscope.hlo.lexer import NAME
from hloscope.hlo.grammar import CALL_KINDS, ENUM_ATTRIBUTE_NAMES

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
# computations, and enum values XLA checks.
EAGER_ATTRIBUTES = (*CALL_KINDS, *ENUM_ATTRIBUTE_NAMES)
_EAGER = "|".join(EAGER_ATTRIBUTES)

# One line of a module, by alternative (``lastindex`` tells which):
# - an instruction (lastindex TAIL_GROUP): 1 ROOT, 2 name, 3 shape, 4
#   opcode, 5 operand names, 6 other operand text, 7 (empty) where the
#   attributes start, 8 a leading ``kind=`` value, 9 and 10 the kind and
#   target of a leading call attribute (``kind=kLoop, calls=%f`` as XLA
#   prints fusions), 11 the rest of the line: more attributes, which
#   TAIL_RE checks (once per distinct text: lines repeat layer after layer);
# - a computation's closing ``}`` (12);
# - a computation header ``ENTRY name (params) -> shape {`` (13 ENTRY, 14
#   name, 15 signature);
# - a blank line (no group).
INSTR_RE = re.compile(
    r"[ \t]*(ROOT )?%?(" + NAME + r") = (" + _SHAPE + r") ([a-z][a-z0-9\-]*)\("
    r"(?:((?:%?" + NAME + r"(?:, (?:" + _INDEX + r")?%?" + NAME + r")*+)?)|((?:[^()\n]++|\([^()\n]*+\))*+))\)()"
    r"(?:, kind=(kLoop|kInput|kOutput|kCustom))?"
    r"(?:, (calls|to_apply)=%?(" + NAME + r")(?=[,\s]))?"
    r"([^\n]*)(?:\n|\Z)"
    r"|[ \t]*(\})[ \t\r]*(?:\n|\Z)"
    r"|(ENTRY )?%?(" + NAME + r")(?: (" + _SIGNATURE + r"))? \{[ \t]*\n"
    r"|[ \t\r]*\n",
    re.ASCII,
)
TAIL_GROUP = 11
CLOSE_GROUP = 12
# The attributes after an instruction's leading ones, to the end of the
# line; group 1 is set when an eager attribute is among them.
TAIL_RE = re.compile(r"(?:, (?:(?:" + _EAGER + r")=()|" + NAME + "=)" + _VALUE + r")*+[ \t\r]*", re.ASCII)
INDEX_RE = re.compile(_INDEX)
# From the start of an attribute list: skip whole attributes up to the next
# eager one, so a ``, calls=`` inside a string value is never taken for one.
NEXT_EAGER_RE = re.compile(r"(?:, (?!(?:" + _EAGER + r")=)" + NAME + "=" + _VALUE + r")*+, (" + _EAGER + ")=(" + _VALUE + ")", re.ASCII)
# One ``id "string"`` or ``id {fields}`` line of a FileNames/StackFrames/... section.
SECTION_LINE_RE = re.compile(r"[ \t]*([0-9]{1,18}) (" + _STR + r"|\{[^{}\n\"]*\})[ \t\r]*\n")
