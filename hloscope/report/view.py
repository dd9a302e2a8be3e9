"""What the report shows of each model: what was compared, its charts and its growth rows, from its ModelAnalysis.

Renderers only: every figure comes from hloscope.results.analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hloscope.report.charts import Chart, Datum, SeriesData, fit_curve, loglog_chart
from hloscope.results import Point
from hloscope.results.analysis import ModelAnalysis, RunAnalysis
from hloscope.results.growth import CONSTANT_BELOW, LINEAR_BELOW, STEEPER_ABOVE, Growth, Prediction
from hloscope.results.headlines import compiled_pair
from hloscope.results.judgement import (AS_EXPECTED, BORDERLINE, NO_EXPECTATION, UNEXPECTED, WITHHELD, Judgement,
                                        judge)
from hloscope.results.metrics import METRIC_NAMES, METRICS, metric as registered_metric
from hloscope.results.units import fmt_exponent, fmt_seconds, fmt_value
from hloscope.steps import series_name
from hloscope.variants import CONSTRUCTIONS, SLICED_STACK

# What a count's axis counts, by the metric's name.
COUNT_NAMES = {"instructions": "instructions", "leaves": "arrays"}
# The text-size chart of a stage, and the instruction-count chart it would repeat.
TEXT_SIZE_OF = {"hlo.pre.bytes": "hlo.pre.instructions", "hlo.opt.bytes": "hlo.opt.instructions"}
# How each verdict reads and which colour class it gets.
TONES = {AS_EXPECTED: "expected", UNEXPECTED: "unexpected", BORDERLINE: "borderline", NO_EXPECTATION: "neutral",
         WITHHELD: "neutral"}


def count_name(metric: str) -> str:
    """What a count's axis counts ("instructions", or "count"), by the metric's name."""
    return next((name for word, name in COUNT_NAMES.items() if word in metric), "count")


def hover_label(point: Point, metric: str, value: float) -> str:
    """A point's figure for a chart's hover text, in its unit, with its repeats' spread when a timing."""
    title = registered_metric(metric).title if metric in METRIC_NAMES else metric
    text = f"{series_name(point.step, point.variant)}, L={point.layers}: {title} {fmt_value(metric, value)}"
    stats = point.stats(metric)
    if stats is not None and "samples" in stats:
        text += (f" (median of {len(stats['samples'])}; min {fmt_value(metric, stats['min'])}, "
                 f"max {fmt_value(metric, stats['max'])})")
    return text


@dataclass(frozen=True)
class GrowthRow:
    """One fit as the growth table shows it: plain cells, and the verdict against the variant's expectation."""

    variant: str
    metric: str
    order: str
    exponent: str
    interval: str
    fitted: str
    verdict: str
    tone: str
    note: str


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value + 0.0:.2f}".replace("-0.00", "0.00")


def fitted_layers(g: Growth) -> str:
    """'16, 32, 64, 96 (growth above L = 2)': the layer counts the fit used."""
    text = ", ".join(map(str, g.fit_layers or g.layers))
    if g.base_layers is not None and g.base_layers not in (g.fit_layers or ()):
        text += f" (growth above L = {g.base_layers})"
    return text


def growth_row(g: Growth) -> GrowthRow:
    """The growth table's row of a fit, judged against what its variant should give."""
    j: Judgement = judge(g)
    if j.verdict == WITHHELD:
        return GrowthRow(g.variant, g.metric, "not judged", _num(g.exponent), _interval(g), fitted_layers(g),
                         "not judged", TONES[WITHHELD], f"no order given: {j.withheld}")
    note = []
    if j.expected is not None and j.verdict != AS_EXPECTED:
        note.append(f"{g.variant} should give {j.expected}")
    if j.borderline:
        # A borderline verdict already says so: its note gives only the reason.
        note.append(j.borderline if j.verdict == BORDERLINE else f"borderline: {j.borderline}")
    return GrowthRow(g.variant, g.metric, g.order, _num(g.exponent), _interval(g), fitted_layers(g),
                     j.verdict, TONES[j.verdict], "; ".join(note))


def _interval(g: Growth) -> str:
    if g.exponent_low is None or g.exponent_high is None:
        return "n/a (two points)"
    return f"{_num(g.exponent_low)} to {_num(g.exponent_high)}"


def order_rule() -> str:
    """How an order is named and judged, in words, from the thresholds the fits use."""
    return (f"Order from the log-log exponent: below {CONSTANT_BELOW} O(1); O(L^k) when the whole 95% interval lies "
            f"above {STEEPER_ABOVE} (with no interval, an exponent of {LINEAR_BELOW} or more); otherwise O(L). "
            f"A fit is borderline when its interval crosses {CONSTANT_BELOW}, or when an O(L) exponent reaches "
            f"{LINEAR_BELOW}. Colours judge the order against the variant: green is what it should give "
            "(a scanned stack O(1) in compile time and HLO size, an unrolled one O(L); runtime O(L) for both), "
            "red is not, amber is borderline; grey has no expectation.")


@dataclass(frozen=True)
class ModelView:
    name: str
    step: str
    title: str
    baseline: tuple[str, ...]
    charts: tuple[Chart, ...]
    growth: tuple[GrowthRow, ...]
    points: tuple[Point, ...]
    variants: tuple[str, ...]
    largest_layers: int | None
    dropped_charts: tuple[str, ...] = ()


def baseline_lines(model: ModelAnalysis, construction: str) -> tuple[str, ...]:
    """What the headline compared against, and ``unroll-sliced`` beside it when the run has it."""
    points, variants = list(model.points), model.variants
    scanned, unrolled = model.scanned, model.unrolled
    if unrolled is None:
        return ()
    construction = construction if unrolled == "unroll" else SLICED_STACK
    text = f"{unrolled}: {CONSTRUCTIONS[construction]}"
    if unrolled == "unroll" and construction == SLICED_STACK:
        text += (" (this run records no unroll_construction: it was made before unroll became L separate modules,"
                 " which compile faster; unroll-sliced is that construction today)")
    arguments = _entry_parameters(points, unrolled)
    if arguments:
        text += f"; {arguments}"
    lines = [text + "."]
    if unrolled == "unroll" and "unroll-sliced" in variants:
        line = f"unroll-sliced, beside it: {CONSTRUCTIONS[SLICED_STACK]}"
        pair = compiled_pair(points, "unroll", "unroll-sliced")
        if pair is not None:
            L, unroll_s, sliced_s = pair[0], pair[1].value("compile_s"), pair[2].value("compile_s")
            line += f". At L={L} it compiles in {fmt_seconds(sliced_s)}, {sliced_s / unroll_s:.1f}x unroll's {fmt_seconds(unroll_s)}"
            scan = compiled_pair(points, scanned, "unroll-sliced") if scanned else None
            if scan is not None and scan[0] == L:
                scan_s = scan[1].value("compile_s")
                line += f" and {sliced_s / scan_s:.1f}x {scanned}'s {fmt_seconds(scan_s)}"
        else:
            line += "; no layer count where both it and unroll compiled"
        lines.append(line + ".")
    return tuple(lines)


def _entry_parameters(points: list[Point], variant: str) -> str:
    """'at L=48 XLA receives 769 arguments (16 arrays per layer)', from the largest ok point that recorded it."""
    for p in sorted((p for p in points if p.ok and p.variant == variant), key=lambda p: -p.layers):
        count = p.hlo.get("pre", {}).get("entry_parameters")
        if isinstance(count, int):
            per_layer = p.extra.get("arrays_per_layer")
            detail = f" ({per_layer} arrays per layer)" if isinstance(per_layer, int) else ""
            return f"at L={p.layers} its pre-optimization HLO entry takes {count} parameters{detail}"
    return ""


def _repeats_text_size(model: ModelAnalysis, metric: str) -> bool:
    """Whether a text-size chart would repeat its stage's instruction counts: the same order for every variant."""
    counts = TEXT_SIZE_OF.get(metric)
    if counts is None:
        return False
    pairs = [(model.fit(v, metric), model.fit(v, counts)) for v in model.variants]
    pairs = [(a, b) for a, b in pairs if a is not None or b is not None]
    return bool(pairs) and all(a is not None and b is not None and a.order == b.order for a, b in pairs)


def point_datum(p: Point, metric: str, value: float) -> Datum:
    """A point's figure to draw: its value, hover text and, for a timing, its repeats' min and max."""
    stats = p.stats(metric)
    low = high = None
    if isinstance(stats, dict) and isinstance(stats.get("min"), (int, float)) and isinstance(stats.get("max"), (int, float)):
        low, high = stats["min"], stats["max"]
    return Datum(p.layers, value, hover_label(p, metric, value), low, high)


def model_charts(model: ModelAnalysis) -> tuple[list[Chart], list[str]]:
    """One log-log chart per registered metric that any point of this model holds, and the charts left out.

    A text-size chart that grows as its stage's instruction counts do (the
    same order for every variant) is left out: it would repeat them. A
    metric whose order is withheld gets no order in its legend.
    """
    charts, dropped = [], []
    for metric in METRICS:
        if not metric.own_chart:
            continue
        if _repeats_text_size(model, metric.name):
            dropped.append(f"{metric.title}: grows as the instruction counts do (same order for every variant); "
                           "its fits are in the growth table")
            continue
        series = []
        for variant in model.variants:
            data = []
            for p in model.points:
                if p.ok and p.variant == variant:
                    value = p.value(metric.name)
                    if value is not None and value > 0:
                        data.append(point_datum(p, metric.name, value))
            fit = model.fit(variant, metric.name)
            predicted = tuple(
                Datum(q.layers, q.value, _prediction_label(q))
                for q in model.predictions
                if q.variant == variant and q.metric == metric.name and q.value > 0 and metric.withheld is None
            )
            legend = variant
            line: tuple = ()
            if fit is not None and metric.withheld is None:
                legend = f"{variant}: {fit.order}, exponent {fmt_exponent(fit)}"
                line = fit_curve(fit, max((d.x for d in predicted), default=None))
            if predicted:
                legend += "; hollow = predicted"
            series.append(SeriesData(variant, tuple(data), legend, line, predicted=predicted))
        unit_name = count_name(metric.name)
        chart = loglog_chart(metric.title, metric.unit, series, unit_name=unit_name)
        if chart is not None:
            if metric.withheld:
                chart = replace(chart, note=f"No growth order: {metric.withheld}.")
            charts.append(chart)
    return charts, dropped


def _prediction_label(q: Prediction) -> str:
    interval = "" if q.low is None or q.high is None else f" (interval {fmt_value(q.metric, q.low)} to {fmt_value(q.metric, q.high)})"
    return f"{q.variant}, L={q.layers}: {q.metric} predicted {fmt_value(q.metric, q.value)}{interval}"


def model_view(model: ModelAnalysis, analysis: RunAnalysis) -> ModelView:
    """Baseline lines, charts and growth rows of one model."""
    charts, dropped = model_charts(model)
    return ModelView(
        name=model.name,
        step=model.step,
        title=model.label,
        baseline=baseline_lines(model, analysis.unroll_construction),
        charts=tuple(charts),
        growth=tuple(growth_row(g) for g in model.growth),
        points=model.points,
        variants=model.variants,
        largest_layers=model.largest_layers,
        dropped_charts=tuple(dropped),
    )


def model_views(analysis: RunAnalysis) -> list[ModelView]:
    """A view of every model in the run."""
    return [model_view(m, analysis) for m in analysis.models]
