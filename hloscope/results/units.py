"""Figures as people read them: seconds, bytes, counts and FLOPs with their units.

Shared by the sentences derived from a run (warnings, verdicts) and by every
renderer, so that a figure reads the same wherever it appears.
"""

from __future__ import annotations

from hloscope.results.growth import Growth
from hloscope.results.metrics import unit_of


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def fmt_bytes(value: float | None) -> str:
    if value is None:
        return "n/a"
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(value) >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:,.0f} B"


SECONDS_UNITS = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6))
BYTES_UNITS = (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10), ("B", 1))


def display_unit(unit: str, value: float) -> tuple[str, float]:
    """(label, size) of the unit that shows ``value`` of a metric's ``unit`` as the tables do.

    Seconds as s, ms or µs and bytes as GiB, MiB, KiB or B, by the same
    thresholds as fmt_seconds and fmt_bytes; a count stays a count
    (label ""). A chart's axis divides its values by ``size``.
    """
    table = SECONDS_UNITS if unit == "s" else BYTES_UNITS if unit == "bytes" else ()
    for label, size in table:
        if abs(value) >= size:
            return label, size
    return (table[-1] if table else ("", 1.0))


def fmt_count(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def fmt_flops(value: float | None) -> str:
    """'12.63 M': four significant digits with an SI prefix."""
    if value is None:
        return "n/a"
    for prefix, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.4g} {prefix}"
    return f"{value:.4g}"


def fmt_value(metric: str, value: float | None) -> str:
    """A value in its metric's unit (hloscope.results.metrics)."""
    unit = unit_of(metric)
    if unit == "s":
        return fmt_seconds(value)
    if unit == "bytes":
        return fmt_bytes(value)
    if value is not None and value != int(value):
        return f"{value:.4g}"
    return fmt_count(value)


def fmt_stats(stats) -> str:
    """'median (min–max)' of a STATS record; n/a with its reason otherwise."""
    if not isinstance(stats, dict):
        return "n/a"
    if "median" not in stats:
        return f"n/a: {stats['na']}" if "na" in stats else "n/a"
    if stats.get("min") == stats.get("max"):
        return fmt_seconds(stats["median"])
    return f"{fmt_seconds(stats['median'])} ({fmt_seconds(stats['min'])}–{fmt_seconds(stats['max'])})"


def stats_lines(stats) -> tuple[str, str]:
    """(median, 'min–max') of a STATS record, for a cell that shows them on two lines.

    The range shares the median's unit when its ends do ('4.6–4.8 ms').
    """
    text = fmt_stats(stats)
    if not isinstance(stats, dict) or "median" not in stats or stats.get("min") == stats.get("max"):
        return text, ""
    low, high = fmt_seconds(stats["min"]), fmt_seconds(stats["max"])
    low_num, _, low_unit = low.partition(" ")
    high_num, _, high_unit = high.partition(" ")
    spread = f"{low_num}–{high}" if low_unit == high_unit else f"{low}–{high}"
    return fmt_seconds(stats["median"]), spread


def fmt_exponent(g: Growth) -> str:
    """'0.98 (95% 0.91 to 1.05)', or the exponent alone when there is no interval."""

    def num(value: float) -> str:
        return f"{value + 0.0:.2f}".replace("-0.00", "0.00")

    if g.exponent_low is None or g.exponent_high is None:
        return num(g.exponent)
    return f"{num(g.exponent)} (95% {num(g.exponent_low)} to {num(g.exponent_high)})"


def fitted_on(g: Growth) -> str:
    """', fitted on L >= 8' when the fit used only the upper layer counts."""
    if g.fit_layers and g.fit_layers != g.layers:
        return f", fitted on L ≥ {min(g.fit_layers)}"
    return ""
