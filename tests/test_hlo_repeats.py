"""Repeated blocks in hand-written HLO: what matches, what breaks a run, what is reported."""

from __future__ import annotations

import pytest

from hloscope.hlo import parse_hlo
from hloscope.hlo.repeats import LAYERS_MIN_FRACTION, RepeatedBlock, find_repeated_blocks

LAYERS = 5


def blocks_of(text: str) -> tuple[RepeatedBlock, ...]:
    return find_repeated_blocks(parse_hlo(text))


def module(lines: list[str], root: str) -> str:
    body = "\n".join("  " + line for line in lines)
    return f"HloModule m\n\nENTRY main {{\n{body}\n  ROOT out = f32[2,8]{{1,0}} negate({root})\n}}\n"


def dense_layers(count: int, change=None) -> tuple[list[str], str]:
    """``count`` layers y = x + tanh(x . w_i + b_i), each with its own parameters.

    ``change(i, lines)`` may rewrite layer i's lines. Parameter numbers and
    metadata differ in every layer, as they do in real text.
    """
    lines = ["x = f32[2,8]{1,0} parameter(0)"]
    x = "x"
    for i in range(count):
        layer = [
            f"w{i} = f32[8,8]{{1,0}} parameter({2 * i + 1})",
            f"dot{i} = f32[2,8]{{1,0}} dot({x}, w{i}), lhs_contracting_dims={{1}}, rhs_contracting_dims={{0}}, "
            f'metadata={{op_name="layer{i}/dot" source_line={10 + i}}}',
            f"b{i} = f32[8]{{0}} parameter({2 * i + 2})",
            f"bb{i} = f32[2,8]{{1,0}} broadcast(b{i}), dimensions={{1}}",
            f"add{i} = f32[2,8]{{1,0}} add(dot{i}, bb{i})",
            f'act{i} = f32[2,8]{{1,0}} tanh(add{i}), metadata={{op_name="layer{i}/tanh"}}',
            f"res{i} = f32[2,8]{{1,0}} add({x}, act{i})",
        ]
        if change is not None:
            layer = change(i, layer)
        lines += layer
        x = f"res{i}"
    return lines, x


def test_layers_with_their_own_parameters_and_metadata_are_one_block_repeated():
    lines, last = dense_layers(LAYERS)
    (block,) = blocks_of(module(lines, last))
    assert (block.computation, block.count, block.instructions) == ("main", LAYERS, 5)
    assert (block.first, block.last) == ("dot0", "res0")
    assert block.chained and block.layers
    # Everything but the root belongs to the copies: their instructions, their
    # parameters and the stack's input, read by the first copy alone.
    instructions = len(lines) + 1
    assert block.fraction == pytest.approx((instructions - 1) / instructions)
    assert block.to_json() == {
        "computation": "main",
        "count": LAYERS,
        "instructions": 5,
        "fraction": block.fraction,
        "first": "dot0",
        "last": "res0",
        "chained": True,
        "layers": True,
        "computation_instructions": instructions,
    }


def test_one_instruction_repeated_is_a_block_of_one():
    lines = ["x0 = f32[2,8]{1,0} parameter(0)", "c = f32[2,8]{1,0} parameter(1)"]
    lines += [f"x{i} = f32[2,8]{{1,0}} add(x{i - 1}, c)" for i in range(1, 41)]
    (block,) = blocks_of(module(lines, "x40"))
    assert (block.count, block.instructions, block.first, block.last) == (40, 1, "x1", "x1")
    assert block.layers


@pytest.mark.parametrize(
    "old, new",
    [
        ("tanh(add2)", "exponential(add2)"),  # an opcode
        ("bb2 = f32[2,8]{1,0} broadcast(b2), dimensions={1}", "bb2 = f32[2,8]{1,0} broadcast(b2), dimensions={0}"),
        ("add2 = f32[2,8]{1,0}", "add2 = f32[2,8]{0,1}"),  # a result layout
        ("add(dot2, bb2)", "add(bb2, dot2)"),  # the wiring
        ("b2 = f32[8]{0} parameter(6)", "b2 = f32[8]{0} constant({0, 1, 2, 3, 4, 5, 6, 7})"),  # data of another kind
    ],
)
def test_a_layer_that_differs_in_the_middle_splits_the_run(old, new):
    lines, last = dense_layers(LAYERS)
    assert sum(old in line for line in lines) == 1
    blocks = blocks_of(module([line.replace(old, new) for line in lines], last))
    # Layers 0-1 and 3-4 still repeat; nothing spans layer 2.
    assert [(b.count, b.first, b.last) for b in blocks] == [(2, "dot0", "res0"), (2, "dot3", "res3")]


def test_every_layer_may_read_one_value_computed_before_the_stack():
    def add_mask(i, layer):
        masked = [f"masked{i} = f32[2,8]{{1,0}} add(add{i}, mask)", f"act{i} = f32[2,8]{{1,0}} tanh(masked{i})"]
        return [line for line in layer if not line.startswith("act")][:-1] + masked + layer[-1:]

    lines, last = dense_layers(LAYERS, add_mask)
    prologue = ["scale = f32[2,8]{1,0} parameter(99)", "mask = f32[2,8]{1,0} exponential(scale)"]
    (block,) = blocks_of(module(lines[:1] + prologue + lines[1:], last))
    assert (block.count, block.instructions, block.first, block.last) == (LAYERS, 6, "dot0", "res0")


def test_the_first_layer_may_read_a_computed_input_and_constants_printed_once():
    # As JAX prints it before optimization: the first layer defines a
    # constant and its broadcast; later layers read the same broadcast.
    def clamp(i, layer):
        constants = ["zero = f32[] constant(0)", "zeros = f32[2,8]{1,0} broadcast(zero), dimensions={}"]
        return layer + (constants if i == 0 else []) + [f"relu{i} = f32[2,8]{{1,0}} maximum(res{i}, zeros)"]

    lines, _ = dense_layers(LAYERS, clamp)
    for i in range(LAYERS):
        lines = [line.replace(f"dot(res{i},", f"dot(relu{i},").replace(f"add(res{i},", f"add(relu{i},") for line in lines]
    lines = [line.replace("(x,", "(embedded,") for line in lines]
    lines.insert(1, "embedded = f32[2,8]{1,0} sine(x)")
    (block,) = blocks_of(module(lines, f"relu{LAYERS - 1}"))
    assert (block.count, block.instructions, block.first, block.last) == (LAYERS, 6, "dot0", "relu0")


def test_inputs_prepared_for_each_layer_before_the_stack_belong_to_it():
    # After optimization XLA may hoist every layer's weight transpose to the top.
    lines = ["x = f32[2,8]{1,0} parameter(0)"]
    lines += [f"w{i} = f32[8,8]{{1,0}} parameter({i + 1})" for i in range(LAYERS)]
    lines += [f"wt{i} = f32[8,8]{{0,1}} transpose(w{i}), dimensions={{1,0}}" for i in range(LAYERS)]
    x = "x"
    for i in range(LAYERS):
        lines += [
            f"dot{i} = f32[2,8]{{1,0}} dot({x}, wt{i}), lhs_contracting_dims={{1}}, rhs_contracting_dims={{0}}",
            f"act{i} = f32[2,8]{{1,0}} tanh(dot{i})",
        ]
        x = f"act{i}"
    (block,) = blocks_of(module(lines, x))
    assert (block.count, block.instructions, block.first) == (LAYERS, 2, "dot0")
    # All but the root: the transposes belong to the layers they were made for.
    assert block.fraction == pytest.approx(len(lines) / (len(lines) + 1))


def test_called_computations_match_by_structure_not_name():
    def fused(name: str, op: str) -> str:
        return (
            f"{name} {{\n  a = f32[2,8]{{1,0}} parameter(0)\n  b = f32[2,8]{{1,0}} parameter(1)\n"
            f"  ROOT r = f32[2,8]{{1,0}} {op}(a, b)\n}}\n"
        )

    def text(ops: list[str]) -> str:
        comps = "".join(fused(f"fused.{i}", op) for i, op in enumerate(ops))
        lines = ["x = f32[2,8]{1,0} parameter(0)"]
        prev = "x"
        for i in range(len(ops)):
            lines += [
                f"p{i} = f32[2,8]{{1,0}} parameter({i + 1})",
                f"f{i} = f32[2,8]{{1,0}} fusion({prev}, p{i}), kind=kLoop, calls=fused.{i}",
                f"n{i} = f32[2,8]{{1,0}} negate(f{i})",
            ]
            prev = f"n{i}"
        return comps + "\n" + module(lines, prev).split("\n", 2)[2]

    (block,) = blocks_of(text(["add"] * 4))
    assert (block.count, block.computation) == (4, "main")
    assert [b.count for b in blocks_of(text(["add"] * 4 + ["multiply"] + ["add"] * 4))] == [4, 4]


def test_q_k_v_side_by_side_are_listed_but_not_as_layers():
    lines = ["x = f32[2,8]{1,0} parameter(0)"]
    for i, name in enumerate("qkv"):
        lines += [
            f"w{name} = f32[8,8]{{1,0}} parameter({i + 1})",
            f"{name} = f32[2,8]{{1,0}} dot(x, w{name}), lhs_contracting_dims={{1}}, rhs_contracting_dims={{0}}",
            f"{name}s = f32[2,8]{{1,0}} sine({name})",
        ]
    lines += ["qk = f32[2,8]{1,0} multiply(qs, ks)", "qkv = f32[2,8]{1,0} add(qk, vs)"]
    (block,) = blocks_of(module(lines, "qkv"))
    assert (block.count, block.instructions, block.first, block.last) == (3, 2, "q", "qs")
    assert not block.chained and not block.layers


def test_repeats_nested_in_layers_report_the_layers():
    def with_qkv(i, layer):
        heads = []
        for name in "qkv":
            heads += [
                f"w{name}{i} = f32[8,8]{{1,0}} parameter({100 + 3 * i + 'qkv'.index(name)})",
                f"{name}{i} = f32[2,8]{{1,0}} dot(act{i}, w{name}{i}), lhs_contracting_dims={{1}}, "
                "rhs_contracting_dims={0}",
                f"{name}s{i} = f32[2,8]{{1,0}} sine({name}{i})",
            ]
        return layer + heads + [f"mix{i} = f32[2,8]{{1,0}} add(qs{i}, ks{i})", f"out{i} = f32[2,8]{{1,0}} add(mix{i}, vs{i})"]

    lines, _ = dense_layers(LAYERS, with_qkv)
    lines = [line.replace("dot(act", "dot(out") if line.startswith("dot") else line for line in lines]
    (block,) = blocks_of(module(lines, f"out{LAYERS - 1}"))
    assert (block.count, block.instructions, block.layers) == (LAYERS, 13, True)


def test_a_scanned_stack_and_a_module_without_layers_have_no_layers():
    text = """HloModule scanned

body {
  t = (s32[], f32[2,8]{1,0}, f32[4,8,8]{2,1,0}) parameter(0)
  i = s32[] get-tuple-element(t), index=0
  x = f32[2,8]{1,0} get-tuple-element(t), index=1
  ws = f32[4,8,8]{2,1,0} get-tuple-element(t), index=2
  zero = s32[] constant(0)
  w = f32[1,8,8]{2,1,0} dynamic-slice(ws, i, zero, zero), dynamic_slice_sizes={1,8,8}
  w2 = f32[8,8]{1,0} reshape(w)
  d = f32[2,8]{1,0} dot(x, w2), lhs_contracting_dims={1}, rhs_contracting_dims={0}
  y = f32[2,8]{1,0} tanh(d)
  one = s32[] constant(1)
  next = s32[] add(i, one)
  ROOT r = (s32[], f32[2,8]{1,0}, f32[4,8,8]{2,1,0}) tuple(next, y, ws)
}

cond {
  t = (s32[], f32[2,8]{1,0}, f32[4,8,8]{2,1,0}) parameter(0)
  i = s32[] get-tuple-element(t), index=0
  n = s32[] constant(4)
  ROOT lt = pred[] compare(i, n), direction=LT
}

ENTRY main {
  zero = s32[] constant(0)
  x = f32[2,8]{1,0} parameter(0)
  ws = f32[4,8,8]{2,1,0} parameter(1)
  init = (s32[], f32[2,8]{1,0}, f32[4,8,8]{2,1,0}) tuple(zero, x, ws)
  loop = (s32[], f32[2,8]{1,0}, f32[4,8,8]{2,1,0}) while(init), condition=cond, body=body
  ROOT out = f32[2,8]{1,0} get-tuple-element(loop), index=1
}
"""
    assert blocks_of(text) == ()
    lines = ["x = f32[2,8]{1,0} parameter(0)", "a = f32[2,8]{1,0} sine(x)", "b = f32[2,8]{1,0} cosine(a)"]
    lines += ["c = f32[2,8]{1,0} multiply(a, b)", "d = f32[8,2]{1,0} transpose(c), dimensions={1,0}"]
    lines += ["e = f32[2,8]{1,0} transpose(d), dimensions={1,0}"]
    assert blocks_of(module(lines, "e")) == ()


def test_layers_means_chained_and_more_than_half():
    lines, last = dense_layers(3)
    # Unrelated work after the stack, larger than the stack: each pad makes a new shape.
    lines.append("zero = f32[] constant(0)")
    for i in range(30):
        lines.append(f"t{i} = f32[2,{9 + i}]{{1,0}} pad({last}, zero), padding=0_0x0_1")
        last = f"t{i}"
    text = module(lines, "act2").replace("ROOT out = f32[2,8]{1,0} negate(act2)", f"ROOT out = f32[2,39]{{1,0}} negate({last})")
    (block,) = blocks_of(text)
    assert block.count == 3 and block.chained
    assert block.fraction <= LAYERS_MIN_FRACTION
    assert not block.layers

