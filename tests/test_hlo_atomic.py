"""The fast path's possessive quantifiers, compiled as atomic groups, match as the re documentation says."""

import re

import pytest

from hloscope.hlo import fastpath
from hloscope.hlo.atomic import atomic, compile_atomic

POSSESSIVE = re.compile(r"(?<!\\)(?:[*+?]|\{[0-9,]+\})\+")


def test_the_cpython_possessive_bug_case_does_not_match():
    # CPython gh-106052: 3.11.0-3.11.4 match this possessive pattern; (?>(?:ab?c)*) never does.
    assert compile_atomic("(?:ab?c)*+").fullmatch("a") is None
    assert compile_atomic("(?:ab?c)*+").fullmatch("acabc") is not None


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("a*+b", "(?>a*)b"),
        ("[]a]++", "(?>[]a]+)"),
        (r"\d?+x", r"(?>\d?)x"),
        ("(?P<n>ab){1,3}+", "(?>(?P<n>ab){1,3})"),
        ("a*?b+c", "a*?b+c"),
        (r'"(?:[^"\\]++|\\.)*+"', r'"(?>(?:(?>[^"\\]+)|\\.)*)"'),
    ],
)
def test_atomic_rewrites_only_possessive_quantifiers(pattern, expected):
    assert atomic(pattern) == expected


def test_unbalanced_patterns_are_refused():
    with pytest.raises(ValueError):
        atomic("(a")
    with pytest.raises(ValueError):
        atomic("a)")


def test_no_fast_path_pattern_keeps_a_possessive_quantifier():
    patterns = [value for value in vars(fastpath).values() if isinstance(value, re.Pattern)]
    assert len(patterns) >= 5
    assert [p.pattern for p in patterns if POSSESSIVE.search(p.pattern)] == []
    assert any("(?>" in p.pattern for p in patterns)
