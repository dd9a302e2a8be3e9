"""Fit how each metric grows with the layer count L.

Growth is derived from points, never stored as truth: ``report``, ``compare``
and ``check`` call ``fit_growth`` on the points they load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

from hloscope.results import Point

DEFAULT_METRICS = (
    "compile_s",
    "lower_s",
    "trace_s",
    "hlo.pre.instructions",
    "hlo.opt.instructions",
    "hlo.pre.bytes",
)

# Exponent bands of the log-log slope; see README "How growth is classified".
CONSTANT_BELOW = 0.25
LINEAR_BELOW = 1.25


@dataclass(frozen=True)
class Growth:
    """How one (model, variant, metric) grows with L."""

    model: str
    variant: str
    metric: str
    order: str
    exponent: float
    layers: tuple[int, ...]
    values: tuple[float, ...]
    exponent_low: float | None = None
    exponent_high: float | None = None

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "variant": self.variant,
            "metric": self.metric,
            "order": self.order,
            "exponent": round(self.exponent, 4),
            "exponent_low": None if self.exponent_low is None else round(self.exponent_low, 4),
            "exponent_high": None if self.exponent_high is None else round(self.exponent_high, 4),
            "layers": list(self.layers),
            "values": list(self.values),
        }


def loglog_slope(layers: Iterable[float], values: Iterable[float]) -> float:
    """Least-squares slope of log(value) against log(L)."""
    xs = [math.log(x) for x in layers]
    ys = [math.log(y) for y in values]
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sxx


def classify(exponent: float) -> str:
    """Name the order of growth a log-log slope stands for."""
    if exponent < CONSTANT_BELOW:
        return "O(1)"
    if exponent < LINEAR_BELOW:
        return "O(L)"
    return f"O(L^{exponent:.1f})"


def fit_growth(points: Iterable[Point], metrics: Iterable[str] = DEFAULT_METRICS) -> list[Growth]:
    """One Growth per (model, variant, metric) with at least two ok points."""
    series: dict[tuple[str, str], list[Point]] = {}
    for point in points:
        if point.ok:
            series.setdefault((point.model, point.variant), []).append(point)
    fits = []
    for (model, variant), group in series.items():
        group.sort(key=lambda p: p.layers)
        for metric in metrics:
            pairs = [(p.layers, p.value(metric)) for p in group]
            pairs = [(x, y) for x, y in pairs if y is not None and y > 0]
            if len({x for x, _ in pairs}) < 2:
                continue
            layers, values = zip(*pairs)
            exponent = loglog_slope(layers, values)
            fits.append(Growth(model, variant, metric, classify(exponent), exponent, layers, values))
    return fits
