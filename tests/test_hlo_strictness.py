"""Text XLA refuses, hloscope refuses too, at the same line and column.

XLA's parser (run out of process by ``xla_reference``) is the reference: for
every enum-valued attribute XLA checks, each name XLA accepts parses and a
made-up one fails at XLA's place; so do unknown opcodes and module header
attributes. Each check runs on the one-line form (the fast path) and on the
same instruction wrapped over lines (the full reader).

XLA counts columns from 0 on the first line only (from 1 on the others);
hloscope counts from 1 everywhere, so there the columns differ by one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hloscope.hlo import HloParseError, parse_hlo
from hloscope.hlo.grammar import ENUM_ATTRIBUTES, OPCODE_ENUM_ATTRIBUTES, OPERAND_COUNTS, REQUIRED_ATTRIBUTES
from xla_reference import xla_parse

CASES = Path(__file__).parent / "hlo_cases"

MODULE = """HloModule m

add {
  a = f32[] parameter(0)
  b = f32[] parameter(1)
  ROOT s = f32[] add(a, b)
}

cmp {
  a = f32[] parameter(0)
  b = f32[] parameter(1)
  ROOT s = pred[] compare(a, b), direction=LT
}

fc {
  a = f32[4,8]{1,0} parameter(0)
  ROOT s = f32[4,8]{1,0} negate(a)
}

ENTRY main {
  x = f32[4,8]{1,0} parameter(0)
  y = f32[8,4]{1,0} parameter(1)
  i = s32[] parameter(2)
  k = u32[2]{0} parameter(3)
  ROOT out = INSTRUCTION
}
"""
CUSTOM_CALL = 'f32[4,8]{1,0} custom-call(x), custom_call_target="t", '
DOT = "f32[4,4]{1,0} dot(x, y), lhs_contracting_dims={1}, rhs_contracting_dims={0}, "
# An instruction carrying each checked attribute; VALUE is replaced.
TEMPLATES = {
    "fft_type": "c64[4,8]{1,0} fft(x), fft_type=VALUE, fft_length={8}",
    "direction": "pred[4,8]{1,0} compare(x, x), direction=VALUE",
    ("compare", "type"): "pred[4,8]{1,0} compare(x, x), direction=EQ, type=VALUE",
    ("fusion", "kind"): "f32[4,8]{1,0} fusion(x), kind=VALUE, calls=fc",
    "api_version": CUSTOM_CALL + "api_version=VALUE",
    "schedule": CUSTOM_CALL + "schedule=VALUE",
    "padding_type": CUSTOM_CALL + "padding_type=VALUE",
    "custom_call_has_side_effect": CUSTOM_CALL + "custom_call_has_side_effect=VALUE",
    "distribution": "f32[4,8]{1,0} rng(i, i), distribution=VALUE",
    ("rng-bit-generator", "algorithm"): "(u32[2]{0}, u32[4]{0}) rng-bit-generator(k), algorithm=VALUE",
    ("dot", "algorithm"): DOT + "algorithm=VALUE",
    "operand_precision": DOT + "operand_precision={default,VALUE}",
    "convolution_kind": "f32[4,4]{1,0} convolution(x, y), dim_labels=bf_io->bf, convolution_kind=VALUE",
    "mode": "f32[4,8]{1,0} all-reduce(x), to_apply=add, mode=VALUE",
    "result_accuracy": "f32[4,8]{1,0} exponential(x), result_accuracy={mode=VALUE}",
    "is_stable": "f32[4,8]{1,0} sort(x), dimensions={0}, is_stable=VALUE, to_apply=cmp",
    "lower": "f32[4,8]{1,0} cholesky(x), lower=VALUE",
}


def _rule(key):
    return OPCODE_ENUM_ATTRIBUTES[key] if isinstance(key, tuple) else ENUM_ATTRIBUTES[key]


def _module(instruction: str, wrapped: bool) -> str:
    if wrapped:
        # The same instruction over two lines: only the full reader takes it.
        instruction = instruction.replace(", ", ",\n      ", 1)
    return MODULE.replace("INSTRUCTION", instruction)


def _cases() -> list[tuple[str, str]]:
    cases = []
    for key, template in TEMPLATES.items():
        rule = _rule(key)
        for value in sorted(rule.values):
            cases.append((f"{key}={value}", template.replace("VALUE", value)))
        if rule.fold_case:
            cases.append((f"{key} upper case", template.replace("VALUE", sorted(rule.values)[-1].upper())))
        cases.append((f"{key} made up", template.replace("VALUE", "made_up")))
    cases.append(("unknown opcode", "f32[4,8]{1,0} dott(x, x)"))
    cases.append(("async form of a real opcode", "f32[4,8]{1,0} negate-start(x)"))
    cases.append(("async form of no opcode", "f32[4,8]{1,0} dott-start(x)"))
    return cases


CASES_AND_TEXTS = [(name, _module(inst, wrapped)) for name, inst in _cases() for wrapped in (False, True)]


@pytest.fixture(scope="module")
def xla_verdicts() -> dict[str, dict]:
    return dict(zip([text for _, text in CASES_AND_TEXTS], xla_parse([text for _, text in CASES_AND_TEXTS])))


def _xla_place(verdict: dict) -> tuple[int, int]:
    line, column = verdict["line"], verdict["column"]
    return line, column + 1 if line == 1 else column


def _ours(text: str) -> dict:
    try:
        parse_hlo(text)
    except HloParseError as exc:
        return {"ok": False, "line": exc.line, "column": exc.column}
    return {"ok": True}


@pytest.mark.parametrize("name,text", CASES_AND_TEXTS, ids=[f"{n} ({i % 2 and 'wrapped' or 'one line'})" for i, (n, _) in enumerate(CASES_AND_TEXTS)])
def test_accepts_and_refuses_enum_values_as_xla_does(xla_verdicts, name, text):
    theirs, ours = xla_verdicts[text], _ours(text)
    assert ours["ok"] == theirs["ok"], (name, theirs)
    if not theirs["ok"]:
        assert (ours["line"], ours["column"]) == _xla_place(theirs), (name, theirs["message"])


def test_every_checked_attribute_has_a_case():
    booleans = {key for key, rule in ENUM_ATTRIBUTES.items() if rule is ENUM_ATTRIBUTES["lower"]}
    # Booleans share one rule (three stand for all); XLA crashes on a made-up transpose_a;
    # scaled-dot shares dot's rule.
    expected = (set(ENUM_ATTRIBUTES) - booleans - {"transpose_a"}) | set(OPCODE_ENUM_ATTRIBUTES)
    assert set(TEMPLATES) >= expected - {("scaled-dot", "algorithm")}
    assert OPCODE_ENUM_ATTRIBUTES[("scaled-dot", "algorithm")] == OPCODE_ENUM_ATTRIBUTES[("dot", "algorithm")]


def test_handed_case_unknown_api_version():
    text = (CASES / "rejected" / "custom_call_api_version.hlo").read_text()
    [theirs] = xla_parse([text])
    with pytest.raises(HloParseError) as info:
        parse_hlo(text)
    assert (info.value.line, info.value.column) == _xla_place(theirs) == (5, 84)
    assert "Unknown API version" in str(info.value)


def test_header_attributes_are_checked_as_xla_does():
    body = "\nENTRY e {\n  ROOT x = f32[] parameter(0)\n}\n"
    texts = [
        "HloModule m, made_up=1" + body,
        "HloModule m, is_scheduled=yes" + body,
        "HloModule m, is_scheduled=true, replica_count=2" + body,
        # Two modules in one text, as XLA's split-input test files hold them unsplit.
        "HloModule m" + body + "\nHloModule n" + body,
    ]
    for text, theirs in zip(texts, xla_parse(texts)):
        ours = _ours(text)
        assert ours["ok"] == theirs["ok"]
        if not theirs["ok"]:
            assert (ours["line"], ours["column"]) == _xla_place(theirs)


def test_text_that_is_no_module_is_read_as_one_instruction_as_xla_does():
    texts = [
        "s = f32[] add(f32[] a, f32[] b)",
        "f32[10] add(f32[10], f32[10])",
        "s = f32[] add(a, b)",
        "s = f32[] add(f32[] a, f32[] b)\nt = f32[] add(s, s)",
        # A module without header must start with ``name {``: a signature there makes it one instruction.
        "main (a: f32[]) -> f32[] {\n  ROOT a = f32[] parameter(0)\n}\n",
    ]
    for text, theirs in zip(texts, xla_parse(texts)):
        ours = _ours(text)
        assert ours["ok"] == theirs["ok"], text
        if theirs["ok"]:
            module = parse_hlo(text)
            [(name, instructions)] = theirs["computations"]
            assert list(module.computations) == [name] == ["_"]
            assert [(i.name, i.operands) for i in module.entry.instructions] == [
                (n, tuple(operands)) for n, _, operands in instructions
            ]
        else:
            assert (ours["line"], ours["column"]) == _xla_place(theirs), text


def test_operand_counts_are_checked_as_xla_does():
    # Every opcode whose operand count XLA fixes, one operand too few and one too many, one line and wrapped.
    body = "HloModule m\nENTRY e {\n  p = f32[2] parameter(0)\n  ROOT x = f32[2] %s(%s)\n}\n"
    texts = []
    for opcode, count in OPERAND_COUNTS.items():
        for n in (count - 1, count + 1):
            if n >= 0:
                texts.append(body % (opcode, ", ".join(["p"] * n)))
                texts.append(body % (opcode, ",\n    ".join(["p"] * n)))
    for text, theirs in zip(texts, xla_parse(texts)):
        ours = _ours(text)
        assert not theirs["ok"] and "operands, but has" in theirs["message"], text
        assert not ours["ok"] and (ours["line"], ours["column"]) == _xla_place(theirs), text
        with pytest.raises(HloParseError, match=theirs["message"].split(",")[0]):
            parse_hlo(text)


# A value XLA accepts for each attribute some opcode requires.
REQUIRED_VALUES = {
    "dimensions": "{0}", "to_apply": "add", "source_target_pairs": "{{0,1}}", "epsilon": "0.001", "feature_index": "0",
    "direction": "LT", "dim_labels": "b0f_0io->b0f", "custom_call_target": '"x"', "dynamic_slice_sizes": "{1}",
    "domain": '{kind="sharding", entry={maximal device=0}, exit={maximal device=1}}', "fft_length": "{2}",
    "fft_type": "FFT", "calls": "add", "kind": "kLoop", "collapsed_slice_dims": "{0}", "index_vector_dim": "1",
    "offset_dims": "{}", "slice_sizes": "{1}", "start_index_map": "{0}", "index": "0", "iota_dimension": "0",
    "padding": "0_0", "exponent_bits": "5", "mantissa_bits": "2", "distribution": "rng_uniform",
    "algorithm": "rng_default", "delta": "1", "inserted_window_dims": "{0}", "scatter_dims_to_operand_dims": "{0}",
    "update_window_dims": "{}", "scatter": "add", "select": "cmp", "slice": "{[0:2]}", "k": "1", "body": "add",
    "condition": "cond",
}
REQUIRED_MODULE = """HloModule m
add {
  a = f32[] parameter(0)
  b = f32[] parameter(1)
  ROOT s = f32[] add(a, b)
}
cond {
  a = f32[] parameter(0)
  ROOT s = pred[] constant(true)
}
cmp {
  a = f32[] parameter(0)
  b = f32[] parameter(1)
  ROOT s = pred[] compare(a, b), direction=LT
}
ENTRY e {
  p = f32[2] parameter(0)
  ROOT x = %s %s(%s)%s
}
"""


def test_required_attributes_are_checked_as_xla_does():
    # Every opcode's required attributes, each left out in turn, one line and wrapped: XLA names the first
    # one missing, where the attribute list starts.
    texts = []
    for opcode, required in REQUIRED_ATTRIBUTES.items():
        operands = 2 if opcode in ("reduce", "reduce-window", "dynamic-slice") else max(OPERAND_COUNTS.get(opcode, 1), 0)
        for left_out in required:
            attrs = "".join(f", {name}={REQUIRED_VALUES[name]}" for name in required if name != left_out)
            shape = "((f32[2]), f32[2], u32[])" if opcode == "async-start" else "f32[2]"
            texts.append(REQUIRED_MODULE % (shape, opcode, ", ".join(["p"] * operands), attrs))
            wrapped = (shape, opcode, ",\n  ".join(["p"] * operands), attrs.replace(", ", ",\n    "))
            texts.append(REQUIRED_MODULE % wrapped)
    for text, theirs in zip(texts, xla_parse(texts)):
        assert not theirs["ok"] and "is expected but not seen" in theirs["message"], text
        with pytest.raises(HloParseError, match=theirs["message"]) as info:
            parse_hlo(text)
        assert (info.value.line, info.value.column) == _xla_place(theirs), text
