"""Render a Comparison of two runs as one self-contained HTML page."""

from __future__ import annotations

from hloscope.report.charts import PALETTE, Datum, SeriesData, fit_curve, loglog_chart
from hloscope.report.html import hloscope_version
from hloscope.report.templating import render
from hloscope.report.view import count_name, hover_label
from hloscope.results.metrics import metric as registered_metric
from hloscope.steps import series_name
from hloscope.results.units import fmt_exponent, fmt_seconds

TABLE_METRICS = ("compile_s", "compile_phases.hlo_passes_s", "compile_phases.backend_s", "trace_s", "lower_s",
                 "runtime_s", "hlo.pre.instructions", "hlo.opt.instructions", "memory.temp_bytes")
# Passes listed per model, variant and layer count: those whose time changed most.
PASS_ROWS = 10
CHARTED = ("compile_s", "hlo.pre.instructions", "hlo.opt.instructions")


def _charts(comparison, model: str) -> list:
    charts = []
    variants = list(dict.fromkeys((c.step, c.variant) for c in comparison.growth if c.model == model))
    for metric in CHARTED:
        series = []
        for index, (step, variant) in enumerate(variants):
            color = PALETTE[index % len(PALETTE)]
            name = series_name(step, variant)
            for side, label, dashed in (("base", comparison.base_label, True), ("new", comparison.new_label, False)):
                results = (comparison.base if side == "base" else comparison.new).results
                data = []
                for p in results.points:
                    value = p.value(metric) if p.ok and p.series == (model, step, variant) else None
                    if value:
                        data.append(Datum(p.layers, value, f"{side}: {hover_label(p, metric, value)}"))
                change = next((c for c in comparison.growth
                               if (c.model, c.step, c.variant, c.metric) == (model, step, variant, metric)), None)
                fit = getattr(change, side) if change else None
                legend = f"{name} ({side}{', dotted' if dashed else ''})"
                if fit is not None:
                    legend += f": {fit.order}, exponent {fmt_exponent(fit)}"
                line = fit_curve(fit) if fit is not None else ()
                series.append(SeriesData(f"{name} {side}", tuple(data), legend, line, color=color, dashed=dashed))
        registered = registered_metric(metric)
        unit_name = count_name(metric)
        chart = loglog_chart(registered.title, registered.unit, series, unit_name=unit_name)
        if chart is not None:
            charts.append(chart)
    return charts


# Short column heads, so the table of every point fits the page.
TABLE_HEADS = {"compile_s": "compile", "compile_phases.hlo_passes_s": "HLO passes", "compile_phases.backend_s": "backend",
               "trace_s": "trace", "lower_s": "lower", "runtime_s": "runtime",
               "hlo.pre.instructions": "instr. pre", "hlo.opt.instructions": "instr. opt", "memory.temp_bytes": "temp"}


def _rows(comparison, model: str):
    """(variant, L, {metric: (base, new, change)}) for the table of point changes; a training step's variants as 'train/scan'."""
    rows: dict[tuple[str, int], dict] = {}
    for c in comparison.points:
        if c.model == model and c.metric in TABLE_METRICS:
            rows.setdefault((series_name(c.step, c.variant), c.layers), {})[c.metric] = c.text()
    metrics = [(m, TABLE_HEADS[m]) for m in TABLE_METRICS if any(m in cells for cells in rows.values())]
    return metrics, [(v, L, cells) for (v, L), cells in rows.items()]


def _pass_rows(comparison, model: str) -> list:
    """The passes whose time changed most, per variant, at the largest L both runs compiled."""
    rows, shown = [], {}
    for c in comparison.passes:
        if c.model == model and c.delta_s and shown.get((c.step, c.variant), 0) < PASS_ROWS:
            shown[(c.step, c.variant)] = shown.get((c.step, c.variant), 0) + 1
            rows.append(c)
    return rows


def render_compare_html(comparison) -> str:
    """The diff report: regressions first, then charts and every point's change."""
    models = list(dict.fromkeys(comparison.base.results.models + comparison.new.results.models))
    sections = []
    for model in models:
        metrics, rows = _rows(comparison, model)
        sections.append({
            "name": model,
            "growth": [c for c in comparison.growth if c.model == model],
            "charts": _charts(comparison, model),
            "metrics": metrics,
            "rows": rows,
            "passes": _pass_rows(comparison, model),
        })
    return render(
        "compare.html.j2",
        comparison=comparison,
        models=sections,
        version=hloscope_version(),
        fmt_exponent=fmt_exponent,
        fmt_seconds=fmt_seconds,
        series_name=series_name,
    )
