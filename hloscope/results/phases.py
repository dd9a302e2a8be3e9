"""Where compile time goes across a run: each point's phases, each pass's growth, one sentence.

Reads the ``compile_phases`` record that hloscope.run.phases writes per point
(the HLO pass pipelines against the backend, every pass by time). Computed
once per command in RunAnalysis; renderers and compare read it. No jax.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from hloscope.results import Point
from hloscope.results.growth import Growth, fit_values
from hloscope.results.units import fmt_seconds
from hloscope.steps import FORWARD

HLO_PASSES = "compile_phases.hlo_passes_s"
BACKEND = "compile_phases.backend_s"
PHASE_METRICS = (HLO_PASSES, BACKEND)
PHASE_LABELS = {HLO_PASSES: "HLO passes", BACKEND: "backend"}
# A pass's growth is named like a metric, though no point holds it under this path.
PASS_METRIC = "compile_phases.passes.{name}"
TABLE_ROWS = 10


def phases_of(point: Point) -> dict | None:
    """The point's ``compile_phases`` when it is ok and holds figures; None otherwise (n/a, absent)."""
    phases = point.extra.get("compile_phases") if point.ok else None
    if not isinstance(phases, dict) or "hlo_passes_s" not in phases or "backend_s" not in phases:
        return None
    return phases


def pass_times(point: Point) -> dict[str, tuple[float, int]]:
    """Each pass of the point's compile: name -> (seconds, runs); empty without phases."""
    phases = phases_of(point)
    if phases is None:
        return {}
    return {str(p["name"]): (float(p["s"]), int(p.get("runs") or 0)) for p in phases.get("passes") or ()
            if isinstance(p, dict) and isinstance(p.get("s"), (int, float))}


@dataclass(frozen=True)
class PassSeries:
    """One pass of one variant across the layer counts whose compiles ran it."""

    variant: str
    name: str
    layers: tuple[int, ...]
    seconds: tuple[float, ...]
    runs: tuple[int, ...]
    growth: Growth | None

    @property
    def largest_s(self) -> float:
        """Seconds at the largest layer count."""
        return self.seconds[-1]

    @property
    def added_s(self) -> float:
        """Seconds added from the smallest layer count to the largest."""
        return self.seconds[-1] - self.seconds[0]


@dataclass(frozen=True)
class ModelPhases:
    """One model's compile phases: every pass series and the sentence saying where the growth is."""

    model: str
    variants: tuple[str, ...]
    passes: tuple[PassSeries, ...]
    sentence: str | None

    def slowest(self, count: int = TABLE_ROWS) -> list[PassSeries]:
        """The passes taking longest at their variant's largest layer count."""
        return sorted(self.passes, key=lambda s: (-s.largest_s, s.variant, s.name))[:count]

    def fastest_growing(self, count: int = TABLE_ROWS) -> list[PassSeries]:
        """The passes adding the most seconds from the smallest layer count to the largest."""
        growing = [s for s in self.passes if len(s.layers) >= 2 and s.added_s > 0]
        return sorted(growing, key=lambda s: (-s.added_s, s.variant, s.name))[:count]


def pass_series(points: Iterable[Point], model: str, variant: str) -> list[PassSeries]:
    """Every pass of ``variant``'s ok points with phases, its time fitted against L as a timing is.

    L = 1 is kept in the series (the fit leaves it out, as for any timing).
    """
    by_name: dict[str, dict[int, tuple[float, int]]] = {}
    for point in sorted((p for p in points if p.variant == variant), key=lambda p: p.layers):
        for name, (seconds, runs) in pass_times(point).items():
            by_name.setdefault(name, {})[point.layers] = (seconds, runs)
    series = []
    for name, per_layer in by_name.items():
        layers = tuple(sorted(per_layer))
        data = {L: (per_layer[L][0], [per_layer[L][0]]) for L in layers if per_layer[L][0] > 0}
        growth = fit_values(model, variant, PASS_METRIC.format(name=name), data, exact=False)
        series.append(PassSeries(variant, name, layers, tuple(per_layer[L][0] for L in layers),
                                 tuple(per_layer[L][1] for L in layers), growth))
    return series


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%"


def _signed(seconds: float) -> str:
    return ("+" if seconds >= 0 else "-") + fmt_seconds(abs(seconds))


def where_growth_is(model: str, points: list[Point], scanned: str | None, unrolled: str | None,
                    passes: list[PassSeries]) -> str | None:
    """One sentence: what share of the unrolled compile at its largest L is code generation
    (of how many kernels), against the scanned one's kernels, and which phase and pass the
    growth from the smallest L went to. None without phases of the unrolled variant."""
    variant = unrolled or scanned
    measured = sorted((p for p in points if p.variant == variant and phases_of(p)), key=lambda p: p.layers)
    if not measured:
        return None
    top = measured[-1]
    phases = phases_of(top)
    whole = phases.get("compile_s") or (phases["hlo_passes_s"] + phases["backend_s"])
    kernels = phases.get("kernels")
    work = f"code generation of {kernels} kernels" if isinstance(kernels, int) else "backend code generation"
    sentence = (f"{_share(phases['backend_s'], whole)} of {model} {variant}'s compile at L={top.layers} is {work} "
                f"and {_share(phases['hlo_passes_s'], whole)} HLO passes")
    other = next((p for p in points if scanned and p.variant == scanned and p.layers == top.layers and phases_of(p)),
                 None)
    if other is not None and variant != scanned:
        other_kernels = phases_of(other).get("kernels")
        if isinstance(kernels, int) and isinstance(other_kernels, int):
            sentence += f"; {scanned} generates {other_kernels}"
        else:
            sentence += f"; {scanned}'s backend takes {fmt_seconds(phases_of(other)['backend_s'])}"
    first = next((p for p in measured if p.layers > 1), measured[0])
    if first is not top:
        start = phases_of(first)
        added = {name: phases[name] - start[name] for name in ("hlo_passes_s", "backend_s")}
        total = added["hlo_passes_s"] + added["backend_s"]
        if min(added.values()) < 0:
            # One phase shrank (noise in a single sample, or a real saving): a share of the
            # sum would read over 100%, so give each change with its sign.
            sentence += (f"; from L={first.layers} HLO passes changed by {_signed(added['hlo_passes_s'])} "
                         f"and the backend by {_signed(added['backend_s'])}")
        elif total > 0:
            where = "code generation" if added["backend_s"] >= added["hlo_passes_s"] else "HLO passes"
            part = max(added.values())
            sentence += (f"; of the {fmt_seconds(total)} it gains from L={first.layers}, "
                         f"{_share(part, total)} is {where}")
            grown = [s for s in passes if s.variant == variant and first.layers in s.layers and s.added_s > 0]
            if grown:
                fastest = max(grown, key=lambda s: s.largest_s - s.seconds[s.layers.index(first.layers)])
                gain = fastest.largest_s - fastest.seconds[fastest.layers.index(first.layers)]
                sentence += f", and the pass that grows most is {fastest.name} (+{fmt_seconds(gain)})"
    return sentence + "."


def model_phases(model: str, points: list[Point], scanned: str | None, unrolled: str | None) -> ModelPhases | None:
    """The model's phases, or None when no ok point recorded them."""
    with_phases = [p for p in points if phases_of(p)]
    if not with_phases:
        return None
    variants = tuple(dict.fromkeys(p.variant for p in with_phases))
    passes = [s for variant in variants for s in pass_series(with_phases, model, variant)]
    return ModelPhases(model, variants, tuple(passes), where_growth_is(model, points, scanned, unrolled, passes))


@dataclass(frozen=True)
class PassChange:
    """One pass's seconds at one point in two runs (None where that run did not run it)."""

    model: str
    variant: str
    layers: int
    name: str
    base: float | None
    new: float | None
    step: str = FORWARD

    @property
    def delta_s(self) -> float:
        return (self.new or 0.0) - (self.base or 0.0)

    def describe(self) -> str:
        def one(value):
            return "not run" if value is None else fmt_seconds(value)

        sign = "+" if self.delta_s >= 0 else "-"
        return f"{self.name} {one(self.base)} -> {one(self.new)} ({sign}{fmt_seconds(abs(self.delta_s))})"


def pass_changes(base: Iterable[Point], new: Iterable[Point]) -> list[PassChange]:
    """Every pass of every point that recorded phases in both runs, largest change first.

    Only the largest layer count of each (model, step, variant) that both
    runs measured: where a regression after an upgrade is largest and least
    noisy.
    """
    base_points = {p.key: p for p in base if phases_of(p)}
    new_points = {p.key: p for p in new if phases_of(p)}
    largest: dict[tuple[str, str, str], int] = {}
    for *series, layers in base_points.keys() & new_points.keys():
        largest[tuple(series)] = max(layers, largest.get(tuple(series), 0))
    changes = []
    for (model, step, variant), layers in largest.items():
        before = pass_times(base_points[(model, step, variant, layers)])
        after = pass_times(new_points[(model, step, variant, layers)])
        for name in dict.fromkeys([*before, *after]):
            changes.append(PassChange(model, variant, layers, name, before.get(name, (None, 0))[0],
                                      after.get(name, (None, 0))[0], step))
    return sorted(changes, key=lambda c: (-abs(c.delta_s), c.model, c.variant, c.name))
