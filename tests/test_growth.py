"""Growth fits and verdicts on synthetic points: exact counts and noisy timings."""

import math
import random

import pytest

from hloscope.results.growth import classify, fit_growth, fit_layers, predict
from hloscope.results.stats import t95
from hloscope.results import Point, Stats

LAYERS = (1, 2, 4, 8, 16, 32, 64, 96)


def make_point(variant, layers, compile_samples, instructions, model="m"):
    return Point(
        model, variant, layers, "ok",
        timing={"compile_s": Stats.from_samples(compile_samples).to_json()},
        hlo={"pre": {"instructions": instructions}},
    )


def verdicts(points, metric):
    return {g.variant: g for g in fit_growth(points, [metric])}


@pytest.mark.parametrize("a, b", [(20, 168), (300, 1), (5000, 10), (7, 6)])
def test_exact_linear_counts_are_exactly_linear_however_large_the_constant(a, b):
    points = [make_point("unroll", L, [1.0], a + b * L) for L in LAYERS]
    points += [make_point("scan", L, [1.0], 300) for L in LAYERS]
    fits = verdicts(points, "hlo.pre.instructions")
    assert fits["unroll"].order == "O(L)"
    assert fits["unroll"].exponent == pytest.approx(1.0, abs=1e-9)
    assert fits["scan"].order == "O(1)" and fits["scan"].exponent == 0.0


def test_exact_count_that_jumps_at_one_layer_is_constant():
    # XLA drops a one-trip loop: L = 1 differs from every other layer count.
    points = [make_point("scan", L, [1.0], 275 if L == 1 else 371) for L in LAYERS]
    assert verdicts(points, "hlo.pre.instructions")["scan"].order == "O(1)"


def test_exact_quadratic_counts_are_steeper_than_linear():
    points = [make_point("unroll", L, [1.0], 100 + 3 * L * L) for L in LAYERS]
    fit = verdicts(points, "hlo.pre.instructions")["unroll"]
    assert fit.order.startswith("O(L^")
    assert fit.exponent > 1.5


def test_noisy_constant_and_linear_timings_classify_the_same_every_time():
    rng = random.Random(1)
    for trial in range(50):
        points = []
        for L in LAYERS:
            noise = lambda: math.exp(rng.gauss(0, 0.25))  # ~25% jitter per sample
            points.append(make_point("scan", L, [0.2 * noise() for _ in range(3)], 1))
            points.append(make_point("unroll", L, [0.03 + 0.1 * L * noise() for _ in range(3)], 1))
        fits = verdicts(points, "compile_s")
        assert fits["scan"].order == "O(1)", trial
        assert fits["unroll"].order == "O(L)", trial


def test_interval_contains_the_exponent_and_widens_with_noise():
    # The slope is fitted on each point's median: the jitter that matters is between layer counts.
    quiet = [make_point("v", L, [0.1 * L * (1 + 0.01 * (-1) ** i) * f for f in (0.9, 1.0, 1.1)], 1)
             for i, L in enumerate(LAYERS)]
    loud = [make_point("v", L, [0.1 * L * (1 + 0.4 * (-1) ** i) * f for f in (0.9, 1.0, 1.1)], 1)
            for i, L in enumerate(LAYERS)]
    q = verdicts(quiet, "compile_s")["v"]
    n = verdicts(loud, "compile_s")["v"]
    assert q.exponent_low < q.exponent < q.exponent_high
    assert (n.exponent_high - n.exponent_low) > (q.exponent_high - q.exponent_low)
    record = q.to_json()
    assert {"exponent", "exponent_low", "exponent_high", "order"} <= set(record)


def test_fit_layers_are_the_upper_half_without_one():
    assert fit_layers(LAYERS) == (16, 32, 64, 96)
    assert fit_layers((1, 2, 4)) == (2, 4)
    assert fit_layers((1, 2, 4, 8)) == (2, 4, 8)
    assert fit_layers((3, 5)) == (3, 5)


def test_classify_bands():
    assert classify(0.0) == "O(1)" and classify(0.49, 0.1) == "O(1)"
    assert classify(0.5) == "O(L)" and classify(1.49) == "O(L)"
    assert classify(2.04) == "O(L^2.0)"
    # Steeper than linear only when the whole interval says so.
    assert classify(1.6, 1.1) == "O(L)"
    assert classify(1.4, 1.3) == "O(L^1.4)"


def test_predictions_extrapolate_exact_counts_exactly_and_timings_with_an_interval():
    rng = random.Random(2)
    points = [make_point("unroll", L, [0.05 * L * math.exp(rng.gauss(0, 0.1)) for _ in range(3)], 20 + 168 * L)
              for L in LAYERS]
    points += [make_point("scan", L, [0.2], 300) for L in LAYERS]
    fits = fit_growth(points, ["compile_s", "hlo.pre.instructions"])
    by_key = {(p.variant, p.metric): p for p in predict(fits, [128, 256])if p.layers == 256}
    count = by_key[("unroll", "hlo.pre.instructions")]
    assert count.value == pytest.approx(20 + 168 * 256)
    assert count.low == pytest.approx(count.value) and count.high == pytest.approx(count.value)
    assert by_key[("scan", "hlo.pre.instructions")].value == pytest.approx(300)
    timing = by_key[("unroll", "compile_s")]
    assert timing.low < timing.value < timing.high
    assert timing.low < 0.05 * 256 < timing.high
    assert timing.to_json()["predicted"] is True


def test_failed_points_and_missing_metrics_are_left_out():
    points = [make_point("v", L, [0.1], 10 * L) for L in (1, 2, 4)]
    points.append(Point("m", "v", 8, "timeout", error="over --timeout"))
    fits = fit_growth(points, ["compile_s", "memory.temp_bytes"])
    assert [g.metric for g in fits] == ["compile_s"]
    assert fits[0].layers == (1, 2, 4)


def test_t_quantiles():
    assert t95(1) == pytest.approx(12.706)
    assert t95(30) == pytest.approx(2.042)
    assert t95(60) == pytest.approx(2.000, abs=0.002)
    assert t95(0) == math.inf


@pytest.mark.parametrize("slowed", [2, 8, 32, 96])
def test_one_point_slowed_by_load_does_not_flip_a_verdict(slowed):
    def factor(L):
        return 3.0 if L == slowed else 1.0

    points = [make_point("scan", L, [0.2 * factor(L)] * 3, 1) for L in LAYERS]
    points += [make_point("unroll", L, [(0.25 + 0.1 * L) * factor(L)] * 3, 1) for L in LAYERS]
    fits = verdicts(points, "compile_s")
    assert fits["scan"].order == "O(1)"
    assert fits["unroll"].order == "O(L)"


def test_a_timing_with_a_constant_cost_is_predicted_from_its_growth_above_the_base():
    # compile_s = 0.3 s of fixed cost + 0.1 s per layer, with a little noise:
    # the plain log-log slope over L <= 32 is well below 1 and undershoots L = 96.
    rng = random.Random(7)
    fit_on = (1, 2, 4, 8, 16, 32)

    def compile_s(L):
        return (0.3 + 0.1 * L) * (1 + rng.uniform(-0.02, 0.02))

    points = [make_point("unroll", L, [compile_s(L) for _ in range(3)], 10 * L) for L in fit_on]
    (fit,) = [g for g in fit_growth(points, ["compile_s"]) if g.variant == "unroll"]
    assert fit.order == "O(L)"
    (prediction,) = predict([fit], [96])
    truth = 0.3 + 0.1 * 96
    assert abs(prediction.value / truth - 1) < 0.1
    assert prediction.low < prediction.value < prediction.high
    plain = math.exp(fit.intercept + fit.exponent * math.log(96))
    assert abs(plain / truth - 1) > abs(prediction.value / truth - 1)


def _timing_points(variant, values):
    return [
        Point("m", variant, L, "ok", timing={"compile_s": {"median": v, "min": v, "max": v, "samples": [v]}})
        for L, v in values.items()
    ]


@pytest.mark.parametrize("variant,values", [
    # A growing timing with a constant cost: a + b*L fitted on L <= 32.
    ("unroll", {L: 0.3 + 0.1 * L for L in (1, 2, 4, 8, 16, 32)}),
    # A flat timing with noise: O(1), drawn and predicted at its level.
    ("scan", dict(zip((1, 2, 4, 8, 16, 32), (0.4, 0.35, 0.38, 0.36, 0.37, 0.39)))),
    # An exact count a + b*L.
    ("unroll", {L: 7 + 5 * L for L in (1, 2, 4, 8, 16, 32)}),
])
def test_the_charted_fit_passes_through_the_predictions(variant, values):
    from hloscope.report.charts import fit_curve

    growth = fit_growth(_timing_points(variant, values), ("compile_s",))[0]
    line = dict(fit_curve(growth, until=96))
    assert line[96.0] == pytest.approx(growth.predict(96).value, rel=1e-12)
    for L in (40, 64):
        assert growth.curve(L) == pytest.approx(growth.predict(L).value, rel=1e-12)
