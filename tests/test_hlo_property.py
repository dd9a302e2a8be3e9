"""Any mutation of valid HLO text parses or raises HloParseError: nothing else, no hang.

The deadline is generous (a few seconds per example, against a few
milliseconds typical): it is there to catch a hang or quadratic blow-up, not
to measure speed.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hloscope.hlo import HloParseError, parse_hlo, summarize_module

CASES = Path(__file__).parent / "hlo_cases"
CORPUS = [p.read_text() for p in sorted(CASES.glob("*.hlo"))]
TOKEN_RE = re.compile(r"%?[\w.\-]+|[^\w\s]")
SPECIAL_CHARS = list("{}()[],=%\"'/*:<>-.?\n\t\\ ") + [
    "\x00", "\u00e9", "\ufffd", "\u00b2", "\u0663", "\u2028",
    "ROOT", "ENTRY", "->", "/*", "//", "9" * 5000,
]


@st.composite
def mutated_texts(draw) -> str:
    text = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 3))):
        text = draw(_mutation(text))
    return text


def _mutation(text: str):
    n = max(len(text), 1)
    position = st.integers(0, n - 1)
    tokens = [m.span() for m in TOKEN_RE.finditer(text)]

    def truncate(i):
        return text[:i]

    def flip(i, ch):
        return text[:i] + ch + text[i + 1 :]

    def delete(i, length):
        return text[:i] + text[i + length :]

    def insert(i, piece):
        return text[:i] + piece + text[i:]

    def swap(a, b):
        if not tokens:
            return text
        (s1, e1), (s2, e2) = sorted([tokens[a % len(tokens)], tokens[b % len(tokens)]])
        if e1 > s2:
            return text
        return text[:s1] + text[s2:e2] + text[e1:s2] + text[s1:e1] + text[e2:]

    def duplicate(i, length, j):
        return text[:j] + text[i : i + length] + text[j:]

    def nest(i, opener, depth, closed):
        closer = {"(": ")", "{": "}", "[": "]"}[opener]
        return text[:i] + opener * depth + (closer * depth if closed else "") + text[i:]

    chars = st.sampled_from(SPECIAL_CHARS) | st.characters()
    return st.one_of(
        st.builds(truncate, position),
        st.builds(flip, position, chars),
        st.builds(delete, position, st.integers(1, 200)),
        st.builds(insert, position, st.sampled_from(SPECIAL_CHARS)),
        st.builds(swap, st.integers(0, 10_000), st.integers(0, 10_000)),
        st.builds(duplicate, position, st.integers(1, 300), position),
        st.builds(nest, position, st.sampled_from("({["), st.integers(1, 3000), st.booleans()),
    )


def _parse_or_error(text: str) -> None:
    try:
        module = parse_hlo(text)
    except HloParseError as error:
        assert error.line >= 1 and error.column >= 1
        str(error)
        return
    # What parses can be analysed too.
    summarize_module(module)
    for computation in module.computations.values():
        for inst in computation.instructions:
            inst.attributes


@settings(max_examples=300, deadline=5000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_texts())
def test_mutations_parse_or_raise_parse_error(text):
    _parse_or_error(text)


@settings(max_examples=100, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(SPECIAL_CHARS + list("abcdefxyz0123456789 ") + ["f32[2]", "x = ", "add("]), max_size=200))
def test_junk_parses_or_raises_parse_error(pieces):
    _parse_or_error("".join(pieces))
