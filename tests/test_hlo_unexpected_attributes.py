"""Attributes an opcode does not take are refused as XLA refuses them.

XLA's parser (run out of process by ``xla_reference``) is the reference: for
every opcode (and the async forms), a made-up attribute fails with XLA's
message, which lists the attributes the opcode takes, at XLA's line and
column; so do real attribute names on the wrong opcode. Each text runs on the
one-line form (the fast path, whose memo of attribute texts is per opcode)
and wrapped over lines (the full reader).
"""

from __future__ import annotations

import pytest

from hloscope.hlo import HloParseError, parse_hlo
from hloscope.hlo.grammar import OPCODES, OPERAND_COUNTS
from xla_reference import xla_parse, xla_place

MODULE = """HloModule m

add {
  a = f32[] parameter(0)
  b = f32[] parameter(1)
  ROOT s = f32[] add(a, b)
}

ENTRY main {
  p = f32[2] parameter(0)
  q = f32[2] parameter(1)
  c = pred[] parameter(2)
  i = s32[] parameter(3)
  f = f32[] parameter(4)
INSTRUCTIONS
}
"""
ASYNC_SHAPE = "((f32[2]), f32[2], u32[])"
# Instructions XLA reads up to their attributes, where a made-up count or shape would not do.
SPECIAL = {
    "constant": "ROOT x = f32[] constant(1)",
    "parameter": "ROOT x = f32[] parameter(5)",
    "tuple": "ROOT x = (f32[2]) tuple(p)",
    "conditional (pred)": "ROOT x = f32[] conditional(c, p, q), true_computation=add, false_computation=add",
    "conditional (s32)": "ROOT x = f32[] conditional(i, p, q), branch_computations={add, add}",
    "async-start": f"ROOT x = {ASYNC_SHAPE} async-start(p), calls=add",
    "async-update": f"s = {ASYNC_SHAPE} negate-start(p)\n  ROOT x = {ASYNC_SHAPE} async-update(s)",
    "async-done": f"s = {ASYNC_SHAPE} negate-start(p)\n  ROOT x = f32[2] async-done(s)",
    "negate-start": f"ROOT x = {ASYNC_SHAPE} negate-start(p)",
    "negate-update": f"s = {ASYNC_SHAPE} negate-start(p)\n  ROOT x = {ASYNC_SHAPE} negate-update(s)",
    "negate-done": f"s = {ASYNC_SHAPE} negate-start(p)\n  ROOT x = f32[2] negate-done(s)",
    "exponential-start": f"ROOT x = {ASYNC_SHAPE} exponential-start(p)",
    "all-to-all-start": f"ROOT x = {ASYNC_SHAPE} all-to-all-start(p)",
    "custom-call-start": f'ROOT x = {ASYNC_SHAPE} custom-call-start(p), custom_call_target="t"',
    "conditional-start (pred)": (
        "ROOT x = ((pred[], f32[2], f32[2]), f32[], u32[]) conditional-start(c, p, q), true_computation=add, "
        "false_computation=add"
    ),
}


def _instruction(opcode: str) -> str:
    count = OPERAND_COUNTS.get(opcode, 2)
    shape = ASYNC_SHAPE if opcode.endswith("-start") or opcode in ("infeed", "recv") else "f32[2]"
    return f"ROOT x = {shape} {opcode}({', '.join(['p'] * count)})"


def _module(instructions: str, wrapped: bool) -> str:
    if wrapped:
        # The last instruction's attributes over lines: only the full reader takes it.
        head, _, last = instructions.rpartition("\n")
        last = last.replace(", ", ",\n      ")
        instructions = f"{head}\n{last}" if head else last
    return MODULE.replace("INSTRUCTIONS", "  " + instructions)


MADE_UP = {
    **{op: _instruction(op) + ", made_up=1" for op in sorted(OPCODES - SPECIAL.keys()) if not op.startswith("async")},
    **{name: text + ", made_up=1" for name, text in SPECIAL.items()},
}
# Real attribute names on opcodes that do not take them, leading or after others, and the
# order XLA checks in: each attribute's name, then whether it is there twice, then its value.
WRONG = {
    "calls on negate": "ROOT x = f32[2] negate(p), calls=add",
    "to_apply on negate": "ROOT x = f32[2] negate(p), to_apply=add",
    "kind on negate": "ROOT x = f32[2] negate(p), kind=kLoop, calls=add",
    "kind alone on negate": "ROOT x = f32[2] negate(p), kind=kLoop",
    "result_accuracy on negate": "ROOT x = f32[2] negate(p), result_accuracy={mode=highest}",
    "same attribute text on two opcodes": (
        "b = f32[2] broadcast(p), dimensions={0}, metadata={op_name=\"x\"}\n"
        "  ROOT x = f32[2] negate(b), dimensions={0}, metadata={op_name=\"x\"}"
    ),
    "branch_computations on a pred conditional": "ROOT x = f32[] conditional(c, p, q), branch_computations={add, add}",
    "true_computation on an s32 conditional": "ROOT x = f32[] conditional(i, p, q), true_computation=add",
    "calls on negate-done": f"s = {ASYNC_SHAPE} negate-start(p)\n  ROOT x = f32[2] negate-done(s), calls=add",
    "output_to_operand_aliasing on async-done": (
        f"s = {ASYNC_SHAPE} negate-start(p)\n  ROOT x = f32[2] async-done(s), output_to_operand_aliasing={{}}"
    ),
    "literal on negate": "ROOT x = f32[2] negate(p), literal=s32[] 1",
    "unexpected before twice": "ROOT x = f32[2] negate(p), made_up=1, metadata={}, metadata={}",
    "twice before unexpected": "ROOT x = f32[2] negate(p), metadata={}, metadata={}, made_up=1",
    "unexpected with a value XLA cannot read": "ROOT x = f32[2] negate(p), made_up=@@",
    "bad enum before unexpected": "ROOT x = pred[2] compare(p, q), direction=XX, made_up=1",
    "unexpected before bad enum": "ROOT x = pred[2] compare(p, q), made_up=1, direction=XX",
    "unexpected and a required attribute missing": "ROOT x = pred[2] compare(p, q), made_up=1",
    "unexpected on a nested instruction's user": "ROOT x = f32[2] add(negate(p), q), made_up=1",
    "unexpected on a triangular-solve after its options": (
        "ROOT x = f32[2] triangular-solve(p, q), left_side=true, made_up=1"
    ),
    # What a conditional and a broadcast require follows their first operand.
    "conditional on an f32 scalar": "ROOT x = f32[] conditional(f, p, q), branch_computations={add, add}",
    "conditional on a pred, one computation missing": "ROOT x = f32[] conditional(c, p, q), true_computation=add",
    "conditional on an s32, no computations": "ROOT x = f32[] conditional(i, p, q), metadata={}",
    "conditional on an s32, no attributes": "ROOT x = f32[] conditional(i, p, q)",
    "broadcast of an array without dimensions": "ROOT x = f32[2,2] broadcast(p)",
    # OP-start requires what OP requires; async-start its computation.
    "reduce-start without to_apply": "ROOT x = ((f32[2], f32[]), f32[], u32[]) reduce-start(p, f), dimensions={0}",
    "async-start without calls": f"ROOT x = {ASYNC_SHAPE} async-start(p), metadata={{}}",
}
# Texts XLA reads: the attributes each form takes, on the fast path and wrapped.
ACCEPTED = {
    "fusion": "ROOT x = f32[] fusion(p, q), kind=kLoop, calls=add, output_to_operand_aliasing={{}: (0, {})}",
    "call": "ROOT x = f32[] call(p, q), to_apply=add, is_composite=false",
    "same attribute text on two opcodes, both taking it": (
        "b = f32[2] broadcast(p), dimensions={0}, sharding={replicated}\n"
        "  ROOT x = f32[2] reverse(b), dimensions={0}, sharding={replicated}"
    ),
    "branch_computations on an s32 conditional": "ROOT x = f32[] conditional(i, p, q), branch_computations={add, add}",
    "true_computation on a pred conditional": (
        "ROOT x = f32[] conditional(c, p, q), true_computation=add, false_computation=add"
    ),
    "async_execution_thread on negate-done": (
        f"s = {ASYNC_SHAPE} negate-start(p), async_execution_thread=\"main\"\n"
        "  ROOT x = f32[2] negate-done(s), async_execution_thread=\"main\""
    ),
    "result_accuracy on exponential": "ROOT x = f32[2] exponential(p), result_accuracy={mode=highest}",
    "broadcast of a scalar without dimensions": "ROOT x = s32[2] broadcast(i)",
    "reduce-start with what reduce requires": (
        "ROOT x = ((f32[2], f32[]), f32[], u32[]) reduce-start(p, f), dimensions={0}, to_apply=add"
    ),
}

CASES = [
    (f"{group}: {name} ({'wrapped' if wrapped else 'one line'})", _module(text, wrapped))
    for group, cases in (("made up", MADE_UP), ("wrong", WRONG), ("accepted", ACCEPTED))
    for name, text in cases.items()
    for wrapped in (False, True)
]


@pytest.fixture(scope="module")
def xla_verdicts() -> dict[str, dict]:
    return dict(zip([text for _, text in CASES], xla_parse([text for _, text in CASES])))


@pytest.mark.parametrize("name,text", CASES, ids=[name for name, _ in CASES])
def test_attributes_are_refused_and_accepted_as_xla_does(xla_verdicts, name, text):
    theirs = xla_verdicts[text]
    try:
        parse_hlo(text)
    except HloParseError as exc:
        assert not theirs["ok"], (name, str(exc))
        assert (exc.line, exc.column) == xla_place(theirs), (name, theirs["message"], str(exc))
        assert str(exc).startswith(theirs["message"] + " (line"), (name, theirs["message"], str(exc))
    else:
        assert theirs["ok"], (name, theirs["message"])


def test_every_opcode_has_a_made_up_case():
    assert {name.split(" ")[0] for name in MADE_UP} >= OPCODES
