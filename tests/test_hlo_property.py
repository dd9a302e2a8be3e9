"""Any mutation of valid HLO text parses or raises HloParseError: nothing else, no hang.

The deadline is generous (a few seconds per example, against a few
milliseconds typical): it is there to catch a hang or quadratic blow-up, not
to measure speed.
"""

from __future__ import annotations


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hloscope.hlo import HloParseError, parse_hlo, summarize_module
from hlo_mutations import CORPUS, MAX_NESTING, MUTATIONS, SPECIAL


@st.composite
def mutated_texts(draw) -> str:
    text = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 3))):
        text = draw(_mutation(text))
    return text


def _mutation(text: str):
    """The shared mutations (tests/hlo_mutations.py) with arguments drawn by hypothesis."""
    position = st.integers(0, max(len(text), 1) - 1)
    chars = st.sampled_from(SPECIAL) | st.characters()
    args = {
        "truncate": (position,),
        "flip": (position, chars),
        "delete": (position, st.integers(1, 200)),
        "insert": (position, st.sampled_from(SPECIAL)),
        "swap": (st.integers(0, 10_000), st.integers(0, 10_000)),
        "duplicate": (position, st.integers(1, 300), position),
        "nest": (position, st.sampled_from("({["), st.integers(1, MAX_NESTING), st.booleans()),
    }
    return st.one_of(*(st.builds(MUTATIONS[kind], st.just(text), *args[kind]) for kind in MUTATIONS))


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


# Derandomized: the same examples on every run, so the suite's verdict depends on the code alone;
# benchmarks/fuzz_parser.py (same corpus and mutations) explores new ones with --seed.
@settings(
    max_examples=300,
    deadline=5000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_texts())
def test_mutations_parse_or_raise_parse_error(text):
    _parse_or_error(text)


@settings(max_examples=100, deadline=5000, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(SPECIAL + list("abcdefxyz0123456789 ") + ["f32[2]", "x = ", "add("]), max_size=200))
def test_junk_parses_or_raises_parse_error(pieces):
    _parse_or_error("".join(pieces))
