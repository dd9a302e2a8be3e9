"""The headline of each model and step: what scanning saves at the largest L both variants compiled.

Derived from the points once per command (hloscope.results.analysis) and
written to results.json as ``headlines``; the report's sentences and tables
read it. Every ratio is unrolled / scanned at the same L: above 1, the
scanned stack is that many times cheaper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from hloscope.results import Point
from hloscope.variants import comparison_pair

# The stages JAX reports for one compile, summed into its end-to-end time.
END_TO_END_STAGES = ("trace_s", "lower_s", "compile_s")


def step_of(point: Point) -> str:
    """The step a point measured (``"forward"`` or ``"train"``; a point recorded before steps existed: forward)."""
    return point.step


def end_to_end_s(point: Point) -> float | None:
    """Trace + lower + backend compile medians of an ok point, in seconds; None when one is missing."""
    if not point.ok:
        return None
    values = [point.value(stage) for stage in END_TO_END_STAGES]
    if any(v is None for v in values):
        return None
    return sum(values)


def end_to_end_range(point: Point) -> tuple[float, float] | None:
    """(fastest, slowest) end-to-end repeat of a point, in seconds.

    Each repeat traces, lowers and compiles once, so its samples of the three
    stages line up: the range is over the per-repeat sums. None when the
    stages hold different numbers of samples.
    """
    samples = []
    for stage in END_TO_END_STAGES:
        stats = point.stats(stage)
        samples.append(stats.get("samples") if isinstance(stats, dict) else None)
    if any(not isinstance(s, list) or not s for s in samples) or len({len(s) for s in samples}) != 1:
        return None
    sums = [sum(parts) for parts in zip(*samples)]
    return min(sums), max(sums)


@dataclass(frozen=True)
class Span:
    """A figure's lowest and highest value across the layer counts, and where each was measured."""

    low: float
    low_layers: int
    high: float
    high_layers: int

    def to_json(self) -> dict:
        return {"low": self.low, "low_layers": self.low_layers, "high": self.high, "high_layers": self.high_layers}


@dataclass(frozen=True)
class Pair:
    """One figure of the scanned and the unrolled point at the headline's L (None where not measured)."""

    scanned: float | None
    unrolled: float | None

    @property
    def ratio(self) -> float | None:
        """unrolled / scanned; None when either is missing or the scanned figure is 0."""
        if self.scanned is None or self.unrolled is None or self.scanned <= 0:
            return None
        return self.unrolled / self.scanned

    def to_json(self) -> dict:
        return {"scanned": self.scanned, "unrolled": self.unrolled}


@dataclass(frozen=True)
class Headline:
    """What scanning saves for one model and step, at the largest L both variants compiled.

    ``scanned``/``unrolled`` are the comparison pair (hloscope.variants);
    ``layers`` is None, with ``na`` saying why, when there is no such L.
    Figures: ``compile_s`` (the backend compile alone), ``end_to_end_s``
    (trace + lower + compile medians), ``runtime_s`` (one call of the
    compiled step), ``temp_bytes`` (XLA's temporary buffers). ``spread``
    holds the scanned variant's compile and end-to-end figures across every
    L it compiled.
    """

    model: str
    step: str
    scanned: str | None
    unrolled: str | None
    layers: int | None
    compile_s: Pair = Pair(None, None)
    end_to_end_s: Pair = Pair(None, None)
    runtime_s: Pair = Pair(None, None)
    temp_bytes: Pair = Pair(None, None)
    spread: dict[str, Span] = field(default_factory=dict)
    na: str | None = None

    @property
    def compile_ratio(self) -> float | None:
        return self.compile_s.ratio

    @property
    def end_to_end_ratio(self) -> float | None:
        return self.end_to_end_s.ratio

    @property
    def runtime_ratio(self) -> float | None:
        return self.runtime_s.ratio

    @property
    def temp_bytes_ratio(self) -> float | None:
        return self.temp_bytes.ratio

    def to_json(self) -> dict:
        """The results.json record: the contract's keys first, then the figures behind them."""
        return {
            "model": self.model,
            "step": self.step,
            "layers": self.layers,
            "compile_ratio": self.compile_ratio,
            "end_to_end_ratio": self.end_to_end_ratio,
            "runtime_ratio": self.runtime_ratio,
            "temp_bytes_ratio": self.temp_bytes_ratio,
            "scanned": self.scanned,
            "unrolled": self.unrolled,
            "figures": {"compile_s": self.compile_s.to_json(), "end_to_end_s": self.end_to_end_s.to_json(),
                        "runtime_s": self.runtime_s.to_json(), "temp_bytes": self.temp_bytes.to_json()},
            "scanned_spread": {name: span.to_json() for name, span in self.spread.items()},
            "na": self.na,
        }


def compiled_pair(points: Iterable[Point], first: str, second: str) -> tuple[int, Point, Point] | None:
    """(L, first's point, second's point) at the largest L where both variants compiled; None if none."""
    compiled = {(p.variant, p.layers): p for p in points if p.ok and p.value("compile_s")}
    common = sorted(L for (v, L) in compiled if v == first and (second, L) in compiled)
    if not common:
        return None
    return common[-1], compiled[(first, common[-1])], compiled[(second, common[-1])]


def _span(values: dict[int, float]) -> Span | None:
    if not values:
        return None
    low = min(values, key=lambda L: (values[L], L))
    high = max(values, key=lambda L: (values[L], -L))
    return Span(values[low], low, values[high], high)


def _temp_bytes(point: Point) -> float | None:
    return point.value("memory.temp_bytes")


def headline_of(model: str, step: str, points: list[Point]) -> Headline:
    """The headline of one model and step from its points."""
    variants = list(dict.fromkeys(p.variant for p in points if p.ok))
    scanned, unrolled = comparison_pair(variants)
    if scanned is None or unrolled is None:
        only = ", ".join(variants) or "no variant compiled"
        return Headline(model, step, scanned, unrolled, None, na=f"only {only}: nothing to compare against")
    mine = [p for p in points if p.variant == scanned and p.ok]
    spread = {}
    for name, value in (("compile_s", lambda p: p.value("compile_s")), ("end_to_end_s", end_to_end_s)):
        span = _span({p.layers: v for p in mine if (v := value(p)) is not None})
        if span is not None:
            spread[name] = span
    pair = compiled_pair(points, scanned, unrolled)
    if pair is None:
        return Headline(model, step, scanned, unrolled, None, spread=spread,
                        na=f"no layer count where both {scanned} and {unrolled} compiled")
    layers, scan, unroll = pair
    return Headline(
        model, step, scanned, unrolled, layers,
        compile_s=Pair(scan.value("compile_s"), unroll.value("compile_s")),
        end_to_end_s=Pair(end_to_end_s(scan), end_to_end_s(unroll)),
        runtime_s=Pair(scan.value("runtime_s"), unroll.value("runtime_s")),
        temp_bytes=Pair(_temp_bytes(scan), _temp_bytes(unroll)),
        spread=spread,
    )


def model_headlines(model: str, points: Iterable[Point]) -> tuple[Headline, ...]:
    """One headline per step the model's points measured, in the order first measured."""
    points = [p for p in points if p.model == model]
    steps = list(dict.fromkeys(step_of(p) for p in points))
    return tuple(headline_of(model, step, [p for p in points if step_of(p) == step]) for step in steps)
