"""Compare two runs: what changed per model, step, variant, L and metric, and whether
any growth order got worse (a regression) or better (an improvement).

Growth is recomputed from each run's points. Pure logic: no jax.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from hloscope.results import Results, load_results
from hloscope.results.analysis import RunAnalysis, analyze_run
from hloscope.results.growth import Growth
from hloscope.results.metrics import METRIC_NAMES
from hloscope.results.phases import PassChange, pass_changes
from hloscope.steps import point_label, series_label
from hloscope.results.units import fmt_exponent, fmt_value
from hloscope.variants import CONSTRUCTIONS, unroll_construction

# Environment keys whose difference can explain a change in compile cost.
ENVIRONMENT_KEYS = ("python", "jax", "jaxlib", "flax", "backend", "device", "cpu", "cpu_count", "xla_flags")
CONFIG_KEYS = ("features", "repeats", "seed", "sizes")
# Config keys that runs record only since some version.
RECORDED_LATER = ("sizes",)


@dataclass(frozen=True)
class GrowthChange:
    model: str
    step: str
    variant: str
    metric: str
    base: Growth | None
    new: Growth | None
    # "regression", "improvement", "same", "only in base", "only in new", or
    # "baseline changed" (the runs built unroll differently: not comparable).
    verdict: str

    def describe(self) -> str:
        def one(g):
            return "n/a" if g is None else f"{g.order} (exponent {fmt_exponent(g)})"

        return f"{series_label(self.model, self.step, self.variant, self.metric)}: {one(self.base)} -> {one(self.new)}"


@dataclass(frozen=True)
class PointChange:
    model: str
    step: str
    variant: str
    layers: int
    metric: str
    base: float | None
    new: float | None

    @property
    def ratio(self) -> float | None:
        if self.base and self.new is not None:
            return self.new / self.base
        return None

    def text(self) -> tuple[str, str, str]:
        ratio = self.ratio
        change = "n/a" if ratio is None else f"{ratio:.2f}x"
        return fmt_value(self.metric, self.base), fmt_value(self.metric, self.new), change


@dataclass(frozen=True)
class StatusChange:
    model: str
    step: str
    variant: str
    layers: int
    base: str
    new: str
    error: str | None

    @property
    def worse(self) -> bool:
        return self.base == "ok" and self.new != "ok"

    def describe(self) -> str:
        reason = f": {self.error}" if self.error else ""
        return f"{point_label(self)}: {self.base} -> {self.new}{reason}"


@dataclass(frozen=True)
class Comparison:
    """Two runs and what changed between them; ``base`` and ``new`` are their analyses."""

    base: RunAnalysis
    new: RunAnalysis
    base_label: str
    new_label: str
    growth: tuple[GrowthChange, ...]
    points: tuple[PointChange, ...]
    statuses: tuple[StatusChange, ...]
    environment: tuple[tuple[str, str, str], ...]  # (key, base, new) that differ
    # Why unroll's figures are not comparable, when the runs built it differently; else None.
    baseline_change: str | None = None
    # Each pass's seconds at the largest L both runs compiled with phases, largest change first.
    passes: tuple[PassChange, ...] = ()
    # Both sides are one run (same creation time, command and points): every change is none.
    same_run: bool = False

    @property
    def regressions(self) -> list[str]:
        found = [c.describe() for c in self.growth if c.verdict == "regression"]
        return found + [s.describe() for s in self.statuses if s.worse]

    @property
    def improvements(self) -> list[str]:
        found = [c.describe() for c in self.growth if c.verdict == "improvement"]
        return found + [s.describe() for s in self.statuses if s.new == "ok"]


def _verdict(base: Growth | None, new: Growth | None) -> str:
    if base is None:
        return "only in new"
    if new is None:
        return "only in base"
    before, after = base.rank, new.rank
    # O(L^1.3) -> O(L^1.4) is noise in the exponent, not a new order.
    if abs(after - before) < 0.25:
        return "same"
    return "regression" if after > before else "improvement"


def is_same_run(base: Results, new: Results) -> bool:
    """Whether two results are one run: the same creation time, command, environment and points."""
    return (base.created == new.created and base.command == new.command and base.environment == new.environment
            and [p.to_json() for p in base.points] == [p.to_json() for p in new.points])


def _env_text(value) -> str:
    return "n/a (empty)" if value in (None, "") else str(value)


def baseline_change(base: Results, new: Results) -> str | None:
    """One sentence when the two runs built ``unroll`` differently, else None."""
    before, after = unroll_construction(base.config), unroll_construction(new.config)
    has_unroll = any(p.variant == "unroll" for p in (*base.points, *new.points))
    if before == after or not has_unroll:
        return None
    text = (f"the unrolled baseline changed: base's unroll is {CONSTRUCTIONS[before]} ({before}), "
            f"new's is {CONSTRUCTIONS[after]} ({after}); unroll's differences are that change, "
            "not a regression or an improvement")
    if any(p.variant == "unroll-sliced" for p in new.points) and before == "sliced-stack":
        text += "; new's unroll-sliced is built as base's unroll was"
    return text


def _verdict_of(key: tuple[str, str, str, str], base: Growth | None, new: Growth | None, changed: bool) -> str:
    if changed and key[2] == "unroll" and base is not None and new is not None:
        return "baseline changed"
    return _verdict(base, new)


def compare_results(base_analysis: RunAnalysis, new_analysis: RunAnalysis, base_label: str = "base",
                    new_label: str = "new") -> Comparison:
    """Diff two runs: growth verdicts, per-point metrics, statuses, environments.

    When the runs built ``unroll`` differently (``unroll_construction``),
    unroll's growth changes get the verdict "baseline changed" and
    ``baseline_change`` says why.
    """
    base, new = base_analysis.results, new_analysis.results
    base_fits = {(*g.series, g.metric): g for g in base_analysis.growth}
    new_fits = {(*g.series, g.metric): g for g in new_analysis.growth}
    change = baseline_change(base, new)
    growth = [
        GrowthChange(*key, base_fits.get(key), new_fits.get(key),
                     _verdict_of(key, base_fits.get(key), new_fits.get(key), change is not None))
        for key in dict.fromkeys(list(base_fits) + list(new_fits))
    ]
    base_points = {p.key: p for p in base.points}
    new_points = {p.key: p for p in new.points}
    changes, statuses = [], []
    for key in dict.fromkeys(list(base_points) + list(new_points)):
        b, n = base_points.get(key), new_points.get(key)
        b_status, n_status = (b.status if b else "absent"), (n.status if n else "absent")
        if b_status != n_status:
            statuses.append(StatusChange(*key, b_status, n_status, n.error if n else None))
        for metric in METRIC_NAMES:
            b_value = b.value(metric) if b and b.ok else None
            n_value = n.value(metric) if n and n.ok else None
            if b_value is not None or n_value is not None:
                changes.append(PointChange(*key, metric, b_value, n_value))
    environment = []
    for key in ENVIRONMENT_KEYS:
        b_value, n_value = base.environment.get(key), new.environment.get(key)
        if b_value != n_value:
            environment.append((key, _env_text(b_value), _env_text(n_value)))
    for key in CONFIG_KEYS:
        b_value, n_value = base.config.get(key), new.config.get(key)
        # A run made before sizes were recorded says nothing about them: not a difference.
        if key in RECORDED_LATER and (b_value is None or n_value is None):
            continue
        if b_value != n_value:
            environment.append((f"config.{key}", _env_text(b_value), _env_text(n_value)))
    if change is not None:
        environment.append(("config.unroll_construction", unroll_construction(base.config), unroll_construction(new.config)))
    return Comparison(base_analysis, new_analysis, base_label, new_label, tuple(growth), tuple(changes),
                      tuple(statuses), tuple(environment), change, tuple(pass_changes(base.points, new.points)),
                      is_same_run(base, new))


def compare_files(base_path: str | os.PathLike, new_path: str | os.PathLike) -> Comparison:
    """Load two results files (or run folders) and compare them."""
    return compare_results(analyze_run(load_results(base_path)), analyze_run(load_results(new_path)),
                           str(base_path), str(new_path))
