"""What the report shows of each model: verdict sentences and charts, from its ModelAnalysis.

Renderers only: every figure comes from hloscope.results.analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

from hloscope.report.charts import Chart, SeriesData, fit_curve, loglog_chart
from hloscope.results import Point
from hloscope.results.analysis import ModelAnalysis, RunAnalysis
from hloscope.results.growth import Growth, Prediction
from hloscope.results.metrics import HEADLINE_METRICS, METRICS
from hloscope.results.units import fitted_on, fmt_exponent, fmt_seconds
from hloscope.variants import CONSTRUCTIONS, SEPARATE_MODULES, SLICED_STACK

# How chart axes name each unit.
AXIS_UNITS = {"s": "seconds", "bytes": "bytes", "count": "count"}


def hover_label(point: Point, metric: str, value: float) -> str:
    """Exact value of a point for a chart's hover text."""
    text = f"{point.variant}, L={point.layers}: {metric} = {value:.6g}"
    stats = point.stats(metric)
    if stats is not None and "samples" in stats:
        text += f" (median of {len(stats['samples'])}; min {stats['min']:.6g}, max {stats['max']:.6g})"
    return text


@dataclass(frozen=True)
class ModelView:
    name: str
    headline: str
    baseline: tuple[str, ...]
    charts: tuple[Chart, ...]
    growth: tuple[Growth, ...]
    points: tuple[Point, ...]
    variants: tuple[str, ...]
    largest_layers: int | None


def _unrolling(unrolled: str, construction: str) -> str:
    """How the headline names the unrolled side."""
    if unrolled != "unroll":
        return unrolled
    return "unrolling it" if construction == SEPARATE_MODULES else "unrolling it by slicing its stacked parameters"


def _compiled_pair(points: list[Point], first: str, second: str) -> tuple[int, float, float] | None:
    """(L, compile_s of first, of second) at the largest L where both compiled."""
    by_key = {(p.variant, p.layers): p.value("compile_s") for p in points if p.ok}
    common = sorted(L for (v, L), s in by_key.items() if v == first and s and by_key.get((second, L)))
    if not common:
        return None
    return common[-1], by_key[(first, common[-1])], by_key[(second, common[-1])]


def _times(ratio: float) -> str:
    return f"{ratio:.1f}x faster than" if ratio >= 1 else f"{1 / ratio:.1f}x slower than"


def headline(model: ModelAnalysis, construction: str = SEPARATE_MODULES) -> str:
    """One sentence answering: how much does scanning save at the largest L?

    Compares the model's pair (``model.scanned`` vs ``model.unrolled``);
    ``construction`` is how the run built ``unroll`` (``unroll_construction``).
    """
    scanned, unrolled = model.scanned, model.unrolled
    orders = {(g.variant, g.metric): g.order for g in model.growth}
    if scanned is None or unrolled is None:
        only = ", ".join(model.variants) or "no variant"
        parts = [f"{v}: compile time {orders[(v, 'compile_s')]}" for v in model.variants if (v, "compile_s") in orders]
        detail = f" ({'; '.join(parts)})" if parts else ""
        return f"{model.name}: only {only} measured, nothing to compare against{detail}."
    pair = _compiled_pair(list(model.points), scanned, unrolled)
    if pair is None:
        return f"{model.name}: no layer count where both {scanned} and {unrolled} compiled; no comparison."
    L, scan_s, unroll_s = pair
    verb = "Scanning" if scanned == "scan" else f"The {scanned} variant of"
    sentence = f"{verb} the {L}-layer {model.name} compiles {_times(unroll_s / scan_s)} {_unrolling(unrolled, construction)}"
    sentence += f" ({fmt_seconds(scan_s)} vs {fmt_seconds(unroll_s)})"
    facts = []
    for metric, name in zip(HEADLINE_METRICS, ("compile time", "HLO size")):
        if (scanned, metric) in orders and (unrolled, metric) in orders:
            facts.append(f"{name} {orders[(scanned, metric)]} vs {orders[(unrolled, metric)]}")
    return sentence + (": " + ", ".join(facts) if facts else "") + "."


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
        pair = _compiled_pair(points, "unroll", "unroll-sliced")
        if pair is not None:
            L, unroll_s, sliced_s = pair
            line += f". At L={L} it compiles in {fmt_seconds(sliced_s)}, {sliced_s / unroll_s:.1f}x unroll's {fmt_seconds(unroll_s)}"
            scan = _compiled_pair(points, scanned, "unroll-sliced") if scanned else None
            if scan is not None and scan[0] == L:
                line += f" and {sliced_s / scan[1]:.1f}x {scanned}'s {fmt_seconds(scan[1])}"
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


def model_charts(model: ModelAnalysis) -> list[Chart]:
    """One log-log chart per registered metric that any point of this model holds."""
    charts = []
    for metric in METRICS:
        if not metric.own_chart:
            continue
        series = []
        for variant in model.variants:
            data = []
            for p in model.points:
                if p.ok and p.variant == variant:
                    value = p.value(metric.name)
                    if value is not None and value > 0:
                        data.append((p.layers, value, hover_label(p, metric.name, value)))
            fit = model.fit(variant, metric.name)
            predicted = tuple(
                (q.layers, q.value, _prediction_label(q))
                for q in model.predictions if q.variant == variant and q.metric == metric.name and q.value > 0
            )
            legend = variant
            line: tuple = ()
            if fit is not None:
                legend = f"{variant}: {fit.order}, exponent {fmt_exponent(fit)}{fitted_on(fit)}"
                line = fit_curve(fit, max((x for x, _, _ in predicted), default=None))
            if predicted:
                legend += "; hollow = predicted"
            series.append(SeriesData(variant, tuple(data), legend, line, predicted=predicted))
        chart = loglog_chart(metric.title, AXIS_UNITS[metric.unit], series)
        if chart is not None:
            charts.append(chart)
    return charts


def _prediction_label(q: Prediction) -> str:
    interval = "" if q.low is None or q.high is None else f" (interval {q.low:.6g}–{q.high:.6g})"
    return f"{q.variant}, L={q.layers}: {q.metric} predicted {q.value:.6g}{interval}"


def model_view(model: ModelAnalysis, analysis: RunAnalysis) -> ModelView:
    """Headline, baseline lines and charts of one model."""
    return ModelView(
        name=model.name,
        headline=headline(model, analysis.unroll_construction),
        baseline=baseline_lines(model, analysis.unroll_construction),
        charts=tuple(model_charts(model)),
        growth=model.growth,
        points=model.points,
        variants=model.variants,
        largest_layers=model.largest_layers,
    )


def model_views(analysis: RunAnalysis) -> list[ModelView]:
    """A view of every model in the run."""
    return [model_view(m, analysis) for m in analysis.models]
