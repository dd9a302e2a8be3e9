"""Turn Results into what a report shows: verdicts, charts, growth.

Everything here is derived from the stored points; nothing is measured.
"""

from __future__ import annotations

from dataclasses import dataclass

from hloscope.results.variants import (CONSTRUCTIONS, SEPARATE_MODULES, SLICED_STACK, baseline_variant,
                                       is_scan_family, unroll_construction)
from hloscope.results.growth import DEFAULT_METRICS, Growth, fit_growth
from hloscope.report.charts import Chart, SeriesData, fit_curve, loglog_chart
from hloscope.results import Point, Results

# (metric, chart title, unit) for every timing and size figure a point may hold.
CHART_METRICS = (
    ("compile_s", "Backend compile time", "seconds"),
    ("hlo.pre.instructions", "HLO instructions before optimization", "instructions"),
    ("hlo.opt.instructions", "HLO instructions after optimization", "instructions"),
    ("lower_s", "Lowering time (jaxpr to MLIR)", "seconds"),
    ("trace_s", "Tracing time", "seconds"),
    ("runtime_s", "Runtime of one forward call", "seconds"),
    ("hlo.pre.bytes", "HLO text size before optimization", "bytes"),
    ("hlo.opt.bytes", "HLO text size after optimization", "bytes"),
    ("memory.temp_bytes", "Temporary buffer memory (XLA)", "bytes"),
    ("memory.generated_code_bytes", "Generated code size (XLA)", "bytes"),
    ("peak_rss_bytes", "Peak resident memory while compiling", "bytes"),
)
METRIC_UNITS = {metric: unit for metric, _, unit in CHART_METRICS}
REPORT_METRICS = tuple(dict.fromkeys(DEFAULT_METRICS + tuple(m for m, _, _ in CHART_METRICS)))
HEADLINE_METRICS = ("compile_s", "hlo.pre.instructions")


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def fmt_bytes(value: float | None) -> str:
    if value is None:
        return "n/a"
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(value) >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:,.0f} B"


def fmt_count(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def fmt_flops(value: float | None) -> str:
    """'12.63 M': four significant digits with an SI prefix."""
    if value is None:
        return "n/a"
    for prefix, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.4g} {prefix}"
    return f"{value:.4g}"


def fmt_value(metric: str, value: float | None) -> str:
    """A value in its metric's unit."""
    unit = METRIC_UNITS.get(metric) or ("seconds" if metric.endswith("_s") else "bytes" if metric.endswith("bytes") else "")
    if unit == "seconds":
        return fmt_seconds(value)
    if unit == "bytes":
        return fmt_bytes(value)
    if value is not None and value != int(value):
        return f"{value:.4g}"
    return fmt_count(value)


def fmt_stats(stats) -> str:
    """'median (min–max)' of a STATS record; n/a with its reason otherwise."""
    if not isinstance(stats, dict):
        return "n/a"
    if "median" not in stats:
        return f"n/a: {stats['na']}" if "na" in stats else "n/a"
    if stats.get("min") == stats.get("max"):
        return fmt_seconds(stats["median"])
    return f"{fmt_seconds(stats['median'])} ({fmt_seconds(stats['min'])}–{fmt_seconds(stats['max'])})"


def stats_lines(stats) -> tuple[str, str]:
    """(median, 'min–max') of a STATS record, for a cell that shows them on two lines.

    The range shares the median's unit when its ends do ('4.6–4.8 ms').
    """
    text = fmt_stats(stats)
    if not isinstance(stats, dict) or "median" not in stats or stats.get("min") == stats.get("max"):
        return text, ""
    low, high = fmt_seconds(stats["min"]), fmt_seconds(stats["max"])
    low_num, _, low_unit = low.partition(" ")
    high_num, _, high_unit = high.partition(" ")
    spread = f"{low_num}–{high}" if low_unit == high_unit else f"{low}–{high}"
    return fmt_seconds(stats["median"]), spread


def fmt_exponent(g: Growth) -> str:
    """'0.98 (95% 0.91 to 1.05)', or the exponent alone when there is no interval."""

    def num(value: float) -> str:
        return f"{value + 0.0:.2f}".replace("-0.00", "0.00")

    if g.exponent_low is None or g.exponent_high is None:
        return num(g.exponent)
    return f"{num(g.exponent)} (95% {num(g.exponent_low)} to {num(g.exponent_high)})"


def fitted_on(g: Growth) -> str:
    """', fitted on L >= 8' when the fit used only the upper layer counts."""
    if g.fit_layers and g.fit_layers != g.layers:
        return f", fitted on L ≥ {min(g.fit_layers)}"
    return ""


def fit_report_growth(results: Results) -> list[Growth]:
    """Growth of every reported metric, recomputed from the points."""
    return fit_growth(results.points, REPORT_METRICS)


def timing_stats(point: Point, name: str):
    """The STATS record of a timing: compile, lower and trace times sit in ``timing``, runtime_s beside it."""
    return point.timing.get(name) if name in point.timing else point.extra.get(name)


def hover_label(point: Point, metric: str, value: float) -> str:
    """Exact value of a point for a chart's hover text."""
    text = f"{point.variant}, L={point.layers}: {metric} = {value:.6g}"
    stats = timing_stats(point, metric)
    if isinstance(stats, dict) and "samples" in stats:
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


def _pick_pair(variants: list[str]) -> tuple[str | None, str | None]:
    scanned = "scan" if "scan" in variants else next((v for v in variants if is_scan_family(v)), None)
    return scanned, baseline_variant(variants)


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


def headline(model: str, points: list[Point], growth: list[Growth], construction: str = SEPARATE_MODULES) -> str:
    """One sentence answering: how much does scanning save at the largest L?

    ``construction`` is how the run built ``unroll`` (``unroll_construction``).
    """
    variants = list(dict.fromkeys(p.variant for p in points))
    scanned, unrolled = _pick_pair(variants)
    orders = {(g.variant, g.metric): g.order for g in growth}
    if scanned is None or unrolled is None:
        only = ", ".join(variants) or "no variant"
        parts = [f"{v}: compile time {orders[(v, 'compile_s')]}" for v in variants if (v, "compile_s") in orders]
        detail = f" ({'; '.join(parts)})" if parts else ""
        return f"{model}: only {only} measured, nothing to compare against{detail}."
    pair = _compiled_pair(points, scanned, unrolled)
    if pair is None:
        return f"{model}: no layer count where both {scanned} and {unrolled} compiled; no comparison."
    L, scan_s, unroll_s = pair
    verb = "Scanning" if scanned == "scan" else f"The {scanned} variant of"
    sentence = f"{verb} the {L}-layer {model} compiles {_times(unroll_s / scan_s)} {_unrolling(unrolled, construction)}"
    sentence += f" ({fmt_seconds(scan_s)} vs {fmt_seconds(unroll_s)})"
    facts = []
    for metric, name in (("compile_s", "compile time"), ("hlo.pre.instructions", "HLO size")):
        if (scanned, metric) in orders and (unrolled, metric) in orders:
            facts.append(f"{name} {orders[(scanned, metric)]} vs {orders[(unrolled, metric)]}")
    return sentence + (": " + ", ".join(facts) if facts else "") + "."


def baseline_lines(points: list[Point], config: dict) -> tuple[str, ...]:
    """What the headline compared against, and ``unroll-sliced`` beside it when the run has it."""
    variants = list(dict.fromkeys(p.variant for p in points))
    scanned, unrolled = _pick_pair(variants)
    if unrolled is None:
        return ()
    construction = unroll_construction(config) if unrolled == "unroll" else SLICED_STACK
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


def model_charts(points: list[Point], growth: list[Growth], predictions: list[dict]) -> list[Chart]:
    """One log-log chart per metric that any point of this model holds."""
    charts = []
    variants = list(dict.fromkeys(p.variant for p in points))
    for metric, title, unit in CHART_METRICS:
        series = []
        for variant in variants:
            data = []
            for p in points:
                if p.ok and p.variant == variant:
                    value = p.value(metric)
                    if value is not None and value > 0:
                        data.append((p.layers, value, hover_label(p, metric, value)))
            fit = next((g for g in growth if g.variant == variant and g.metric == metric), None)
            predicted = tuple(
                (int(q["layers"]), float(q["value"]),
                 f"{variant}, L={q['layers']}: {metric} predicted {float(q['value']):.6g}"
                 f" (interval {float(q.get('low') or 0):.6g}–{float(q.get('high') or 0):.6g})")
                for q in predictions
                if q.get("variant") == variant and q.get("metric") == metric and _positive(q.get("value"))
            )
            legend = variant
            line: tuple = ()
            if fit is not None:
                legend = f"{variant}: {fit.order}, exponent {fmt_exponent(fit)}{fitted_on(fit)}"
                line = fit_curve(fit, max((x for x, _, _ in predicted), default=None))
            if predicted:
                legend += "; hollow = predicted"
            series.append(SeriesData(variant, tuple(data), legend, line, predicted=predicted))
        chart = loglog_chart(title, unit, series)
        if chart is not None:
            charts.append(chart)
    return charts


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def model_views(results: Results, growth: list[Growth] | None = None) -> list[ModelView]:
    """Charts, growth and headline for each model in the run."""
    growth = fit_report_growth(results) if growth is None else growth
    predictions = [q for q in results.extra.get("predictions") or [] if isinstance(q, dict)]
    views = []
    for model in results.models:
        points = [p for p in results.points if p.model == model]
        model_growth = [g for g in growth if g.model == model]
        ok_layers = [p.layers for p in points if p.ok]
        variants = tuple(dict.fromkeys(p.variant for p in points))
        order = {v: i for i, v in enumerate(variants)}
        views.append(
            ModelView(
                name=model,
                headline=headline(model, points, model_growth, unroll_construction(results.config)),
                baseline=baseline_lines(points, results.config),
                charts=tuple(model_charts(points, model_growth, [q for q in predictions if q.get("model") == model])),
                growth=tuple(model_growth),
                points=tuple(sorted(points, key=lambda p: (order[p.variant], p.layers))),
                variants=variants,
                largest_layers=max(ok_layers) if ok_layers else None,
            )
        )
    return views
