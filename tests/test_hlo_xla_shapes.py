"""Shapes XLA's parser requires to agree are checked as it checks them.

A computation's written result shape against its root's, an operand's
written shape against its producer's, ``parameter_replication`` against the
parameter's leaf buffers and a custom-call's ``operand_layout_constraints``
against its operands: each case runs as written (the fast path where it can)
and wrapped over lines (the full reader), with XLA's own verdict, line,
column and message (``xla_reference.xla_parse``); so are a layout's order against the rank and the
items of a tuple shape, also in the shapes attributes hold (entry layout, outfeed shape, constraints). "Compatible" leaves
layouts and dynamic bounds aside, as XLA does: those cases must stay accepted.
"""

from __future__ import annotations

import pytest

from test_hlo_xla_values import _module
from xla_reference import as_written_and_wrapped, assert_read_as_xla, verdicts_by_text


def _signature(params: str, result: str, *lines: str) -> str:
    return _module(*lines).replace("ENTRY e {", f"ENTRY e ({params}) -> {result} {{")


CALLED = "HloModule m\n\nf (x: f32[]) -> s32[] {\n  ROOT x = f32[] parameter(0)\n}\n\n" + _module(
    "p = f32[] parameter(0)", "ROOT c = f32[] call(p), to_apply=f"
).replace("HloModule m\n\n", "")


def _custom_call(constraints: str) -> str:
    return _module(
        "p0 = f32[42,2,3] parameter(0)", "p1 = f32[123,4] parameter(1)",
        f'ROOT c = f32[1,2,3]{{0,1,2}} custom-call(p0, p1), custom_call_target="baz", operand_layout_constraints={constraints}',
    )


def _entry_layout(layout: str) -> str:
    return _module("p = f32[2,3] parameter(0)", "ROOT r = f32[2,3] abs(p)").replace(
        "HloModule m", f"HloModule m, entry_computation_layout={layout}", 1
    )


def _outfeed(shape: str, outfeed_shape: str) -> str:
    return _module(
        "t = token[] after-all()", f"p = {shape} parameter(0)",
        f'ROOT o = token[] outfeed(p, t), outfeed_shape={outfeed_shape}, outfeed_config="x"',
    )


CASES = {
    # A computation's written result shape and its root's.
    "a result shape of other dimensions than the root's": _signature("p: f32[2]", "f32[3]", "ROOT p = f32[2] parameter(0)"),
    "a result shape of another element type than the root's": _signature("p: f32[2]", "bf16[2]", "ROOT p = f32[2] parameter(0)"),
    "a tuple result shape unlike the root's": _signature(
        "p: f32[2]", "(f32[2], f32[])", "p = f32[2] parameter(0)", "c = f32[] constant(0)", "ROOT t = (f32[2], f32[3]) tuple(p, c)"
    ),
    "a called computation's result shape unlike its root's": CALLED,
    "result shapes as XLA takes them": _signature(
        "p: f32[2,3]", "(f32[2,3]{0,1}, f32[<=2])", "p = f32[2,3]{1,0} parameter(0)", "q = f32[2] constant({1, 2})",
        "ROOT t = (f32[2,3], f32[2]{0}) tuple(p, q)",
    ),
    "a root whose shape XLA infers": _signature(
        "", "s32[2,3]", "c0 = f32[3]{0} constant({1, 2, 3})", "c1 = s32[2,3]{1,0} constant({{1, 2, 3}, {4, 5, 6}})",
        "t = tuple(c0, c1)", "ROOT g = get-tuple-element(t), index=1",
    ),
    # An operand's written shape and its producer's.
    "an operand written with other dimensions": _module("p = f32[2,2] parameter(0)", "ROOT a = f32[2,2] negate(f32[2,5] p)"),
    "an operand written with another element type": _module("p = f32[2,2] parameter(0)", "ROOT a = f32[2,2] negate(s32[2,2] p)"),
    "a second operand written with another shape": _module("p = f32[2] parameter(0)", "ROOT a = f32[2] add(f32[2] p, f32[3] p)"),
    "an operand of a nested instruction written with another shape": _module(
        "p = f32[2] parameter(0)", "ROOT a = f32[2] add(f32[2] p, f32[2] sqrt(f32[3] p))"
    ),
    "a tuple operand written with another shape": _module(
        "p = (f32[2], s32[]) parameter(0)", "ROOT a = f32[2] get-tuple-element((f32[2], s32[3]) p), index=0"
    ),
    "operands written as XLA takes them": _module(
        "p = f32[2,2]{1,0} parameter(0)", "q = f32[2,2] negate(f32[2,2]{0,1} p)", "ROOT a = f32[2,2] add(f32[<=2,2] p, f32[2,2] q)"
    ),
    # parameter_replication: one boolean per leaf buffer of the parameter's shape.
    "parameter_replication longer than the leaf buffers": _module(
        "ROOT p = (f32[3,5], f32[]) parameter(0), parameter_replication={true,false,true}"
    ),
    "parameter_replication shorter than the leaf buffers": _module("ROOT p = (f32[3,5], f32[]) parameter(0), parameter_replication={true}"),
    "parameter_replication for an array": _module("ROOT p = f32[3,5] parameter(0), parameter_replication={true,false}"),
    "parameter_replication for an empty tuple": _module("ROOT p = () parameter(0), parameter_replication={true}"),
    "parameter_replication before another instruction": _module(
        "p = f32[3] parameter(0), parameter_replication={}", "ROOT n = f32[3] negate(p)"
    ),
    "parameter_replication as XLA takes it": _module(
        "p = ((f32[3,5], f32[]), s32[]) parameter(0), parameter_replication={true,false,true}",
        "ROOT q = f32[] parameter(1), parameter_replication={false}, sharding={replicated}",
    ),
    # operand_layout_constraints: one shape per operand, compatible with it.
    "fewer operand layout constraints than operands": _custom_call("{f32[42,2,3]{0,1,2}}"),
    "an operand layout constraint unlike its operand": _custom_call("{f32[42,2,3]{0,1,2}, f32[555,5]{1,0}}"),
    "operand layout constraints as XLA takes them": _custom_call("{f32[42,2,3]{0,1,2}, f32[123,4]{0,1}}"),
    "operand layout constraints without layouts": _custom_call("{f32[42,2,3], f32[123,4]}"),
    # A layout's order as long as the rank (XLA checks it where the shape ends), an item of a tuple shape
    # followed by ',' or ')' ('{}' opens no layout), and a typed operand whose shape fails, refused where it starts.
    "a layout order shorter than the rank": _module("ROOT p = f32[2,3]{0} parameter(0)"),
    "a layout order longer than the rank": _module("ROOT p = f32[2,3]{0,1,2} parameter(0)"),
    "a layout order on a scalar": _module("ROOT p = f32[]{0} parameter(0)"),
    "a tiled layout with no order": _module("ROOT p = f32[2]{:T(128)} parameter(0)"),
    "a tiled layout order shorter than the rank": _module("ROOT p = f32[2,3]{0:T(2,128)} parameter(0)"),
    "a layout order shorter than the rank in a tuple": _module("ROOT p = (f32[2,3]{0}, s32[]) parameter(0)"),
    "a constant's layout order shorter than the rank": _module("ROOT c = f32[2,2]{0} constant({{1,2},{3,4}})"),
    "layout orders as XLA takes them": _module(
        "p = (f32[2,3]{0,1}, s32[]{:T(128)}, f32[4]{0:T(4)}) parameter(0)", "ROOT c = f32[2,2]{1,0} constant({{1,2},{3,4}})"
    ),
    "an empty layout after a scalar in a tuple": _module("ROOT p = (f32[2,3]{0,1}, s32[]{}) parameter(0)"),
    "two shapes without a comma in a tuple": _module("ROOT p = (f32[2,3] s32[]) parameter(0)"),
    "an operand whose layout order is shorter than its rank": _module(
        "p = f32[2,3] parameter(0)", "ROOT r = f32[2,3] abs(f32[2,3]{0} p)"
    ),
    "an operand whose tuple shape lacks a comma": _module(
        "p = (f32[2,3], s32[]) parameter(0)", "ROOT r = f32[2,3] get-tuple-element((f32[2,3] s32[]) p), index=0"
    ),
    "an operand whose dimensions end with a comma": _module("p = f32[2,3] parameter(0)", "ROOT r = f32[2,3] abs(f32[2,] p)"),
    # Shapes inside attributes are read as XLA reads shapes: the header's entry layout, an outfeed's shape,
    # operand layout constraints.
    "an entry layout parameter whose layout order is shorter than its rank": _entry_layout("{(f32[2,3]{0})->f32[2,3]{1,0}}"),
    "an entry layout result whose layout order is longer than its rank": _entry_layout(
        "{(f32[2,3]{1,0})->(f32[2,3]{1,0}, f32[2]{0,1})}"
    ),
    "an entry layout shape with an empty dimension": _entry_layout("{(f32[2,]{1,0})->f32[2,3]{1,0}}"),
    "an entry layout with a dim level type XLA does not know": _entry_layout("{(f32[2,3]{1,0:D(X)})->f32[2,3]{1,0}}"),
    "an entry layout as XLA takes it": _entry_layout(
        "{(f32[2,3]{0,1}, /*index=1*/(s32[], f32[4]{0:T(4)}))->f32[2,3]{1,0}}"
    ),
    "an outfeed shape whose layout order is shorter than its rank": _outfeed("f32[2,3]", "f32[2,3]{0}"),
    "an outfeed tuple shape with a layout order on a scalar": _outfeed("(f32[2,3], s32[])", "(f32[2,3]{1,0}, s32[]{0})"),
    "an outfeed shape with an empty dimension": _outfeed("f32[2,3]", "f32[2,]{1,0}"),
    "an outfeed shape as XLA takes it": _outfeed("(f32[2,3], s32[])", "(f32[2,3]{0,1}, s32[])"),
    "an operand layout constraint whose layout order is shorter than its rank": _custom_call(
        "{f32[42,2,3]{0,1}, f32[123,4]{0,1}}"
    ),
    "an operand layout constraint followed by an empty layout": _custom_call("{f32[42,2,3]{0,1,2}, f32[123,4]{}}"),
}
TEXTS = as_written_and_wrapped(CASES)


@pytest.fixture(scope="module")
def xla_verdicts() -> dict[str, dict]:
    return verdicts_by_text(TEXTS)


@pytest.mark.parametrize("name,text", TEXTS, ids=[name for name, _ in TEXTS])
def test_shapes_agree_as_xla_requires(xla_verdicts, name, text):
    assert_read_as_xla(name, text, xla_verdicts[text])
