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
from xla_reference import as_written_and_wrapped, assert_read_as_xla, verdicts_by_text, xla_parse


def _module(*lines: str) -> str:
    return "HloModule m\n\nENTRY e {\n" + "".join(f"  {line}\n" for line in lines) + "}\n"


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


def _constant(shape: str, literal: str) -> str:
    return _module(f"ROOT c = {shape} constant({literal})")


def _constants(*lines: str) -> str:
    # Several constants, the last one the root: "s8[]; -128" -> "c0 = s8[] constant(-128)".
    body = [f"c{i} = {line.split('; ')[0]} constant({line.split('; ')[1]})" for i, line in enumerate(lines)]
    return _module(*body[:-1], "ROOT " + body[-1])


LITERALS = {
    # Nesting and element counts against the shape's dimensions.
    "a literal with a row too short": _constant("f32[2,3]", "{{1, 2}, {4, 5, 6}}"),
    "a literal with a row too many": _constant("f32[2,3]", "{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}"),
    "a literal with an element too many": _constant("f32[2]", "{1, 2, 3}"),
    "a literal with an element too few": _constant("f32[2]", "{1}"),
    "a literal nested deeper than its rank": _constant("f32[2]", "{1, {2}}"),
    "a flat literal for a rank-2 shape": _constant("f32[2,3]{1,0}", "{1, 2, 3, 4, 5, 6}"),
    "a literal closed before it opens": _constant("f32[2,3]", "}{1, 2, 3}, {4, 5, 6}}"),
    "a braced scalar": _constant("f32[]", "{1}"),
    "an elided scalar": _constant("f32[]", "{...}"),
    "an elided row": _constant("f32[2,3]", "{{...}, {...}}"),
    "values after an elided literal": _constant("f32[2]", "{..., 1}"),
    "a second value after a scalar": _constant("f32[]", "1 2"),
    "a second value after a scalar for an array": _constant("f32[2]", "1 2"),
    "a literal with a brace too many": _constant("f32[2]", "{1, 2}}"),
    "a word in a literal": _constant("s32[]", "abc"),
    "a decimal without a leading digit": _constant("f32[]", ".5"),
    "a value with a plus sign": _constant("f32[]", "+1"),
    "an empty literal": _constant("s32[]", ""),
    # Integers: within the type's range, written as integers.
    "an s8 past its range": _constant("s8[]", "128"),
    "an s8 below its range": _constant("s8[2]", "{0, -129}"),
    "a negative u8": _constant("u8[]", "-1"),
    "a u4 past its range": _constant("u4[]", "16"),
    "an s2 past its range": _constant("s2[]", "2"),
    "a u32 past its range": _constant("u32[]", "4294967296"),
    "a decimal for an s32": _constant("s32[]", "1.5"),
    "inf for an s32": _constant("s32[]", "-inf"),
    "a decimal for a pred": _constant("pred[]", "1.0"),
    "an integer past 64 bits": _constant("s64[]", "18446744073709551616"),
    # Floats: within the type's finite range once rounded; NaN payloads that fit.
    "an f16 that rounds past its range": _constant("f16[]", "-65520"),
    "an f32 past its range": _constant("f32[]", "1e39"),
    "an f32 that rounds past its range": _constant("f32[]", "3.40282357e38"),
    "a bf16 past its range": _constant("bf16[]", "3.4e38"),
    "an f8e4m3fn past its range": _constant("f8e4m3fn[]", "470"),
    "an f8e5m2 that rounds past its range": _constant("f8e5m2[]", "61440"),
    "an f8e4m3fnuz that rounds past its range": _constant("f8e4m3fnuz[]", "248"),
    "an f8e4m3b11fnuz past its range": _constant("f8e4m3b11fnuz[]", "31"),
    "an f8e3m4 past its range": _constant("f8e3m4[]", "16"),
    "an f8e8m0fnu of zero": _constant("f8e8m0fnu[]", "0"),
    "an f8e8m0fnu past its range": _constant("f8e8m0fnu[]", "3e38"),
    "a decimal past a double's range": _constant("f64[]", "1e309"),
    "a bf16 NaN payload too wide": _constant("bf16[1]{0}", "{nan(0x3ff)}"),
    "an f16 NaN payload too wide": _constant("f16[]", "nan(0x400)"),
    "a NaN payload for a type without payloads": _constant("f8e4m3fn[]", "nan(0x1)"),
    "a NaN payload of zero": _constant("f32[]", "nan(0)"),
    # Complex values: (real, imaginary) pairs, each part within the part type's range.
    "a c64 real part past its range": _constant("c64[]", "(1e100, 0)"),
    "a c64 imaginary part past its range": _constant("c64[2]", "{(0, 0), (0, -1e39)}"),
    "a c64 NaN payload too wide": _constant("c64[]", "(nan(0x800000), 0)"),
    "a complex value without its comma": _constant("c64[]", "(1 2)"),
    "a complex value of three parts": _constant("c64[]", "(1, 2, 3)"),
    "a complex part that is no number": _constant("c64[]", "(1, b)"),
    "a plain number for a complex type": _constant("c64[]", "1"),
    "parentheses for a real type": _constant("f32[]", "(1, 2)"),
    # Tuples: one literal per element, in parentheses.
    "a tuple literal short of an element": _constant("(f32[], s32[])", "(1)"),
    "a tuple literal with an element too many": _constant("(f32[], s32[])", "(1, 2, 3)"),
    "a tuple literal without parentheses": _constant("(f32[], s32[])", "1"),
    "a nested tuple literal short of an element": _constant("(f32[], (s32[], s32[]))", "(1, (2))"),
    # What XLA reads: every element type at the edges of its range, and the forms XLA prints or takes.
    "integers at the edges of their ranges": _constants(
        "pred[4]; {true, false, 0, 5}", "s1[2]; {-1, 0}", "s2[2]; {-2, 1}", "s4[2]; {-8, 7}", "s8[2]; {-128, 127}",
        "s16[2]; {-32768, 32767}", "s32[2]; {-2147483648, 2147483647}", "s64[2]; {-9223372036854775808, 18446744073709551615}",
        "u1[2]; {0, 1}", "u2[]; 3", "u4[]; 15", "u8[]; 255", "u16[]; 65535", "u32[]; 4294967295", "u64[2]; {-1, 18446744073709551615}",
        "s32[2]; {01, -0}",
    ),
    "floats at the edges of their ranges": _constants(
        "f16[3]; {65519, -65504, 1e-10}", "bf16[]; 3.39e38", "f32[3]; {3.4028235e38, -inf, inf}", "f64[2]; {1e308, -.5e-3}",
        "f8e5m2[]; 57344", "f8e4m3[]; 247", "f8e3m4[]; 15.5", "f8e4m3fn[3]; {464, nan, inf}", "f8e4m3fnuz[]; 247",
        "f8e4m3b11fnuz[]; 30", "f8e5m2fnuz[]; 61439", "f4e2m1fn[3]; {7, -100, nan}", "f8e8m0fnu[3]; {1e-40, 2.5e38, 1}",
        "f32[3]; {5., 1E3, 18446744073709551615}",
    ),
    "NaN payloads that fit": _constants(
        "f32[3]; {nan, -nan, nan(0x7fffff)}", "f16[]; nan(0x3ff)", "bf16[]; -nan(0x7f)", "f8e5m2[]; nan(0x3)",
        "f8e4m3[]; nan(0x7)", "f8e3m4[]; nan(0xf)", "f64[]; nan(0xfffffffffffff)", "f8e4m3fn[]; nan(0x8000000000000)",
    ),
    "complex values": _constants(
        "c64[2]; {(1, 2), (nan, inf)}", "c64[]; (nan(0x3ff), 1e38)", "c128[]; (1e308, -1e308)", "c64[2]; {...}",
    ),
    "tuple literals": _constants(
        "(f32[2], (s32[], pred[])); ({1, 2}, (3, true))", "(); ()", "(f32[], s32[]); ()", "(f32[], s32[]); (1 2)",
    ),
    "array literals as XLA prints and reads them": _constants(
        "f32[2,3]{1,0}; {{1, 2, 3}, {4, 5, 6}}", "f32[2,3]; {...}", "f32[2]; {...}", "f32[2]; 1", "f32[2,3]; 1", "f32[0]; {}",
        "f32[2,0]; {{}, {}}", "f32[0,2]; {}", "f32[2]; {,1,,2,}", "f32[2]; {1 2}", "f32[2]; {1, /* two */ 2}",
        "f32[<=2]; {1, 2}", "f32[]; -inf",
    ),
}

CASES = {**WINDOWS, **LITERALS}
TEXTS = as_written_and_wrapped(CASES)


@pytest.fixture(scope="module")
def xla_verdicts() -> dict[str, dict]:
    return verdicts_by_text(TEXTS)


@pytest.mark.parametrize("name,text", TEXTS, ids=[name for name, _ in TEXTS])
def test_read_as_xla_reads_it(xla_verdicts, name, text):
    assert_read_as_xla(name, text, xla_verdicts[text])


# XLA aborts the process on these (no message, no place): hloscope refuses them where the literal goes wrong.
ABORTS = {
    "true for an s32": (_constant("s32[]", "true"), (4, 27)),
    "false in an f32 array": (_constant("f32[2]", "{1, false}"), (4, 32)),
    "a token constant": (_constant("token[]", "0"), (4, 29)),
    "an opaque constant in a tuple": (_constant("(f32[], opaque[])", "(1, 0)"), (4, 43)),
}


@pytest.mark.parametrize("name", list(ABORTS))
def test_refused_where_xla_aborts(name):
    text, place = ABORTS[name]
    (theirs,) = xla_parse([text])
    assert not theirs["ok"] and theirs["line"] is None, (name, theirs)
    with pytest.raises(HloParseError) as caught:
        parse_hlo(text)
    assert (caught.value.line, caught.value.column) == place
    assert "XLA aborts on it" in str(caught.value)
