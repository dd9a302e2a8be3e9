"""Render a RunAnalysis as one self-contained HTML file."""

from __future__ import annotations

from importlib import metadata

from hloscope.report import costs, sections
from hloscope.report.phases import phase_view
from hloscope.report.headline import headline_rows, reproduce_lines, setup_line, sizes_text, summary_charts
from hloscope.report.templating import render
from hloscope.report.training import training_view
from hloscope.report.view import model_view, order_rule
from hloscope.results.analysis import RunAnalysis
from hloscope.results.units import fmt_count, fmt_exponent, fmt_value, stats_lines
from hloscope.results.warnings import NOISY_MAX_OVER_MIN
from hloscope.steps import FORWARD, TRAIN


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
            "sizes": sizes_text(model.name, results.config),
            "histograms": [h for h in (sections.op_histogram(model, "pre"), sections.op_histogram(model, "opt")) if h],
            "loops": sections.loop_trees(model),
            "repeats": sections.repeated_layers(model),
            "measurements": sections.measurements(model),
            "per_layer": costs.per_layer_view(model),
            "show_platform": any("platform" in p.extra for p in points),
            "show_equivalence": any("equivalence" in p.extra for p in points),
            "training": training_view(model, analysis.model(model.name, FORWARD)) if model.step == TRAIN else None,
        })
    return render(
        "report.html.j2",
        results=results,
        models=models,
        setup=setup_line(results),
        headlines=headline_rows(analysis),
        summary_charts=summary_charts(analysis),
        verdict_warnings=[w for w in analysis.warnings if w.affects_verdict],
        notes=[w for w in analysis.warnings if not w.affects_verdict],
        noisy_ratio=NOISY_MAX_OVER_MIN,
        order_rule=order_rule(),
        reproduce=reproduce_lines(results),
        repeats_text=sections.repeats_text,
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
