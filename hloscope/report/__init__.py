"""Renderers: they take Results and never measure."""

from hloscope.report.html import render_html
from hloscope.report.markdown import render_markdown
from hloscope.report.terminal import summary_table

__all__ = ["render_html", "render_markdown", "summary_table"]
