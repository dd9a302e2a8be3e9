"""Fit how each metric grows with the layer count L, and extrapolate it.

Growth is derived from points, never stored as truth: every command fits it
once from the points it loads (hloscope.results.analysis).

The rule (README, "How growth is classified"): L = 1 is left out when two or
more other counts were measured. A timing's exponent is the Theil-Sen slope
of log(median) against log(L) over all layer counts, with Sen's 95% interval.
An exact figure (a count, a byte size) is O(1) when constant over the upper
half of the layer counts; otherwise its exponent is the slope of
log(y(L) - y(L0)) against log(L - L0) there, so that a + b*L comes out as 1
however large a is. Below 0.5 the order is O(1); O(L^k) when the whole 95%
interval lies above 1.25 (no interval: k >= 1.5); else O(L).
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Iterable

from hloscope.results import Point
from hloscope.results.metrics import METRIC_NAMES, is_timing
from hloscope.steps import FORWARD
from hloscope.results.stats import Line, least_squares, t95, theil_sen

# Exponent bands; see README "How growth is classified".
CONSTANT_BELOW = 0.5
LINEAR_BELOW = 1.5
STEEPER_ABOVE = 1.25
MIN_FIT_LAYERS = 3


@dataclass(frozen=True)
class Growth:
    """How one (model, step, variant, metric) grows with L."""

    model: str
    variant: str
    metric: str
    order: str
    exponent: float
    layers: tuple[int, ...]
    values: tuple[float, ...]
    exponent_low: float | None = None
    exponent_high: float | None = None
    intercept: float = 0.0
    fit_layers: tuple[int, ...] = ()
    samples: int = 0
    residual_sd: float = 0.0
    log_mean_l: float = 0.0
    log_sxx: float = 0.0
    # Exact metrics that grow are fitted as base_value + exp(intercept) * (L - base_layers)^exponent.
    base_layers: int | None = None
    base_value: float = 0.0
    # Mean and spread of log(value) over the fit layers: an O(1) metric is predicted as this level.
    level: float = 0.0
    level_sd: float = 0.0
    step: str = FORWARD

    @property
    def series(self) -> tuple[str, str, str]:
        """(model, step, variant), as ``Point.series``."""
        return (self.model, self.step, self.variant)

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "step": self.step,
            "variant": self.variant,
            "metric": self.metric,
            "order": self.order,
            "exponent": round(self.exponent, 4),
            "exponent_low": None if self.exponent_low is None else round(self.exponent_low, 4),
            "exponent_high": None if self.exponent_high is None else round(self.exponent_high, 4),
            "intercept": round(self.intercept, 6),
            "fit_layers": list(self.fit_layers),
            "base_layers": self.base_layers,
            "layers": list(self.layers),
            "values": list(self.values),
        }

    @property
    def rank(self) -> float:
        """The order as a number: O(1) -> 0, O(L) -> 1, O(L^k) -> k."""
        return order_rank(self.order)

    def curve(self, layers: float) -> float:
        """The fitted value at ``layers``: the one equation that predictions and charts share.

        An O(1) metric sits at its level (the median of its log values over
        the fit layers); a growing one follows the fitted power law, or its
        shifted refit y(L0) + c * (L - L0)^k when that extrapolates the
        series better (see ``predict``). ValueError at or below L0.
        """
        if self.order == "O(1)" and self.samples > 1:
            return math.exp(self.level)
        form = self._extrapolating_form
        shift = form.base_layers or 0
        if layers <= shift:
            raise ValueError(f"cannot extrapolate below L={shift}")
        base = form.base_value if form.base_layers is not None else 0.0
        return base + math.exp(form.intercept + form.exponent * math.log(layers - shift))

    @property
    def curve_start(self) -> float:
        """The smallest L where ``curve`` is drawn: the smallest fit layer, or just above L0."""
        start = min(self.fit_layers or self.layers)
        shift = self._extrapolating_form.base_layers if not (self.order == "O(1)" and self.samples > 1) else None
        return max(start, shift + 0.5) if shift else start

    def predict(self, layers: int) -> "Prediction":
        """``curve(layers)`` with a 95% prediction interval; ValueError at or below L0."""
        if self.order == "O(1)" and self.samples > 1:
            return self._predict_level(layers)
        if self._extrapolating_form is not self:
            return self._extrapolating_form.predict(layers)
        shift = self.base_layers or 0
        if layers <= shift:
            raise ValueError(f"cannot extrapolate below L={shift}")
        x = math.log(layers - shift)
        centre = self.intercept + self.exponent * x
        dof = self.samples - 2
        if self.exponent_low == self.exponent_high == self.exponent == 0.0:
            half = 0.0  # an exact constant
        elif dof < 1 or self.log_sxx == 0.0:
            half = math.inf
        elif self.residual_sd == 0.0:
            half = 0.0
        else:
            spread = 1 + 1 / self.samples + (x - self.log_mean_l) ** 2 / self.log_sxx
            half = t95(dof) * self.residual_sd * math.sqrt(spread)
        low, high = _exp(centre - half), _exp(centre + half)
        base = self.base_value if self.base_layers is not None else 0.0
        return Prediction(
            self.model, self.variant, self.metric, int(layers), base + math.exp(centre),
            None if low is None else base + low, None if high is None else base + high, self.order, self.step,
        )

    @cached_property
    def _extrapolating_form(self) -> "Growth":
        """This fit, or its shifted refit when that extrapolates the series better.

        Chosen once per fit: predicting at several layer counts reuses it.
        """
        if self.base_layers is None:
            shifted = self._shifted()
            if shifted is not None and _holdout_error(shifted, self) < _holdout_error(self, self):
                return shifted
        return self

    def _shifted(self, drop_deepest: bool = False) -> "Growth | None":
        """A growing timing refitted as y(L0) + c * (L - L0)^k over its fit layers.

        Timings carry a constant cost (tracing and compiling the parts
        outside the stack) that flattens their log-log slope at small L; the
        plain power law fitted there then undershoots deep stacks. The
        growth above the smallest fit layer has no such constant. None when
        that growth is not positive at every other fit layer.
        """
        by_layers = dict(zip(self.layers, self.values))
        chosen = sorted(L for L in self.fit_layers if L in by_layers)
        if drop_deepest:
            chosen = chosen[:-1]
        if len(chosen) < 3:
            return None
        base = min(chosen)
        line = _growth_above(by_layers, base, chosen)
        if line is None:
            return None
        return replace(
            self, exponent=line.slope, intercept=line.intercept, samples=line.n,
            residual_sd=line.residual_sd, log_mean_l=line.mean_x, log_sxx=line.sxx,
            base_layers=base, base_value=by_layers[base],
        )

    def _predict_level(self, layers: int) -> "Prediction":
        """An O(1) metric does not grow: predict its level over the fit layers."""
        half = t95(self.samples - 1) * self.level_sd * math.sqrt(1 + 1 / self.samples)
        return Prediction(self.model, self.variant, self.metric, int(layers), math.exp(self.level),
                          math.exp(self.level - half), math.exp(self.level + half), self.order, self.step)


@dataclass(frozen=True)
class Prediction:
    """A metric extrapolated to a layer count that was not measured."""

    model: str
    variant: str
    metric: str
    layers: int
    value: float
    low: float | None
    high: float | None
    order: str
    step: str = FORWARD

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "step": self.step,
            "variant": self.variant,
            "metric": self.metric,
            "layers": self.layers,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "order": self.order,
            "predicted": True,
        }


def _exp(value: float) -> float | None:
    return None if math.isinf(value) else math.exp(value)


def _holdout_error(form: Growth, fitted: Growth) -> float:
    """How far ``form``, refitted without the deepest fit layer, misses it (log ratio).

    Decides between the plain power law and the shifted form for a growing
    timing: whichever extrapolates the measured series better is used to
    predict beyond it.
    """
    by_layers = dict(zip(fitted.layers, fitted.values))
    chosen = sorted(L for L in fitted.fit_layers if L in by_layers)
    if len(chosen) < 4:
        return math.inf
    deepest = chosen[-1]
    if form.base_layers is not None:
        refit = fitted._shifted(drop_deepest=True)
    else:
        xs = [math.log(L) for L in chosen[:-1]]
        line = theil_sen(xs, [math.log(by_layers[L]) for L in chosen[:-1]])
        refit = replace(fitted, exponent=line.slope, intercept=line.intercept, base_layers=None, base_value=0.0)
    if refit is None:
        return math.inf
    shift = refit.base_layers or 0
    guess = refit.base_value + math.exp(refit.intercept + refit.exponent * math.log(deepest - shift))
    return abs(math.log(guess / by_layers[deepest]))


ORDERS_HELP = "use O(1), O(L) or O(L^k)"
_ORDER_RE = re.compile(r"^(?:O\()?(?P<body>1|L|L\^(?P<k>[0-9]+(?:\.[0-9]+)?))\)?$")


def order_rank(order: str) -> float:
    """O(1) -> 0, O(L) -> 1, O(L^k) -> k: larger grows faster. ValueError for another text."""
    match = _ORDER_RE.match(order.strip())
    if match is None:
        raise ValueError(f"{order!r} is not a growth order; {ORDERS_HELP}")
    if match.group("k") is not None:
        return float(match.group("k"))
    return 0.0 if match.group("body") == "1" else 1.0


def parse_order(text: str) -> str:
    """'O(1)', '1' -> 'O(1)'; 'O(L)', 'L' -> 'O(L)'; 'O(L^2)' -> 'O(L^2.0)': the form classify writes.

    ValueError for text that names no order.
    """
    rank = order_rank(text)
    if rank == 0.0 and "^" not in text:
        return "O(1)"
    if rank == 1.0 and "^" not in text:
        return "O(L)"
    return f"O(L^{rank:.1f})"


def classify(exponent: float, low: float | None = None) -> str:
    """Name the order of growth a log-log slope (and its 95% interval) stands for.

    Steeper than linear needs the whole interval above STEEPER_ABOVE, so that
    noise around a linear slope does not flip the verdict; without an
    interval the exponent itself must reach LINEAR_BELOW.
    """
    if exponent < CONSTANT_BELOW:
        return "O(1)"
    steeper = low > STEEPER_ABOVE if low is not None else exponent >= LINEAR_BELOW
    if not steeper or exponent < 1.0:
        return "O(L)"
    return f"O(L^{exponent:.1f})"


def _without_one(layers: Iterable[int]) -> list[int]:
    """L = 1 is left out when two or more other counts were measured: with one
    layer XLA drops a scanned stack's loop, so it belongs to neither family."""
    counts = sorted(set(layers))
    if len([L for L in counts if L > 1]) >= 2:
        counts = [L for L in counts if L > 1]
    return counts


def fit_layers(layers: Iterable[int]) -> tuple[int, ...]:
    """The layer counts an exact figure is fitted over: the upper half (at least three)."""
    counts = _without_one(layers)
    keep = max(math.ceil(len(counts) / 2), min(MIN_FIT_LAYERS, len(counts)))
    return tuple(counts[-keep:])


def timing_fit_layers(layers: Iterable[int]) -> tuple[int, ...]:
    """The layer counts a timing is fitted over: all but L = 1.

    Every count is kept so that one point slowed by the machine's load is
    outvoted (the slope is a median of pairwise slopes) rather than decisive.
    """
    return tuple(_without_one(layers))


def samples_of(point: Point, metric: str) -> tuple[list[float], bool]:
    """Every positive sample of a metric at a point, and whether it is exact.

    A timing (a STATS record, or a registered timing measured once) is
    noisy; any other plain number (a count, a byte size) is exact: the same
    program gives the same value.
    """
    node: Any = point.timing.get(metric)
    if node is None:
        node = point.lookup(metric)
    exact = not isinstance(node, dict) and not is_timing(metric)
    if isinstance(node, dict):
        values = node.get("samples") or ([node["median"]] if "median" in node else [])
    else:
        values = [node]
    values = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0]
    return values, exact


def fit_series(model: str, variant: str, metric: str, points: list[Point]) -> Growth | None:
    """Fit one series; None with fewer than two layer counts of positive values."""
    data: dict[int, tuple[float, list[float]]] = {}
    exact = True
    for point in sorted(points, key=lambda p: p.layers):
        samples, point_exact = samples_of(point, metric)
        median = point.value(metric)
        if samples and median is not None and median > 0:
            data[point.layers] = (median, samples)
            exact = exact and point_exact
    return fit_values(model, variant, metric, data, exact)


def fit_values(model: str, variant: str, metric: str, data: dict[int, tuple[float, list[float]]],
               exact: bool) -> Growth | None:
    """Fit a series given as {L: (median, samples)}, ascending in L, by the rules above.

    For figures that are not a point's metric (one pass's time, say).
    None with fewer than two layer counts.
    """
    if len(data) < 2:
        return None
    chosen = fit_layers(data)
    common = dict(layers=tuple(data), values=tuple(m for m, _ in data.values()), fit_layers=chosen)
    if exact:
        growth = _fit_exact(model, variant, metric, data, chosen, common)
        if growth is not None:
            return growth
    # One median per layer count: repeats of a point share its moment's load,
    # so they are not independent evidence about the slope.
    chosen = timing_fit_layers(data)
    common["fit_layers"] = chosen
    xs = [math.log(L) for L in chosen]
    ys = [math.log(data[L][0]) for L in chosen]
    line = theil_sen(xs, ys)
    low, high = line.slope_interval
    level = statistics.median(ys)
    level_sd = statistics.stdev(ys) if len(ys) > 1 else 0.0
    return Growth(
        model, variant, metric, classify(line.slope, low), line.slope, exponent_low=low, exponent_high=high,
        intercept=line.intercept, samples=line.n, residual_sd=line.residual_sd,
        log_mean_l=line.mean_x, log_sxx=line.sxx, level=level, level_sd=level_sd, **common,
    )


def _fit_exact(model, variant, metric, data, chosen, common) -> Growth | None:
    """Exact values: O(1) when constant over the fit layers; otherwise the
    exponent of the growth above the smallest layer count (L >= 2 when there
    are others), y(L) - y(base) against L - base, so that a + b*L comes out
    as exactly 1 however large a is. None when that growth is not positive
    everywhere (the caller falls back to the plain log-log slope)."""
    values = {L: data[L][0] for L in chosen}
    if len(set(values.values())) == 1:
        return Growth(model, variant, metric, "O(1)", 0.0, exponent_low=0.0, exponent_high=0.0,
                      intercept=math.log(next(iter(values.values()))), samples=len(values),
                      level=math.log(next(iter(values.values()))), **common)
    base = min(_without_one(data))
    line = _growth_above({L: median for L, (median, _) in data.items()}, base, chosen)
    if line is None:
        return None
    low, high = line.slope_interval
    return Growth(
        model, variant, metric, classify(line.slope, low), line.slope, exponent_low=low, exponent_high=high,
        intercept=line.intercept, samples=line.n, residual_sd=line.residual_sd,
        log_mean_l=line.mean_x, log_sxx=line.sxx, base_layers=base, base_value=data[base][0], **common,
    )


def _growth_above(values: dict[int, float], base: int, layers: Iterable[int]) -> Line | None:
    """Least squares of log(y(L) - y(base)) against log(L - base) over ``layers``
    other than base; None with fewer than two of them or where y does not grow above base."""
    above = [L for L in layers if L != base]
    increments = [values[L] - values[base] for L in above]
    if len(above) < 2 or any(d <= 0 for d in increments):
        return None
    return least_squares([math.log(L - base) for L in above], [math.log(d) for d in increments])


def fit_growth(points: Iterable[Point], metrics: Iterable[str] = METRIC_NAMES) -> list[Growth]:
    """One Growth per (model, step, variant, metric) with at least two ok points; every registered metric by default."""
    series: dict[tuple[str, str, str], list[Point]] = {}
    for point in points:
        if point.ok:
            series.setdefault(point.series, []).append(point)
    fits = []
    metrics = tuple(metrics)
    for (model, step, variant), group in series.items():
        for metric in metrics:
            fit = fit_series(model, variant, metric, group)
            if fit is not None:
                fits.append(replace(fit, step=step))
    return fits


def predict(growth: Iterable[Growth], layers: Iterable[int]) -> list[Prediction]:
    """Every fit extrapolated to each of ``layers``."""
    layers = tuple(layers)
    return [g.predict(L) for g in growth for L in layers]
