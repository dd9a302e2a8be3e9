"""While loops, trip counts, weighted op counts, FLOPs and the summary."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hloscope.hlo import HloSummary, op_counts, parse_hlo, summarize_hlo, summarize_module, while_loops
from hloscope.hlo.flops import module_flops

LOOP = """HloModule loop

%body (t: (s32[], f32[4,4])) -> (s32[], f32[4,4]) {
  %t = (s32[], f32[4,4]{1,0}) parameter(0)
  %i = s32[] get-tuple-element(%t), index=0
  %x = f32[4,4]{1,0} get-tuple-element(%t), index=1
  %step = s32[] constant(STEP)
  %next = s32[] add(%i, %step)
  %y = f32[4,4]{1,0} dot(%x, %x), lhs_contracting_dims={1}, rhs_contracting_dims={0}
  ROOT %out = (s32[], f32[4,4]{1,0}) tuple(%next, %y)
}

%cond (t: (s32[], f32[4,4])) -> pred[] {
  %t = (s32[], f32[4,4]{1,0}) parameter(0)
  %i = s32[] get-tuple-element(%t), index=0
  %n = s32[] constant(BOUND)
  ROOT %c = pred[] compare(%i, %n), direction=DIR
}

ENTRY %main (x: f32[4,4]) -> f32[4,4] {
  %x = f32[4,4]{1,0} parameter(0)
  %init = s32[] constant(INIT)
  %copy = s32[] copy(%init)
  %tuple = (s32[], f32[4,4]{1,0}) tuple(%copy, %x)
  %while = (s32[], f32[4,4]{1,0}) while(%tuple), condition=%cond, body=%body
  ROOT %r = f32[4,4]{1,0} get-tuple-element(%while), index=1
}
"""


def loop_module(init=0, step=1, bound=10, direction="LT"):
    text = LOOP.replace("INIT", str(init)).replace("STEP", str(step)).replace("BOUND", str(bound))
    return parse_hlo(text.replace("DIR", direction))


@pytest.mark.parametrize(
    "init, step, bound, direction, trips",
    [
        (0, 1, 10, "LT", 10),
        (0, 1, 10, "LE", 11),
        (2, 3, 11, "LT", 3),
        (10, -1, 0, "GT", 10),
        (10, -2, 0, "GE", 6),
        (0, 2, 8, "NE", 4),
        (5, 1, 3, "LT", 0),
    ],
)
def test_trip_count_from_the_jax_pattern(init, step, bound, direction, trips):
    [loop] = while_loops(loop_module(init, step, bound, direction))
    assert loop.trip_count == trips
    assert loop.trip_count_source == "pattern"
    assert loop.depth == 1
    assert (loop.body.name, loop.condition.name, loop.computation.name) == ("body", "cond", "main")


@pytest.mark.parametrize("step, direction", [(1, "GT"), (0, "LT"), (3, "NE")])
def test_trip_count_unknown_is_none_never_a_guess(step, direction):
    [loop] = while_loops(loop_module(0, step, 10, direction))
    assert loop.trip_count is None and loop.trip_count_source is None


def test_bound_on_the_left_and_a_bound_carried_through_the_loop():
    text = LOOP.replace("compare(%i, %n), direction=DIR", "compare(%n, %i), direction=GT")
    text = text.replace("INIT", "0").replace("STEP", "1").replace("BOUND", "6")
    [loop] = while_loops(parse_hlo(text))
    assert loop.trip_count == 6


def test_backend_config_trip_count_wins():
    text = LOOP.replace("body=%body", 'body=%body, backend_config={"known_trip_count":{"n":"42"}}')
    text = text.replace("INIT", "0").replace("STEP", "1").replace("BOUND", "10").replace("DIR", "LT")
    [loop] = while_loops(parse_hlo(text))
    assert (loop.trip_count, loop.trip_count_source) == (42, "backend_config")


def test_weighted_counts_and_flops_multiply_by_trip_count():
    module = loop_module(bound=10)
    plain = op_counts(module)
    weighted = op_counts(module, weighted=True)
    assert plain["dot"] == 1 and weighted["dot"] == 10
    # The condition runs once more than the body.
    assert weighted["compare"] == 11
    assert weighted["while"] == 1
    assert module_flops(module)["dot_flops"] == 10 * 2 * 16 * 4


NESTED = """HloModule nested

%inner_body (t: (s32[], f32[8])) -> (s32[], f32[8]) {
  %t = (s32[], f32[8]{0}) parameter(0)
  %i = s32[] get-tuple-element(%t), index=0
  %x = f32[8]{0} get-tuple-element(%t), index=1
  %one = s32[] constant(1)
  %next = s32[] add(%i, %one)
  %y = f32[8]{0} multiply(%x, %x)
  ROOT %out = (s32[], f32[8]{0}) tuple(%next, %y)
}

%inner_cond (t: (s32[], f32[8])) -> pred[] {
  %t = (s32[], f32[8]{0}) parameter(0)
  %i = s32[] get-tuple-element(%t), index=0
  %n = s32[] constant(5)
  ROOT %c = pred[] compare(%i, %n), direction=LT
}

%outer_body (t: (s32[], f32[8])) -> (s32[], f32[8]) {
  %t = (s32[], f32[8]{0}) parameter(0)
  %i = s32[] get-tuple-element(%t), index=0
  %x = f32[8]{0} get-tuple-element(%t), index=1
  %zero = s32[] constant(0)
  %init = (s32[], f32[8]{0}) tuple(%zero, %x)
  %loop = (s32[], f32[8]{0}) while(%init), condition=%inner_cond, body=%inner_body
  %y = f32[8]{0} get-tuple-element(%loop), index=1
  %one = s32[] constant(1)
  %next = s32[] add(%i, %one)
  ROOT %out = (s32[], f32[8]{0}) tuple(%next, %y)
}

%outer_cond (t: (s32[], f32[8])) -> pred[] {
  %t = (s32[], f32[8]{0}) parameter(0)
  %i = s32[] get-tuple-element(%t), index=0
  %bound = s32[] parameter(1)
  ROOT %c = pred[] compare(%i, %bound), direction=LT
}

ENTRY %main (x: f32[8], n: s32[]) -> f32[8] {
  %x = f32[8]{0} parameter(0)
  %zero = s32[] constant(0)
  %init = (s32[], f32[8]{0}) tuple(%zero, %x)
  %outer = (s32[], f32[8]{0}) while(%init), condition=%outer_cond, body=%outer_body
  %three = s32[] constant(3)
  %init2 = (s32[], f32[8]{0}) tuple(%zero, %x)
  %counted = (s32[], f32[8]{0}) while(%init2), condition=%inner_cond, body=%outer_body
  ROOT %r = f32[8]{0} get-tuple-element(%outer), index=1
}
"""


def test_nested_loops_depth_and_multiplied_weights():
    module = parse_hlo(NESTED)
    loops = {(loop.computation.name, loop.name): loop for loop in while_loops(module)}
    assert loops[("outer_body", "loop")].depth == 2
    assert loops[("outer_body", "loop")].trip_count == 5
    # outer_cond compares with a parameter: unknown, weighs 1.
    assert loops[("main", "outer")].depth == 1 and loops[("main", "outer")].trip_count is None
    assert loops[("main", "counted")].trip_count == 5
    weighted = op_counts(module, weighted=True)
    # inner multiply: outer (1, unknown) x inner (5) + counted (5) x inner (5).
    assert weighted["multiply"] == 1 * 5 + 5 * 5
    summary = summarize_module(module)
    assert summary.max_loop_depth == 2
    assert summary.unknown_trip_counts == 1
    assert summary.trip_counts == [5, None, 5]
    # Outermost bodies and what they call, each loop once, not weighted.
    assert summary.while_body_op_counts["while"] == 2
    assert summary.while_body_op_counts["multiply"] == 2


CONV = """HloModule conv

%add (a: f32[], b: f32[]) -> f32[] {
  %a = f32[] parameter(0)
  %b = f32[] parameter(1)
  ROOT %s = f32[] add(%a, %b)
}

ENTRY %main (img: f32[2,8,8,6], k: f32[3,3,3,4], l: f32[5,2,3], r: f32[5,3,7]) -> f32[] {
  %img = f32[2,8,8,6]{3,2,1,0} parameter(0)
  %k = f32[3,3,3,4]{3,2,1,0} parameter(1)
  %l = f32[5,2,3]{2,1,0} parameter(2)
  %r = f32[5,3,7]{2,1,0} parameter(3)
  %conv = f32[2,8,8,4]{3,2,1,0} convolution(%img, %k), window={size=3x3 pad=1_1x1_1}, dim_labels=b01f_01io->b01f, feature_group_count=2
  %bmm = f32[5,2,7]{2,1,0} dot(%l, %r), lhs_batch_dims={0}, lhs_contracting_dims={2}, rhs_batch_dims={0}, rhs_contracting_dims={1}
  %zero = f32[] constant(0)
  %sum = f32[] reduce(%conv, %zero), dimensions={0,1,2,3}, to_apply=%add
  ROOT %out = f32[] multiply(%sum, %sum)
}
"""


def test_flop_formulas():
    flops = module_flops(parse_hlo(CONV))
    # XLA's rule: 2 x input features per group x output features x batch x the kernel
    # positions that meet the padded 8x8 input: 7 + 8 + 7 along each spatial dimension.
    assert flops["conv_flops"] == 2 * (6 // 2) * 4 * 2 * (7 + 8 + 7) ** 2
    assert flops["dot_flops"] == 2 * (5 * 2 * 7) * 3
    # One reducer add per input element beyond each output element.
    assert flops["reduce_flops"] == 2 * 8 * 8 * 4 - 1
    # The reducer's scalar add is the reduce's work, not counted again.
    assert flops["elementwise_flops"] == 1
    assert flops["total_flops"] == sum(flops[k] for k in ("conv_flops", "dot_flops", "reduce_flops", "elementwise_flops"))
    assert flops["unreadable"] == [] and flops["uncounted_opcodes"] == {}


def test_summary_is_plain_json():
    summary = summarize_hlo(NESTED)
    assert isinstance(summary, HloSummary)
    data = summary.to_json()
    assert json.loads(json.dumps(data)) == data
    for key in (
        "instructions", "computations", "while_loops", "bytes", "op_counts", "fusions", "max_loop_depth",
        "trip_counts", "weighted_op_counts", "flops", "while_body_op_counts", "repeated_blocks",
    ):  # fmt: skip
        assert key in data
    assert data["bytes"] == len(NESTED.encode())
    assert data["instructions"] == sum(data["op_counts"].values())
    with pytest.raises(AttributeError):
        summary.instructions = 0  # type: ignore[misc]


def _stack_texts(scanned: bool, layers: int) -> tuple[str, str]:
    import jax
    import jax.numpy as jnp

    def block(x, params):
        w, k = params
        y = jnp.tanh(x @ w)
        img = y.reshape(1, 4, 4, 1)
        conv = jax.lax.conv_general_dilated(img, k, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return y + conv.reshape(y.shape)

    def forward(x, ws, ks):
        if scanned:
            return jax.lax.scan(lambda c, p: (block(c, p), None), x, (ws, ks))[0]
        for layer in range(layers):
            x = block(x, (ws[layer], ks[layer]))
        return x

    args = (jnp.ones((1, 16)), jnp.ones((layers, 16, 16)), jnp.ones((layers, 3, 3, 1, 1)))
    lowered = jax.jit(forward).lower(*args)
    return lowered.as_text(dialect="hlo"), lowered.compile().as_text()


@pytest.mark.parametrize("stage", [0, 1], ids=["pre", "opt"])
def test_scanned_and_unrolled_stacks_agree_on_dot_and_conv_flops(stage):
    layers = 4
    scanned = summarize_hlo(_stack_texts(True, layers)[stage])
    unrolled = summarize_hlo(_stack_texts(False, layers)[stage])
    assert scanned.while_loops >= 1 and scanned.trip_counts[0] == layers
    assert scanned.unknown_trip_counts == 0
    assert scanned.flops["dot_flops"] == unrolled.flops["dot_flops"] == layers * 2 * 16 * 16
    # 3x3 kernel over a 4x4 image padded SAME: 3 + 4 + 3 positions along each spatial dimension.
    assert scanned.flops["conv_flops"] == unrolled.flops["conv_flops"] == layers * 2 * (3 + 4 + 3) ** 2
    if stage == 0:
        assert scanned.weighted_op_counts["dot"] == unrolled.op_counts["dot"] == layers
        assert scanned.op_counts["dot"] == 1


def test_hlo_package_imports_no_jax():
    code = (
        "import sys, hloscope.hlo, hloscope.hlo.inspection, hloscope.report.inspect_view; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib', 'flax')]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
