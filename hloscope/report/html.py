"""Render Results as one self-contained HTML file."""

from __future__ import annotations

from importlib import metadata

from hloscope.results.growth import Growth
from hloscope.report import costs, sections
from hloscope.report.templating import render
from hloscope.report.view import fit_report_growth, fmt_count, fmt_exponent, fmt_value, model_views, stats_lines
from hloscope.results import Results


def hloscope_version() -> str:
    try:
        return metadata.version("hloscope")
    except metadata.PackageNotFoundError:
        return "unknown"


def render_html(results: Results, growth: list[Growth] | None = None) -> str:
    """The report page: inline CSS and SVG, no script, nothing fetched."""
    growth = fit_report_growth(results) if growth is None else growth
    models = []
    for view in model_views(results, growth):
        points = list(view.points)
        models.append({
            "view": view,
            "histograms": [h for h in (sections.op_histogram(points, "pre"), sections.op_histogram(points, "opt")) if h],
            "loops": sections.loop_trees(points),
            "repeats": sections.repeated_layers(points),
            "measurements": sections.measurements(points),
            "per_layer": costs.per_layer_view(results, view.name),
            "show_platform": any("platform" in p.extra for p in points),
            "show_equivalence": any("equivalence" in p.extra for p in points),
        })
    return render(
        "report.html.j2",
        results=results,
        models=models,
        warnings=sections.collect_warnings(results, growth),
        noisy_ratio=sections.NOISY_MAX_OVER_MIN,
        predictions=sections.prediction_rows(results),
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
