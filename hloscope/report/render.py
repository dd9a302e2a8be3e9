"""Write reports to files: re-render a stored run, or a comparison of two."""

from __future__ import annotations

import json
import os

from hloscope.errors import UsageError
from hloscope.report.html import render_html
from hloscope.report.markdown import render_markdown
from hloscope.report.view import fit_report_growth
from hloscope.results import load_results, write_atomic

FORMATS = ("html", "md", "json")


def render_report_file(results_path: str | os.PathLike, out_path: str | os.PathLike, fmt: str = "html") -> None:
    """Load results, recompute growth from the points and write one report file."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    results = load_results(results_path)
    growth = fit_report_growth(results)
    if fmt == "html":
        text = render_html(results, growth)
    elif fmt == "md":
        text = render_markdown(results, growth)
    else:
        text = json.dumps(results.to_json([g.to_json() for g in growth]), indent=1) + "\n"
    write_atomic(out_path, text)


def write_compare_html(comparison, out_path: str | os.PathLike) -> None:
    """Write the diff report of a Comparison."""
    from hloscope.report.compare_html import render_compare_html

    write_atomic(out_path, render_compare_html(comparison))
