"""What the report shows of where compile time goes: a chart of the phases and the pass tables.

Renderers only: every figure comes from the model's ModelPhases (hloscope.results.phases).
"""

from __future__ import annotations

from dataclasses import dataclass

from hloscope.report.charts import Chart, Datum, SeriesData, fit_curve, loglog_chart
from hloscope.results.analysis import ModelAnalysis
from hloscope.results.phases import BACKEND, PHASE_LABELS, PHASE_METRICS, PassSeries, phases_of
from hloscope.results.units import fmt_exponent, fmt_seconds


@dataclass(frozen=True)
class PassRow:
    variant: str
    name: str
    first: str  # seconds at the smallest L, "(L=2) 1.2 ms"
    last: str
    runs: int
    growth: str


@dataclass(frozen=True)
class PhaseView:
    sentence: str | None
    chart: Chart | None
    slowest: tuple[PassRow, ...]
    growing: tuple[PassRow, ...]
    na: str | None  # why the model has no phases


def _row(series: PassSeries) -> PassRow:
    growth = "n/a: one layer count" if series.growth is None else (
        f"{series.growth.order}, exponent {fmt_exponent(series.growth)}")
    return PassRow(series.variant, series.name, f"{fmt_seconds(series.seconds[0])} (L={series.layers[0]})",
                   f"{fmt_seconds(series.largest_s)} (L={series.layers[-1]})", series.runs[-1], growth)


def phase_chart(model: ModelAnalysis) -> Chart | None:
    """HLO passes and backend against L for each variant, with their fitted growth."""
    series = []
    for variant in model.variants:
        for metric in PHASE_METRICS:
            data = []
            for p in model.points:
                phases = phases_of(p) if p.variant == variant else None
                value = p.value(metric) if phases is not None else None
                if value is not None and value > 0:
                    kernels = phases.get("kernels") if metric == BACKEND else None
                    detail = f", {kernels} kernels" if isinstance(kernels, int) else ""
                    data.append(Datum(p.layers, value, f"{variant}, L={p.layers}: {PHASE_LABELS[metric]} "
                                                       f"{fmt_seconds(value)}{detail} (one compile)"))
            if not data:
                continue
            fit = model.fit(variant, metric)
            legend = f"{variant} {PHASE_LABELS[metric]}"
            if fit is not None:
                legend += f": {fit.order}, exponent {fmt_exponent(fit)}"
            series.append(SeriesData(f"{variant} {metric}", tuple(data), legend,
                                     fit_curve(fit) if fit is not None else ()))
    return loglog_chart("Where compile time goes: HLO passes and backend", "s", series)


def _na_reason(model: ModelAnalysis) -> str:
    reasons = {p.extra["compile_phases"]["na"] for p in model.points
               if p.ok and isinstance(p.extra.get("compile_phases"), dict) and "na" in p.extra["compile_phases"]}
    if reasons:
        return "; ".join(sorted(reasons))
    return "this run recorded no compile phases (it was made before hloscope recorded them, or no point compiled)"


def phase_view(model: ModelAnalysis, rows: int = 10) -> PhaseView:
    """The model's phase sentence, chart and pass tables; ``na`` says why when it has no phases."""
    phases = model.phases
    if phases is None:
        return PhaseView(None, None, (), (), _na_reason(model))
    return PhaseView(
        sentence=phases.sentence,
        chart=phase_chart(model),
        slowest=tuple(_row(s) for s in phases.slowest(rows)),
        growing=tuple(_row(s) for s in phases.fastest_growing(rows)),
        na=None,
    )
