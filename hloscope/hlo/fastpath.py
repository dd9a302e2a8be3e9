"""The one-line fast path: regular expressions for HLO as XLA prints it.

``INSTR_RE`` matches a whole instruction line, attributes included, and
``COMP_RE`` a computation header line. They accept a subset of what the full
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
_ATTR = r", (" + NAME + r")=(" + _VALUE + ")"
_SHAPE = (
    r"(?:[a-z][a-z0-9]*\[[0-9,?<=]*\](?:\{[0-9:][^{}\n]*\})?|\((?:[^=\n%\"/]|" + _INDEX + r")*?\))"
)

INSTR_RE = re.compile(
    r"[ \t]*(ROOT )?%?(" + NAME + r") = (" + _SHAPE + r") ([a-z][a-z0-9\-]*)\("
    r"(?:((?:%?" + NAME + r"(?:, (?:" + _INDEX + r")?%?" + NAME + r")*)?)|((?:[^()\n]|\([^()\n]*\))*))\)"
    r"((?:, " + NAME + "=" + _VALUE + r")*+)[ \t\r]*(?:\n|\Z)",
    re.ASCII,
)
ATTR_RE = re.compile(_ATTR, re.ASCII)
INDEX_RE = re.compile(_INDEX)
# Attributes the parser reads at once (the rest stay raw text): called
# computations, and enum values XLA checks.
EAGER_ATTRIBUTES = (*CALL_KINDS, *ENUM_ATTRIBUTE_NAMES)
_EAGER = "|".join(EAGER_ATTRIBUTES)
EAGER_HINT_RE = re.compile(r", (?:" + _EAGER + ")=")
# From the start of an attribute list: skip whole attributes up to the next
# eager one, so a ``, calls=`` inside a string value is never taken for one.
NEXT_EAGER_RE = re.compile(r"(?:, (?!(?:" + _EAGER + r")=)" + NAME + "=" + _VALUE + r")*+, (" + _EAGER + ")=(" + _VALUE + ")", re.ASCII)
COMP_RE = re.compile(
    r"(ENTRY )?%?(" + NAME + r")(?: (\((?:[^\n=%\"/]|" + _INDEX + r")*\) -> (?:[^\n=%\"/]|" + _INDEX + r")*?))?"
    r" \{[ \t]*\n",
    re.ASCII,
)
CLOSE_RE = re.compile(r"[ \t]*\}[ \t\r]*(?:\n|\Z)")
