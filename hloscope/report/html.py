"""Render a RunAnalysis as one self-contained HTML file."""

from __future__ import annotations

from importlib import metadata

from hloscope.report import costs, sections
from hloscope.report.phases import phase_view
from hloscope.report.templating import render
from hloscope.report.view import model_view
from hloscope.results.analysis import RunAnalysis
from hloscope.results.units import fmt_count, fmt_exponent, fmt_value, stats_lines
from hloscope.results.warnings import NOISY_MAX_OVER_MIN


def hloscope_version() -> str:
    try:
        return metadata.version("hloscope")
    except metadata.PackageNotFoundError:
        return "unknown"


def render_html(analysis: RunAnalysis) -> str:
    """The report page: inline CSS and SVG, no script, nothing fetched."""
    results = analysis.results
    models = []
    for model in analysis.models:
        points = model.points
        models.append({
            "view": model_view(model, analysis),
            "phases": phase_view(model),
            "histograms": [h for h in (sections.op_histogram(model, "pre"), sections.op_histogram(model, "opt")) if h],
            "loops": sections.loop_trees(model),
            "repeats": sections.repeated_layers(model),
            "measurements": sections.measurements(model),
            "per_layer": costs.per_layer_view(model),
            "show_platform": any("platform" in p.extra for p in points),
            "show_equivalence": any("equivalence" in p.extra for p in points),
        })
    return render(
        "report.html.j2",
        results=results,
        models=models,
        warnings=analysis.warnings,
        noisy_ratio=NOISY_MAX_OVER_MIN,
        predictions=sections.prediction_rows(analysis),
        environment=sections.provenance(results),
        config=sections.flatten(results.config),
        version=hloscope_version(),
        stats_lines=stats_lines,
        fmt_count=fmt_count,
        fmt_value=fmt_value,
        fmt_exponent=fmt_exponent,
        equivalence_cell=sections.equivalence_cell,
        not_recorded=sections.NOT_RECORDED,
    )
