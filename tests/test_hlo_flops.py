"""FLOPs follow XLA's HloCostAnalysis rules, and say what they leave out.

XLA's cost analysis (``jaxlib._jax.hlo_module_cost_analysis`` on the CPU
client) is the reference. It counts a while body once and a custom-call as
-1 FLOPs (its "unknown"); hloscope multiplies loop bodies by their trip
count and lists custom-calls in ``uncounted_opcodes``. So on modules without
loops the two agree once each uncounted custom-call is taken as XLA's -1.
"""

from __future__ import annotations

from pathlib import Path

import jax
import pytest
from jaxlib import _hlo, _jax

from hloscope.hlo import module_flops, parse_hlo, summarize_hlo, while_loops
from hloscope.hlo.inspection import inspect_sources, load_hlo_sources
from hloscope.report.inspect_view import format_text, render_inspect_html

CASES = Path(__file__).parent / "hlo_cases"


def xla_cost(text: str) -> dict:
    client = jax.devices("cpu")[0].client
    return _jax.hlo_module_cost_analysis(client, _hlo.hlo_module_from_text(text))


def xla_flops(text: str) -> float | None:
    return xla_cost(text).get("flops")


@pytest.fixture(scope="module")
def modules(jax_texts) -> dict[str, str]:
    """The hand-written cases and the JAX programs, before and after optimization."""
    texts = dict(jax_texts)
    texts.update({path.name: path.read_text() for path in sorted(CASES.glob("*.hlo"))})
    return texts


def test_fft_case_counts_as_xla_does():
    text = (CASES / "fft_ops.hlo").read_text()
    flops = module_flops(parse_hlo(text))
    assert flops["total_flops"] == flops["fft_flops"] == xla_flops(text) == 6_160_384
    assert flops["uncounted_opcodes"] == {}


def test_loop_free_modules_agree_with_xla(modules):
    compared = 0
    for key, text in modules.items():
        module = parse_hlo(text)
        theirs = xla_flops(text)
        if while_loops(module) or theirs is None:
            continue
        flops = module_flops(module)
        assert set(flops["uncounted_opcodes"]) <= {"custom-call"}, key
        assert flops["total_flops"] - flops["uncounted_opcodes"].get("custom-call", 0) == theirs, key
        compared += 1
    assert compared >= 25


def test_transcendentals_are_kept_apart_from_flops():
    text = """HloModule t
ENTRY e {
  x = f32[4,8]{1,0} parameter(0)
  e = f32[4,8]{1,0} exponential(x)
  ROOT s = f32[4,8]{1,0} add(e, x)
}
"""
    flops = module_flops(parse_hlo(text))
    assert flops["transcendentals"] == 32 and flops["elementwise_flops"] == flops["total_flops"] == 32


def test_what_is_not_counted_is_listed_and_shown(tmp_path):
    text = """HloModule c
ENTRY e {
  x = f32[4,8]{1,0} parameter(0)
  a = f32[4,8]{1,0} custom-call(x), custom_call_target="Opaque"
  b = f32[4,8]{1,0} custom-call(a), custom_call_target="Opaque"
  ROOT s = f32[4,8]{1,0} add(a, b)
}
"""
    summary = summarize_hlo(text)
    assert summary.flops["uncounted_opcodes"] == {"custom-call": 2}
    assert summary.flops["total_flops"] == 32
    assert summary.to_json()["flops"]["uncounted_opcodes"] == {"custom-call": 2}
    path = tmp_path / "c.hlo"
    path.write_text(text)
    reports = inspect_sources(load_hlo_sources(str(path)))
    shown = format_text(reports)
    assert "flops not counted" in shown and "custom-call x2" in shown
    page = render_inspect_html(reports)
    assert "FLOPs not counted" in page and "custom-call x2" in page


def test_loops_multiply_their_body_and_conditional_takes_the_larger_branch():
    text = """HloModule w
body {
  p = (s32[], f32[8]{0}) parameter(0)
  i = s32[] get-tuple-element(p), index=0
  v = f32[8]{0} get-tuple-element(p), index=1
  one = s32[] constant(1)
  n = s32[] add(i, one)
  w = f32[8]{0} multiply(v, v)
  ROOT t = (s32[], f32[8]{0}) tuple(n, w)
}
cond {
  p = (s32[], f32[8]{0}) parameter(0)
  i = s32[] get-tuple-element(p), index=0
  lim = s32[] constant(5)
  ROOT lt = pred[] compare(i, lim), direction=LT
}
small {
  x = f32[8]{0} parameter(0)
  ROOT y = f32[8]{0} negate(x)
}
large {
  x = f32[8]{0} parameter(0)
  y = f32[8]{0} negate(x)
  ROOT z = f32[8]{0} add(y, x)
}
ENTRY e {
  x = f32[8]{0} parameter(0)
  b = pred[] parameter(1)
  zero = s32[] constant(0)
  init = (s32[], f32[8]{0}) tuple(zero, x)
  loop = (s32[], f32[8]{0}) while(init), condition=cond, body=body
  r = f32[8]{0} get-tuple-element(loop), index=1
  ROOT c = f32[8]{0} conditional(b, r, r), true_computation=large, false_computation=small
}
"""
    flops = module_flops(parse_hlo(text))
    body, condition, larger_branch = 1 + 8, 1, 16
    assert flops["total_flops"] == 5 * body + 6 * condition + larger_branch


def test_loops_once_counts_each_loop_as_xla_does(modules):
    compared = 0
    for key, text in modules.items():
        module = parse_hlo(text)
        theirs = xla_flops(text)
        flops = module_flops(module, loops_once=True)
        if not while_loops(module) or theirs is None or flops["uncounted_opcodes"]:
            continue
        assert flops["total_flops"] == pytest.approx(theirs, rel=1e-6), key
        compared += 1
    assert compared >= 3


def test_inverse_and_hyperbolic_functions_are_transcendentals_as_in_xla():
    opcodes = ["acos", "acosh", "asin", "asinh", "atanh", "cosh", "sinh"]
    lines = [f"  r{i} = f32[4,8]{{1,0}} {op}(x)" for i, op in enumerate(opcodes)]
    text = "HloModule t\nENTRY e {\n  x = f32[4,8]{1,0} parameter(0)\n" + "\n".join(lines)
    text += "\n  ROOT t = tuple(" + ", ".join(f"r{i}" for i in range(len(opcodes))) + ")\n}\n"
    flops, theirs = module_flops(parse_hlo(text)), xla_cost(text)
    assert flops["transcendentals"] == theirs["transcendentals"] == 7 * 32
    assert flops["total_flops"] == theirs.get("flops", 0) == 0


def test_bitcast_convert_is_one_flop_per_element_as_in_xla():
    text = """HloModule b
ENTRY e {
  x = f32[4,8]{1,0} parameter(0)
  ROOT r = u32[4,8]{1,0} bitcast-convert(x)
}
"""
    flops = module_flops(parse_hlo(text))
    assert flops["elementwise_flops"] == flops["total_flops"] == xla_flops(text) == 32


def test_instructions_without_a_shape_count_with_the_shape_xla_infers():
    text = """HloModule s
add {
  a = f32[] parameter(0)
  b = f32[] parameter(1)
  ROOT c = add(a, b)
}
ENTRY e {
  x = f32[4,8]{1,0} parameter(0)
  y = f32[8,3]{1,0} parameter(1)
  z = f32[] constant(0)
  s = select(pred[] constant(true), x, multiply(x, x))
  d = dot(s, y), lhs_contracting_dims={1}, rhs_contracting_dims={0}
  ROOT r = reduce(d, z), dimensions={1}, to_apply=add
}
"""
    flops = module_flops(parse_hlo(text))
    selected, multiplied, dot, reduced = 32, 32, 2 * 4 * 3 * 8, 4 * 3 - 4
    assert flops["total_flops"] == xla_flops(text) == selected + multiplied + dot + reduced
    assert flops["uncounted_opcodes"] == {} and flops["unreadable"] == []


def assert_counted_in_full_as_xla(text: str) -> None:
    """Every instruction of ``text`` counted (nothing declared uncounted), in all XLA's figure, above 0."""
    flops = module_flops(parse_hlo(text))
    assert flops["uncounted_opcodes"] == {} and flops["unreadable"] == []
    assert flops["total_flops"] == xla_flops(text) > 0


def test_a_reduce_window_without_a_shape_counts_with_the_window_xla_infers():
    text = """HloModule w
max {
  a = f32[] parameter(0)
  b = f32[] parameter(1)
  ROOT c = f32[] maximum(a, b)
}
ENTRY e {
  p = f32[16,32] parameter(0)
  z = f32[] constant(-inf)
  a = reduce-window(p, z), window={size=2x3 stride=2x1 pad=1_0x2_2}, to_apply=max
  b = reduce-window(p, z), window={size=3x2 lhs_dilate=2x1 rhs_dilate=1x3}, to_apply=max
  ROOT c = reduce-window(p, z), window={size=1x40}, to_apply=max
}
"""
    assert_counted_in_full_as_xla(text)


def test_tuples_their_elements_and_copies_without_a_shape_count_with_the_shapes_xla_infers():
    text = """HloModule t
ENTRY e {
  p = (f32[3,5], f32[3,5]) parameter(0)
  a = get-tuple-element(p), index=0
  g = get-tuple-element(p), index=1
  b = copy(g)
  t = tuple(a, b, p)
  c = get-tuple-element(t), index=1
  q = get-tuple-element(t), index=2
  d = get-tuple-element(q), index=0
  ROOT s = add(c, multiply(d, a))
}
"""
    assert_counted_in_full_as_xla(text)


def test_a_shape_that_cannot_be_read_is_declared_not_counted():
    text = """HloModule u
ENTRY e {
  x = f32[?,8]{1,0} parameter(0)
  ROOT r = f32[?,8]{1,0} negate(x)
}
"""
    flops = module_flops(parse_hlo(text))
    assert flops["total_flops"] == 0
    assert flops["uncounted_opcodes"] == {"negate": 1} and flops["unreadable"] == ["r"]


def test_ragged_and_scaled_dots_count_as_xla_counts_them():
    text = """HloModule d
ENTRY e {
  a = f32[11,5]{1,0} parameter(0)
  b = f32[3,5,7]{2,1,0} parameter(1)
  g = s64[3]{0} parameter(2)
  r = f32[11,7]{1,0} ragged-dot(a, b, g), lhs_contracting_dims={1}, rhs_contracting_dims={1}, lhs_ragged_dims={0}, rhs_group_dims={0}
  x = f8e4m3fn[4,32]{1,0} parameter(3)
  y = f8e4m3fn[32,8]{1,0} parameter(4)
  sx = f8e8m0fnu[4,1]{1,0} parameter(5)
  sy = f8e8m0fnu[1,8]{1,0} parameter(6)
  s = f32[4,8]{1,0} scaled-dot(x, y, sx, sy), lhs_contracting_dims={1}, rhs_contracting_dims={0}
  ROOT t = (f32[11,7]{1,0}, f32[4,8]{1,0}) tuple(r, s)
}
"""
    flops = module_flops(parse_hlo(text))
    ragged, scaled = 2 * 7 * 5, 2 * 4 * 8 * 32  # XLA's ragged rule drops the output's first dimension
    assert flops["dot_flops"] == flops["total_flops"] == xla_flops(text) == ragged + scaled
    assert flops["uncounted_opcodes"] == {}


def test_ragged_all_to_all_is_zero_flops_as_in_xla():
    text = """HloModule r, replica_count=2
ENTRY e {
  input = f32[8,4]{1,0} parameter(0)
  output = f32[8,4]{1,0} parameter(1)
  offsets = s32[2]{0} parameter(2)
  sizes = s32[2]{0} parameter(3)
  ROOT r = f32[8,4]{1,0} ragged-all-to-all(input, output, offsets, sizes, offsets, sizes), replica_groups={{0,1}}
}
"""
    flops = module_flops(parse_hlo(text))
    assert flops["total_flops"] == xla_cost(text).get("flops", 0) == 0  # XLA leaves out a figure of 0
    assert flops["uncounted_opcodes"] == {}


def test_conditional_takes_the_branch_with_the_most_flops_as_xla_does():
    text = """HloModule c
twice {
  x = f32[8]{0} parameter(0)
  y = f32[8]{0} negate(x)
  ROOT z = f32[8]{0} negate(y)
}
product {
  x = f32[8]{0} parameter(0)
  ROOT d = f32[8]{0} dot(x, x), lhs_batch_dims={0}, rhs_batch_dims={0}
}
ENTRY e {
  p = pred[] parameter(0)
  x = f32[8]{0} parameter(1)
  ROOT c = f32[8]{0} conditional(p, x, x), true_computation=twice, false_computation=product
}
"""
    flops = module_flops(parse_hlo(text))
    assert flops["total_flops"] == xla_flops(text) == 16  # not 16 elementwise + 16 dot
    assert flops["elementwise_flops"] == 16 and flops["dot_flops"] == 0


def test_a_custom_fusion_holding_a_gather_or_scatter_costs_that_instruction_as_in_xla():
    text = """HloModule f
gathers {
  x = f32[8,4]{1,0} parameter(0)
  i = s32[2,1]{1,0} parameter(1)
  g = f32[2,4]{1,0} gather(x, i), offset_dims={1}, collapsed_slice_dims={0}, start_index_map={0}, index_vector_dim=1, slice_sizes={1,4}
  ROOT n = f32[2,4]{1,0} negate(g)
}
add {
  a = f32[] parameter(0)
  b = f32[] parameter(1)
  ROOT c = f32[] add(a, b)
}
scatters {
  x = f32[8,4]{1,0} parameter(0)
  i = s32[2,1]{1,0} parameter(1)
  u = f32[2,4]{1,0} parameter(2)
  n = f32[8,4]{1,0} negate(x)
  ROOT s = f32[8,4]{1,0} scatter(n, i, u), update_window_dims={1}, inserted_window_dims={0}, scatter_dims_to_operand_dims={0}, index_vector_dim=1, to_apply=add
}
ENTRY e {
  x = f32[8,4]{1,0} parameter(0)
  i = s32[2,1]{1,0} parameter(1)
  u = f32[2,4]{1,0} parameter(2)
  g = f32[2,4]{1,0} fusion(x, i), kind=kCustom, calls=gathers
  s = f32[8,4]{1,0} fusion(x, i, u), kind=kCustom, calls=scatters
  l = f32[2,4]{1,0} fusion(x, i), kind=kLoop, calls=gathers
  ROOT t = (f32[2,4]{1,0}, f32[8,4]{1,0}, f32[2,4]{1,0}) tuple(g, s, l)
}
"""
    flops = module_flops(parse_hlo(text))
    custom_gather, custom_scatter, loop_gather = 0, 8, 8  # the scatter's adds; the loop fusion's negate
    assert flops["total_flops"] == xla_flops(text) == custom_gather + custom_scatter + loop_gather


def test_scan_is_declared_uncounted_as_xla_counts_it_neither_once_nor_per_step():
    text = """HloModule s
step {
  x = f32[3] parameter(0)
  c = f32[2] parameter(1)
  y = f32[3] negate(x)
  a = f32[2] add(c, c)
  ROOT t = (f32[3], f32[2]) tuple(y, a)
}
ENTRY e {
  xs = f32[5,3]{1,0} parameter(0)
  init = f32[2] parameter(1)
  ROOT s = (f32[5,3]{1,0}, f32[2]) scan(xs, init), dimensions={0}, num_carries=1, to_apply=step
}
"""
    step, steps, second_operand_elements = 3 + 2, 5, 2
    assert xla_flops(text) == step * second_operand_elements != step * steps
    flops = module_flops(parse_hlo(text))
    assert flops["uncounted_opcodes"] == {"scan": 1} and flops["total_flops"] == 0


def test_an_fft_of_length_zero_counts_as_xla_counts_it():
    text = """HloModule f
ENTRY e {
  a = c64[8]{0} parameter(0)
  ROOT f = c64[8]{0} fft(a), fft_type=FFT, fft_length={0}
}
"""
    flops = module_flops(parse_hlo(text))
    log2_floor_of_zero = -1  # XLA's Log2Floor(0)
    assert flops["fft_flops"] == flops["total_flops"] == xla_flops(text) == 8 * log2_floor_of_zero * 8
