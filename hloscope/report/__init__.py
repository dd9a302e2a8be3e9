"""Renderers: they take a RunAnalysis (or a Comparison, a CheckOutcome) and never measure."""

from hloscope.report.html import render_html
from hloscope.report.markdown import render_markdown
from hloscope.report.terminal import check_lines, compare_text, summary_table

__all__ = ["check_lines", "compare_text", "render_html", "render_markdown", "summary_table"]
