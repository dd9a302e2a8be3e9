"""Geometry of log-log line charts, computed here and drawn by templates.

Charts stay simple on purpose (lines, markers, one fitted line per series,
ticks): a few dozen lines of arithmetic that need no plotting library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hloscope.results.units import display_unit

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")


@dataclass(frozen=True)
class Marker:
    """A point on screen; ``low``/``high`` are the screen y of its min-max bar (None: no bar)."""

    x: float
    y: float
    label: str
    hollow: bool = False
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    path: str
    markers: tuple[Marker, ...]
    legend: str
    fit_path: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Chart:
    """A laid-out chart; ``y_label`` is the unit its y ticks are in (ms, MiB, instructions, ...)."""

    title: str
    y_label: str
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    series: tuple[Series, ...]
    note: str = ""


@dataclass(frozen=True)
class Datum:
    """One value to draw at layer count ``x``, its hover text and, for a timing, its min and max."""

    x: float
    y: float
    label: str
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class SeriesData:
    """One line to draw: its points and an optional fit.

    ``fit`` holds (L, value) points of the fitted curve, drawn dashed.
    ``predicted`` points are drawn hollow and not joined to the measured line.
    """

    name: str
    points: tuple[Datum, ...]
    legend: str
    fit: tuple[tuple[float, float], ...] = ()
    color: str | None = None
    dashed: bool = False
    predicted: tuple[Datum, ...] = ()


def fmt_number(value: float) -> str:
    """A short human form of a number for axis ticks."""
    if value == 0:
        return "0"
    if abs(value) >= 1e9:
        return f"{value / 1e9:.3g}G"
    if abs(value) >= 1e6:
        return f"{value / 1e6:.3g}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.3g}k"
    if abs(value) >= 10:
        return f"{value:,.0f}"
    if abs(value) >= 0.1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.2g}"


def _decade_ticks(lo: float, hi: float) -> list[float]:
    """Ticks at 1, 2, 5 x 10^k between lo and hi (at least two)."""
    ticks = []
    for k in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            t = m * 10.0**k
            if lo <= t <= hi:
                ticks.append(t)
    if len(ticks) > 8:
        ticks = [t for t in ticks if f"{t:e}".startswith("1")] or ticks
    return ticks or [lo, hi]


def loglog_chart(
    title: str,
    unit: str,
    series: list[SeriesData],
    width: int = 480,
    height: int = 300,
    unit_name: str = "",
) -> Chart | None:
    """Lay out series on log-log axes; None if nothing positive to draw.

    ``unit`` is the metric's ("s", "bytes", "count"): the y ticks are in the
    display unit the tables use for the middle of the range (ms, MiB, ...);
    a count's axis is named ``unit_name`` (e.g. "instructions"). Min-max
    bars span each datum's ``low`` to ``high``.
    """
    left, top, right, bottom = 58, 22, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    data_points = [d for s in series for d in s.points + s.predicted if d.x > 0 and d.y > 0]
    if not data_points:
        return None
    pts = [(d.x, d.y) for d in data_points]
    pts += [(d.x, v) for d in data_points for v in (d.low, d.high) if v is not None and v > 0]
    x_lo, x_hi = min(x for x, _ in pts), max(x for x, _ in pts)
    y_lo, y_hi = min(y for _, y in pts), max(y for _, y in pts)
    if x_lo == x_hi:
        x_lo, x_hi = x_lo / 2, x_hi * 2
    if y_hi / y_lo < 10:
        # Give flat series some room so they do not sit on an axis.
        mid = math.sqrt(y_lo * y_hi)
        y_lo, y_hi = min(y_lo, mid / 3.2), max(y_hi, mid * 3.2)
    else:
        y_lo, y_hi = y_lo / 1.15, y_hi * 1.15
    label, size = display_unit(unit, math.sqrt(y_lo * y_hi))
    lx_lo, lx_hi = math.log(x_lo), math.log(x_hi)
    ly_lo, ly_hi = math.log(y_lo), math.log(y_hi)

    def sx(x: float) -> float:
        return round(left + (math.log(x) - lx_lo) / (lx_hi - lx_lo) * plot_w, 1)

    def sy(y: float) -> float:
        # Clamp so a fitted line that leaves the plot stays inside the frame.
        pos = top + plot_h - (math.log(y) - ly_lo) / (ly_hi - ly_lo) * plot_h
        return round(min(max(pos, top), top + plot_h), 1)

    def bar(d: Datum) -> tuple[float | None, float | None]:
        if d.low is None or d.high is None or d.low <= 0 or d.high <= d.low:
            return None, None
        return sy(d.low), sy(d.high)

    drawn = []
    for index, s in enumerate(series):
        data = sorted((d for d in s.points if d.x > 0 and d.y > 0), key=lambda d: d.x)
        predicted = sorted((d for d in s.predicted if d.x > 0 and d.y > 0), key=lambda d: d.x)
        if not data and not predicted:
            continue
        color = s.color or PALETTE[index % len(PALETTE)]
        path = " ".join(f"{'M' if i == 0 else 'L'}{sx(d.x)},{sy(d.y)}" for i, d in enumerate(data))
        fit = [(x, y) for x, y in s.fit if x > 0 and y > 0]
        fit_path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x)},{sy(y)}" for i, (x, y) in enumerate(fit))
        markers = tuple(Marker(sx(d.x), sy(d.y), d.label, False, *bar(d)) for d in data)
        markers += tuple(Marker(sx(d.x), sy(d.y), d.label, hollow=True) for d in predicted)
        drawn.append(Series(s.name, color, path, markers, s.legend, fit_path, s.dashed))
    x_values = sorted({x for x, _ in pts})
    x_ticks = tuple(Tick(sx(x), fmt_number(x)) for x in x_values)
    y_ticks = tuple(Tick(sy(t * size), fmt_number(t)) for t in _decade_ticks(y_lo / size, y_hi / size))
    return Chart(title, label or unit_name, width, height, left, top, plot_w, plot_h, x_ticks, y_ticks, tuple(drawn))


def fit_curve(growth, until: float | None = None, steps: int = 16) -> tuple[tuple[float, float], ...]:
    """(L, value) points along ``growth.curve`` over its fitted layers, and on to ``until``.

    The same equation the predictions use, so a predicted point lies on the line.
    """
    lo = growth.curve_start
    hi = max(max(growth.fit_layers or growth.layers), until or 0)
    if hi <= lo:
        return ()
    points = []
    for i in range(steps + 1):
        x = lo * (hi / lo) ** (i / steps)
        points.append((round(x, 4), growth.curve(x)))
    return tuple(points)
