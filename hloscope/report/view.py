"""Turn Results into what a report shows: verdicts, charts, tables.

Everything here is derived from the stored points; nothing is measured.
"""

from __future__ import annotations

from dataclasses import dataclass

from hloscope.growth import Growth, fit_growth
from hloscope.report.charts import Chart, loglog_chart
from hloscope.results import Point, Results

CHART_METRICS = (
    ("compile_s", "Backend compile time", "seconds"),
    ("hlo.pre.instructions", "HLO instructions before optimization", "instructions"),
    ("hlo.opt.instructions", "HLO instructions after optimization", "instructions"),
    ("lower_s", "Lowering time (jaxpr to MLIR)", "seconds"),
    ("trace_s", "Tracing time", "seconds"),
)


@dataclass(frozen=True)
class Headline:
    model: str
    sentence: str


@dataclass(frozen=True)
class ModelView:
    name: str
    headline: str
    charts: tuple[Chart, ...]
    growth: tuple[Growth, ...]


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 1:
        return f"{value:.2f} s"
    return f"{value * 1000:.1f} ms"


def fmt_stats(stats: dict | None) -> str:
    """'median (min-max)' of a STATS record."""
    if not stats:
        return "n/a"
    return f"{fmt_seconds(stats['median'])} ({fmt_seconds(stats['min'])}–{fmt_seconds(stats['max'])})"


def headline(model: str, points: list[Point], growth: list[Growth]) -> str:
    """One sentence answering: how much does scanning save at the largest L?"""
    by_key = {(p.variant, p.layers): p for p in points if p.ok}
    common = sorted(
        L for (v, L) in by_key if v == "scan" and ("unroll", L) in by_key
    )
    orders = {g.variant: g.order for g in growth if g.metric == "compile_s"}
    if not common:
        return f"{model}: no layer count where both scan and unroll compiled; no comparison."
    L = common[-1]
    scan_s = by_key[("scan", L)].value("compile_s")
    unroll_s = by_key[("unroll", L)].value("compile_s")
    if not scan_s or not unroll_s:
        return f"{model}: compile time not measured at L={L}."
    ratio = unroll_s / scan_s
    faster = f"{ratio:.1f}x faster than" if ratio >= 1 else f"{1 / ratio:.1f}x slower than"
    order_text = ""
    if "scan" in orders and "unroll" in orders:
        order_text = f": compile time {orders['scan']} vs {orders['unroll']}"
    return f"Scanning the {L}-layer {model} compiles {faster} unrolling it{order_text}."


def model_views(results: Results) -> list[ModelView]:
    """Charts, growth and headline for each model in the run."""
    growth = fit_growth(results.points)
    views = []
    for model in results.models:
        points = [p for p in results.points if p.model == model]
        model_growth = [g for g in growth if g.model == model]
        charts = []
        for metric, title, unit in CHART_METRICS:
            series = []
            for variant in dict.fromkeys(p.variant for p in points):
                data = [(p.layers, p.value(metric)) for p in points if p.ok and p.variant == variant]
                data = [(x, y) for x, y in data if y is not None]
                fit = next((g for g in model_growth if g.variant == variant and g.metric == metric), None)
                legend = f"{variant}: {fit.order}, exponent {fit.exponent:.2f}" if fit else variant
                series.append((variant, data, legend))
            fmt = fmt_seconds if unit == "seconds" else (lambda v: f"{v:,.0f}")
            chart = loglog_chart(title, unit, series, value_format=fmt)
            if chart is not None:
                charts.append(chart)
        views.append(ModelView(model, headline(model, points, model_growth), tuple(charts), tuple(model_growth)))
    return views
