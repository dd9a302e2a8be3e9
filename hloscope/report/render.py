"""Write reports to files: re-render a stored run, or a comparison of two."""

from __future__ import annotations

import os

from hloscope.errors import UsageError
from hloscope.report.html import render_html
from hloscope.report.markdown import render_markdown
from hloscope.results import load_results, write_atomic
from hloscope.results.analysis import analysis_text, analyze_run

FORMATS = ("html", "md", "json")


def render_report_file(results_path: str | os.PathLike, out_path: str | os.PathLike, fmt: str = "html") -> None:
    """Load results, derive everything from the points once and write one report file.

    ``json`` writes the results with freshly derived growth, per-layer costs
    and predictions.
    """
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    analysis = analyze_run(load_results(results_path))
    if fmt == "html":
        text = render_html(analysis)
    elif fmt == "md":
        text = render_markdown(analysis)
    else:
        text = analysis_text(analysis)
    write_atomic(out_path, text)


def write_compare_html(comparison, out_path: str | os.PathLike) -> None:
    """Write the diff report of a Comparison."""
    from hloscope.report.compare_html import render_compare_html

    write_atomic(out_path, render_compare_html(comparison))
