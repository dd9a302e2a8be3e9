"""What one layer costs, the scan's while loop after optimization, and FLOPs checks."""

import pytest

from hloscope.run.config import SweepConfig
from hloscope.run.measure import measure_point
from hloscope.report.costs import per_layer_sentence, per_layer_source, while_loop_sentences
from hloscope.results import Point, Results
from hloscope.results.analysis import analyze_run
from hloscope.results.flops import flops_check, flops_disagreements
from hloscope.results.per_layer import opcode_verdict, while_loops_kept


def per_layer_costs(points):
    """model -> per-layer record, as the run's analysis derives it for the model's comparison pair."""
    analysis = analyze_run(Results("", "", {}, {}, tuple(points)))
    return {m.name: m.per_layer for m in analysis.models if m.per_layer is not None}


def point(variant, layers, pre, opt=None, cost=None, status="ok"):
    return Point("m", variant, layers, status, hlo={"pre": pre, "opt": opt or {}},
                 extra={"cost": cost} if cost else {})


def unrolled(L):
    # Two dots and three adds per layer, plus fixed parameters; L=1 has no slices.
    counts = {"dot": 2 * L, "add": 3 * L, "parameter": 5}
    if L > 1:
        counts["slice"] = 4 * L
    return {"op_counts": counts, "while_loops": 0}


SCAN_PRE = {"op_counts": {"while": 1}, "while_loops": 1,
            "while_body_op_counts": {"dot": 2, "add": 4, "dynamic-slice": 4, "parameter": 3}}


def test_fit_per_layer_and_compare_with_the_scanned_body():
    points = [point("unroll", L, unrolled(L)) for L in (1, 2, 4, 8)]
    points += [point("scan", L, SCAN_PRE, {"while_loops": 1 if L > 1 else 0}) for L in (1, 2, 4, 8)]
    record = per_layer_costs(points)["m"]
    assert record["layers"] == [2, 4, 8]  # L=1 is left out: it slices nothing
    ops = record["opcodes"]
    assert ops["dot"] == {"per_layer": 2, "intercept": 0, "exact": True, "scan_body": 2, "matches": True, "work": True}
    assert ops["add"]["per_layer"] == 3 and ops["add"]["scan_body"] == 4 and ops["add"]["matches"] is False
    assert ops["slice"]["per_layer"] == 4 and ops["slice"]["scan_body"] == 0
    assert record["work_matches"] is True
    assert "add" in record["differs"] and "dot" not in record["differs"]
    sentence = per_layer_sentence("m", record)
    assert sentence.startswith("m: each layer adds 2 dot, 3 add")
    assert "same arithmetic" in sentence
    kept = {row["layers"]: row["kept"] for row in record["while_loops"]}
    assert kept == {1: False, 2: True, 4: True, 8: True}


def test_without_a_scanned_body_only_the_fit_is_given():
    record = per_layer_costs([point("unroll", L, unrolled(L)) for L in (2, 4)])["m"]
    assert record["work_matches"] is None and record["opcodes"]["dot"]["scan_body"] is None
    assert "no scanned while body" in per_layer_sentence("m", record)


def test_one_unrolled_point_is_not_enough():
    assert per_layer_costs([point("unroll", 2, unrolled(2)), point("scan", 2, SCAN_PRE)]) == {}


def test_failed_points_are_ignored():
    points = [point("unroll", L, unrolled(L)) for L in (2, 4)] + [point("unroll", 8, {}, status="failed")]
    assert per_layer_costs(points)["m"]["layers"] == [2, 4]


def test_while_loops_kept_skips_unrolled():
    rows = while_loops_kept([point("unroll", 2, unrolled(2)), point("scan-remat", 2, SCAN_PRE, {"while_loops": 1})])
    assert rows == [{"variant": "scan-remat", "layers": 2, "pre": 1, "opt": 1, "kept": True}]


def test_flops_check_flags_xla_undercounting_a_scan():
    flops = lambda dot: {"flops": {"dot_flops": dot, "conv_flops": 0, "total_flops": dot + 10}}
    points = [
        point("scan", 4, flops(400), flops(400), cost={"flops": 110.0}),
        point("unroll", 4, flops(400), flops(400), cost={"flops": 409.0}),
    ]
    check = flops_check(points, "unroll")
    rows = {row["variant"]: row for row in check["rows"]}
    assert rows["scan"]["agrees"] is False and rows["unroll"]["agrees"] is True
    assert rows["scan"]["hloscope_flops"] == 410
    assert check["scan_vs_unroll"] == [
        {"model": "m", "step": "forward", "variant": "scan", "layers": 4, "dot_flops": 400.0, "unroll_dot_flops": 400.0, "equal": True}
    ]


def test_verdicts_judge_executed_arithmetic_and_label_bookkeeping():
    executed = lambda u, s: {"per_layer": 0, "scan_body": 1, "executed_per_layer": u, "scan_executed_per_layer": s}
    # relu is a computation the unrolled stack calls: 0 added per layer, yet executed once per layer.
    assert opcode_verdict("maximum", executed(1, 1)) == ("same", "good")
    assert opcode_verdict("add", executed(1, 2)) == ("same + loop counter", "good")
    assert opcode_verdict("multiply", executed(1, 2)) == ("differs", "bad")
    assert opcode_verdict("dynamic-slice", executed(0, 2)) == ("differs: bookkeeping", "muted")
    assert opcode_verdict("reshape", executed(1, 3)) == ("differs: layout", "muted")
    # Without executed counts, the fit against the scanned body's op counts.
    assert opcode_verdict("dot", {"per_layer": 2, "scan_body": 2}) == ("same", "good")
    assert opcode_verdict("dot", {"per_layer": 2, "scan_body": None})[1] == "muted"


def test_source_and_while_loop_sentences():
    record = {"layers": [2, 4, 8], "fitted_from": "unroll hlo.pre.op_counts",
              "scan_body_from": {"variant": "scan", "layers": 8}, "opcodes": {}}
    assert per_layer_source(record) == ("Fitted from the unrolled pre-optimization op counts at L = 2, 4, 8; "
                                        "the scanned body is the scan point's at L = 8.")
    rows = [{"variant": "scan", "layers": L, "pre": 1, "opt": int(L > 1), "kept": L > 1} for L in (1, 2, 4)]
    assert while_loop_sentences(rows) == [
        "scan: XLA kept its while loop after optimization at L = 2, 4; removed or unrolled it at L = 1 (1 before, 0 after)."
    ]


def test_flops_disagreements_group_per_variant():
    flops = lambda total: {"flops": {"dot_flops": total, "conv_flops": 0, "total_flops": total}}
    points = [point("scan", L, flops(100 * L), flops(100 * L), cost={"flops": 100.0}) for L in (1, 2, 4)]
    points += [point("unroll", L, flops(100 * L), flops(100 * L), cost={"flops": 100.0 * L}) for L in (1, 2, 4)]
    groups = flops_disagreements(flops_check(points, "unroll"))
    assert groups == [{"model": "m", "step": "forward", "variant": "scan", "layers": 4, "xla_flops": 100.0, "hloscope_flops": 400.0,
                       "disagree": 2, "compared": 3, "while_body_once": True}]


def test_flops_check_tolerates_missing_figures():
    check = flops_check([point("scan", 2, {}), point("unroll", 2, {}, cost={"na": "no analysis"})], "unroll")
    assert all(row["agrees"] is None for row in check["rows"])
    assert check["scan_vs_unroll"] == []


@pytest.mark.parametrize("model", ["linear", "transformer"])
def test_measured_builtins_scan_and_unroll_agree_on_dot_flops(model):
    config = SweepConfig(models=(model,), features=16, heads=2, seq_len=4, repeats=1)
    points = [measure_point(config, model, v, L) for L in (2, 4) for v in ("scan", "unroll")]
    assert all(p.ok for p in points), [p.error for p in points]
    assert all("flops" in p.hlo["pre"] and "flops" in p.hlo["opt"] for p in points)
    pairs = flops_check(points, "unroll")["scan_vs_unroll"]
    assert len(pairs) == 2 and all(pair["equal"] for pair in pairs), pairs
    record = per_layer_costs(points)[model]
    assert record["opcodes"]["dot"]["matches"] is True
    assert record["work_matches"] is True, record["differs"]
