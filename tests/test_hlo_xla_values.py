"""Attribute values and constant literals XLA's parser reads token by token are refused as XLA refuses them.

Windows (``window={size=.. pad=..}``), a pad's ``padding=`` and constant
literals (element counts against the shape, nesting, each element type's
values): each case runs as written (the fast path where it can) and with its
instructions wrapped over lines (the full reader), and must get XLA's own
verdict (``xla_reference.xla_parse``), line, column and message. Cases XLA
accepts are here too: they must stay accepted.
"""

from __future__ import annotations

import pytest

from hloscope.hlo import HloParseError, parse_hlo
from xla_reference import xla_parse, xla_place


def _module(*lines: str) -> str:
    return "HloModule m\n\nENTRY e {\n" + "".join(f"  {line}\n" for line in lines) + "}\n"


def _wrapped(text: str) -> str:
    # Each instruction's operands and attributes over lines: only the full reader takes them.
    return text.replace(", ", ",\n      ").replace("(", "(\n      ", 1)


def _convolution(window: str) -> str:
    return _module(
        "a = f32[1,2,1] parameter(0)", "b = f32[1,1,1] parameter(1)",
        f"ROOT c = f32[1,2,1] convolution(a, b), window={window}, dim_labels=b0f_0io->b0f",
    )


def _pad(padding: str) -> str:
    return _module("a = f32[3] parameter(0)", "z = f32[] constant(0)", f"ROOT p = f32[3] pad(a, z), padding={padding}")


WINDOWS = {
    "a window pad of three numbers": _convolution("{pad=1_1_0 size=1}"),
    "a window pad of one number": _convolution("{size=1 pad=1}"),
    "a window pad ending in a word": _convolution("{size=1 pad=0_0_-1}"),
    "a window pad longer than its size": _convolution("{size=1 pad=1_1x2_2}"),
    "a window stride longer than its size": _convolution("{size=1 stride=1x1}"),
    "a window dilation without a size": _convolution("{lhs_dilate=2}"),
    "a window sub-attribute XLA does not know": _convolution("{size=1 foo=1}"),
    "a window sub-attribute twice": _convolution("{size=1 pad=1_1 pad=2_2}"),
    "window sub-attributes separated by a comma": _convolution("{size=1,pad=0_0}"),
    "a window size that is no number": _convolution("{size=a}"),
    "a window size that is a decimal": _convolution("{size=1.5}"),
    "windows as XLA reads them": _module(
        "a = f32[1,2,1] parameter(0)", "b = f32[1,1,1] parameter(1)", "z = f32[] constant(0)",
        "c = f32[1,2,1] convolution(a, b), window={size=1 stride=1 pad=-1_-1 lhs_dilate=1 rhs_dilate=1 rhs_reversal=0}, "
        "dim_labels=b0f_0io->b0f",
        "ROOT r = f32[1,2,1] reduce-window(c, z), window={size=1x1x1 pad=0_0x1_1x0_0 stride=1x1x1}, to_apply={\n"
        "  x = f32[] parameter(0)\n  y = f32[] parameter(1)\n  ROOT s = f32[] add(x, y)\n}",
    ),
    "an empty window": _convolution("{}"),
    "a padding that is no pad pattern": _pad("1"),
    "a padding as XLA reads it": _pad("0_0_1"),
    "a padding of two numbers": _pad("-1_2"),
}

CASES = {**WINDOWS}
TEXTS = [(f"{name} ({form})", text) for name, plain in CASES.items() for form, text in (("as written", plain), ("wrapped", _wrapped(plain)))]


@pytest.fixture(scope="module")
def xla_verdicts() -> dict[str, dict]:
    texts = [text for _, text in TEXTS]
    return dict(zip(texts, xla_parse(texts)))


@pytest.mark.parametrize("name,text", TEXTS, ids=[name for name, _ in TEXTS])
def test_read_as_xla_reads_it(xla_verdicts, name, text):
    theirs = xla_verdicts[text]
    assert theirs["ok"] or theirs["line"] is not None, (name, theirs["message"])  # XLA answered, no crash
    try:
        parse_hlo(text)
    except HloParseError as exc:
        assert not theirs["ok"], (name, str(exc))
        assert (exc.line, exc.column) == xla_place(theirs), (name, theirs["message"], str(exc))
        assert str(exc).startswith(theirs["message"]), (name, theirs["message"], str(exc))
    else:
        assert theirs["ok"], (name, theirs["message"])
