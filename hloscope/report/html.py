"""Render Results as one self-contained HTML file."""

from __future__ import annotations

from hloscope.report.templating import render
from hloscope.report.view import fmt_seconds, fmt_stats, model_views
from hloscope.results import Results


def render_html(results: Results) -> str:
    """The report page: inline CSS and SVG, nothing fetched."""
    return render(
        "report.html.j2",
        results=results,
        models=model_views(results),
        fmt_stats=fmt_stats,
        fmt_seconds=fmt_seconds,
    )
