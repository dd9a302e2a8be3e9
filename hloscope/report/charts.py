"""Geometry of log-log line charts, computed here and drawn by templates."""

from __future__ import annotations

import math
from dataclasses import dataclass

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    path: str
    markers: tuple[Marker, ...]
    legend: str


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Chart:
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


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.0f}"
    if abs(value) >= 0.1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.2g}"


def _decade_ticks(lo: float, hi: float) -> list[float]:
    """Ticks at 1, 2, 5 x 10^k between lo and hi (at least two)."""
    ticks = []
    for k in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            t = m * 10**k
            if lo <= t <= hi:
                ticks.append(t)
    if len(ticks) > 8:
        ticks = [t for t in ticks if str(t).lstrip("0.").startswith("1")] or ticks
    return ticks or [lo, hi]


def loglog_chart(
    title: str,
    y_label: str,
    series: list[tuple[str, list[tuple[int, float]], str]],
    value_format=_fmt,
    width: int = 460,
    height: int = 300,
) -> Chart | None:
    """Lay out named (L, value) series on log-log axes; None if nothing to draw."""
    left, top, right, bottom = 64, 28, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    pts = [(x, y) for _, data, _ in series for x, y in data if x > 0 and y > 0]
    if not pts:
        return None
    x_lo, x_hi = min(x for x, _ in pts), max(x for x, _ in pts)
    y_lo, y_hi = min(y for _, y in pts), max(y for _, y in pts)
    if x_lo == x_hi:
        x_lo, x_hi = x_lo / 2, x_hi * 2
    if y_hi / y_lo < 10:
        # Give flat series some room so they do not sit on an axis.
        mid = math.sqrt(y_lo * y_hi)
        y_lo, y_hi = min(y_lo, mid / 3.2), max(y_hi, mid * 3.2)
    lx_lo, lx_hi = math.log(x_lo), math.log(x_hi)
    ly_lo, ly_hi = math.log(y_lo), math.log(y_hi)

    def sx(x: float) -> float:
        return round(left + (math.log(x) - lx_lo) / (lx_hi - lx_lo) * plot_w, 1)

    def sy(y: float) -> float:
        return round(top + plot_h - (math.log(y) - ly_lo) / (ly_hi - ly_lo) * plot_h, 1)

    drawn = []
    for index, (name, data, legend) in enumerate(series):
        data = sorted((x, y) for x, y in data if x > 0 and y > 0)
        if not data:
            continue
        color = PALETTE[index % len(PALETTE)]
        path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x)},{sy(y)}" for i, (x, y) in enumerate(data))
        markers = tuple(Marker(sx(x), sy(y), f"{name}, L={x}: {value_format(y)}") for x, y in data)
        drawn.append(Series(name, color, path, markers, legend))
    x_values = sorted({x for x, _ in pts})
    x_ticks = tuple(Tick(sx(x), str(x)) for x in x_values)
    y_ticks = tuple(Tick(sy(t), value_format(t)) for t in _decade_ticks(y_lo, y_hi))
    return Chart(title, y_label, width, height, left, top, plot_w, plot_h, x_ticks, y_ticks, tuple(drawn))
