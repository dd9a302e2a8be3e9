"""Renderers: they take Results and never measure."""

from hloscope.report.html import render_html
from hloscope.report.terminal import summary_table

__all__ = ["render_html", "summary_table"]
