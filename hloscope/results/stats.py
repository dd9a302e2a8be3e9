"""Line fits with 95% intervals: least squares and Theil-Sen, on plain floats.

Used for growth fits, per-layer op counts and the sweep's time estimate.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom.
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t95(dof: int) -> float:
    """Two-sided 95% quantile of Student's t with ``dof`` degrees of freedom."""
    if dof < 1:
        return math.inf
    if dof <= len(_T95):
        return _T95[dof - 1]
    return 1.960 + 2.37 / dof  # Cornish-Fisher, good to 0.001 beyond 30


@dataclass(frozen=True)
class Line:
    """A least-squares line y = intercept + slope*x and what its intervals need."""

    slope: float
    intercept: float
    n: int
    mean_x: float
    sxx: float
    residual_sd: float

    @property
    def slope_interval(self) -> tuple[float | None, float | None]:
        if self.n <= 2 or not self.sxx:
            return None, None
        half = t95(self.n - 2) * self.residual_sd / math.sqrt(self.sxx)
        return self.slope - half, self.slope + half


@dataclass(frozen=True)
class RobustLine(Line):
    """A Theil-Sen line: its interval comes from the ranks of the pairwise slopes."""

    low: float | None = None
    high: float | None = None

    @property
    def slope_interval(self) -> tuple[float | None, float | None]:
        return self.low, self.high


def theil_sen(xs: list[float], ys: list[float]) -> RobustLine:
    """Median of pairwise slopes, with Sen's (1968) 95% interval.

    One point thrown off by load moves a least-squares slope; it moves the
    median of the slopes of all pairs by at most one rank.
    """
    n = len(xs)
    slopes = sorted((ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(n) for j in range(i + 1, n) if xs[j] != xs[i])
    slope = statistics.median(slopes)
    intercept = statistics.median(y - slope * x for x, y in zip(xs, ys))
    mean_x = sum(xs) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sse = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys))
    residual_sd = math.sqrt(sse / (n - 2)) if n > 2 else 0.0
    # Ranks of the interval's ends among the N pairwise slopes (no ties in L).
    count = len(slopes)
    spread = 1.96 * math.sqrt(n * (n - 1) * (2 * n + 5) / 18)
    lower_rank = math.floor((count - spread) / 2)
    upper_rank = math.ceil((count + spread) / 2) + 1
    low = high = None
    if lower_rank >= 1 and upper_rank <= count:
        low, high = slopes[lower_rank - 1], slopes[upper_rank - 1]
    elif n > 2 and sxx:
        # Too few layer counts for the rank interval: the least-squares
        # slope's t half-width around the robust slope.
        ols = least_squares(xs, ys)
        half = t95(n - 2) * ols.residual_sd / math.sqrt(sxx)
        low, high = slope - half, slope + half
    return RobustLine(slope, intercept, n, mean_x, sxx, residual_sd, low, high)


def least_squares(xs: list[float], ys: list[float]) -> Line:
    """Ordinary least-squares line through (xs, ys), with its residual spread."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    intercept = mean_y - slope * mean_x
    sse = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys))
    if sse < 1e-18 * n:  # exact values on an exact line
        sse = 0.0
    return Line(slope, intercept, n, mean_x, sxx, math.sqrt(sse / (n - 2)) if n > 2 else 0.0)
