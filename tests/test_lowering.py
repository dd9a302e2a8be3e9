"""Lowering a forward yields both HLO texts and cold, verified timings."""

import jax

from hloscope.hlo import summarize_hlo
from hloscope.run.lowering import lower_cold
from hloscope.models import build_forward
from hloscope.models.zoo import linear_model


def _lower(variant, layers, repeats=2):
    # These tests read the texts and the repeats' timings: no runtime runs, no extra compile for phases.
    spec = linear_model(features=16)
    x = spec.make_input()
    return lower_cold(lambda: build_forward(spec.make_block, variant, layers, x), repeats, run=False, phases=False)


def test_lowering_yields_pre_and_post_optimization_hlo():
    lowering = _lower("scan", 4)
    assert lowering.pre_text.startswith("HloModule")
    assert lowering.opt_text.startswith("HloModule")
    # The pre-optimization text is HLO, not StableHLO.
    assert "stablehlo." not in lowering.pre_text
    assert lowering.pre_text != lowering.opt_text


def test_every_repeat_is_timed():
    lowering = _lower("unroll", 2, repeats=3)
    for samples in (lowering.trace_s, lowering.lower_s, lowering.compile_s):
        assert len(samples) == 3
        assert all(s > 0 for s in samples)


def test_scan_keeps_one_while_loop_and_unroll_none():
    scanned = summarize_hlo(_lower("scan", 4, repeats=1).pre_text)
    unrolled = summarize_hlo(_lower("unroll", 4, repeats=1).pre_text)
    assert scanned.while_loops == 1
    assert unrolled.while_loops == 0


def test_scan_pre_optimization_size_does_not_grow_with_layers():
    small = summarize_hlo(_lower("scan", 2, repeats=1).pre_text)
    large = summarize_hlo(_lower("scan", 8, repeats=1).pre_text)
    assert small.instructions == large.instructions
    unrolled_small = summarize_hlo(_lower("unroll", 2, repeats=1).pre_text)
    unrolled_large = summarize_hlo(_lower("unroll", 8, repeats=1).pre_text)
    assert unrolled_large.instructions > unrolled_small.instructions


def test_scan_and_unroll_compute_the_same():
    spec = linear_model(features=16)
    x = spec.make_input()
    scan = build_forward(spec.make_block, "scan", 5, x)
    unroll = build_forward(spec.make_block, "unroll", 5, x)
    a = jax.jit(scan.fn)(*scan.args)
    b = jax.jit(unroll.fn)(*unroll.args)
    assert float(abs(a - b).max()) < 1e-5
