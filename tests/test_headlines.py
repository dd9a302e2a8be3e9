"""Headlines, verdict-affecting warnings, judged orders and cost-analysis flags, from synthetic results."""

from __future__ import annotations

import json

from test_report import synthetic_results

from hloscope.results import results_from_json
from hloscope.results.analysis import analysis_text, analyze_run
from hloscope.results.growth import Growth
from hloscope.results.judgement import AS_EXPECTED, BORDERLINE, UNEXPECTED, WITHHELD, judge


def _medians(record: dict, variant: str, layers: int, model: str = "linear") -> dict:
    point = next(p for p in record["points"]
                 if (p["model"], p["variant"], p["layers"]) == (model, variant, layers))
    medians = {stage: point["timing"][stage]["median"] for stage in ("trace_s", "lower_s", "compile_s")}
    medians["runtime_s"] = point["runtime_s"]["median"]
    medians["temp_bytes"] = point["memory"]["temp_bytes"]
    return medians


def test_the_headline_compares_the_pair_at_the_largest_l_both_compiled():
    record = synthetic_results()
    (h,) = analyze_run(results_from_json(record)).headlines
    # unroll L=16 timed out: the largest L both compiled is 8.
    assert (h.model, h.step, h.scanned, h.unrolled, h.layers) == ("linear", "forward", "scan", "unroll", 8)
    scan, unroll = _medians(record, "scan", 8), _medians(record, "unroll", 8)
    assert h.end_to_end_ratio == sum(unroll[s] for s in ("trace_s", "lower_s", "compile_s")) / sum(
        scan[s] for s in ("trace_s", "lower_s", "compile_s"))
    assert h.compile_ratio == unroll["compile_s"] / scan["compile_s"]
    assert h.runtime_ratio == unroll["runtime_s"] / scan["runtime_s"]
    assert h.temp_bytes_ratio == unroll["temp_bytes"] / scan["temp_bytes"]
    # The scanned figure across every L it compiled: 51 ms at L=1 and 4, 52 ms at L=2 and 8.
    span = h.spread["compile_s"]
    assert (span.low, span.low_layers, span.high, span.high_layers) == (0.051, 1, 0.052, 2)


def test_results_json_holds_the_headlines_and_never_trusts_stored_ones():
    record = synthetic_results()
    record["headlines"] = [{"model": "linear", "step": "forward", "layers": 99, "compile_ratio": 1000.0}]
    written = json.loads(analysis_text(analyze_run(results_from_json(record))))
    (h,) = written["headlines"]
    assert set(h) >= {"model", "step", "layers", "compile_ratio", "end_to_end_ratio", "runtime_ratio",
                      "temp_bytes_ratio"}
    assert h["layers"] == 8 and h["compile_ratio"] == 0.16 / 0.052
    assert h["figures"]["compile_s"] == {"scanned": 0.052, "unrolled": 0.16}


def test_one_headline_per_step():
    record = synthetic_results()
    trained = [dict(p, step="train") for p in record["points"] if p["variant"] in ("scan", "unroll")]
    for p in trained:  # the training step compiles twice as long
        p["timing"] = {k: (dict(v, median=2 * v["median"]) if isinstance(v, dict) else v) for k, v in p["timing"].items()}
    record["points"] += trained
    headlines = analyze_run(results_from_json(record)).headlines
    assert [(h.model, h.step) for h in headlines] == [("linear", "forward"), ("linear", "train")]
    forward, train = headlines
    assert train.compile_s.scanned == 2 * forward.compile_s.scanned and train.layers == 8


def test_no_pair_no_ratio_and_says_why():
    record = synthetic_results()
    record["points"] = [p for p in record["points"] if p["variant"] == "scan"]
    (h,) = analyze_run(results_from_json(record)).headlines
    assert h.layers is None and h.compile_ratio is None and h.end_to_end_ratio is None
    assert h.na == "only scan: nothing to compare against"


def _warnings(record: dict):
    return analyze_run(results_from_json(record)).warnings


def test_noise_the_headline_does_not_read_is_a_note_that_says_the_headline_was_clean():
    noisy = [w for w in _warnings(synthetic_results()) if w.kind == "noisy"]
    assert len(noisy) == 1 and not noisy[0].affects_verdict
    assert "compile_s at 1 of 12 points (worst 3.2x, unroll L=4)" in noisy[0].text
    assert "The headline's timings are clean: trace_s, lower_s, compile_s, runtime_s of scan and unroll at L=8" in noisy[0].text


def test_noise_in_a_headline_timing_affects_the_verdict():
    record = synthetic_results()
    point = next(p for p in record["points"] if (p["variant"], p["layers"]) == ("unroll", 8))
    point["timing"]["compile_s"] = {"median": 0.16, "min": 0.1, "max": 0.4, "samples": [0.1, 0.16, 0.4]}
    (noisy,) = [w for w in _warnings(record) if w.kind == "noisy"]
    assert noisy.affects_verdict
    assert "The headline reads noisy timings: compile_s of unroll at L=8 (4.0x)" in noisy.text


def test_failures_pitfalls_affect_verdicts_and_cost_analysis_limits_are_notes():
    by_kind = {w.kind: w.affects_verdict for w in _warnings(synthetic_results())}
    assert by_kind["timeout"] and by_kind["pitfall"]
    assert not by_kind["FLOPs"] and not by_kind["repeats"] and not by_kind["bytes accessed"]


def test_bytes_accessed_below_the_arguments_is_flagged():
    (note,) = [w for w in _warnings(synthetic_results()) if w.kind == "bytes accessed"]
    # scan at L=8: XLA reports 1,100 B accessed; the forward's arguments are 8 x 1,088 B.
    assert note.text.startswith("linear scan: XLA's cost analysis reports 1.1 KiB accessed at L=8, less than the "
                                "8.5 KiB of arguments one call reads")
    assert note.text.endswith("; 3 of 3 points")


def _growth(variant: str, metric: str, order: str, exponent: float, low: float | None, high: float | None) -> Growth:
    return Growth("m", variant, metric, order, exponent, (2, 4, 8), (1.0, 2.0, 3.0), low, high)


def test_orders_are_judged_against_the_variant_with_their_interval():
    assert judge(_growth("scan", "compile_s", "O(1)", 0.02, -0.04, 0.12)).verdict == AS_EXPECTED
    # An unrolled stack should grow; runtime grows for both.
    assert judge(_growth("unroll", "compile_s", "O(L)", 1.0, 0.9, 1.1)).verdict == AS_EXPECTED
    assert judge(_growth("scan", "runtime_s", "O(L)", 0.95, 0.8, 1.1)).verdict == AS_EXPECTED
    assert judge(_growth("scan", "compile_s", "O(L)", 0.9, 0.7, 1.1)).verdict == UNEXPECTED
    # 0.51 (0.11 to 0.96): O(L) by its exponent, but its interval reaches O(1).
    edge = judge(_growth("scan", "compile_s", "O(L)", 0.51, 0.11, 0.96))
    assert edge.verdict == BORDERLINE and edge.borderline == "its 95% interval 0.11 to 0.96 spans O(1) and O(L)"
    assert judge(_growth("unroll", "compile_s", "O(L)", 0.51, 0.11, 0.96)).verdict == AS_EXPECTED
    assert judge(_growth("unroll", "compile_s", "O(L)", 0.51, 0.11, 0.96)).borderline is not None
    # Two points too few for an interval that decides: it can span all three bands.
    wide = judge(_growth("unroll", "compile_s", "O(1)", 0.10, -1.20, 1.40))
    assert wide.verdict == BORDERLINE
    assert wide.borderline == "its 95% interval -1.20 to 1.40 spans O(1), O(L) and steeper than O(L)"
    withheld = judge(_growth("scan", "peak_rss_bytes", "O(1)", 0.3, 0.1, 0.5))
    assert withheld.verdict == WITHHELD and "worker holds before the point" in withheld.withheld
