"""Everything derived from a run's points, computed once per command.

``analyze_run(results)`` fits growth, predicts, picks each model's
comparison pair, derives per-layer costs, checks FLOPs and collects warnings,
once per (model, step): a forward pass and a training step grow apart.
Every renderer, ``compare`` and ``check`` take the RunAnalysis it returns.
Nothing derived is trusted from a results file: ``results.json`` carries it
for outside readers only (``results_record``).
"""

from __future__ import annotations

from dataclasses import dataclass

from hloscope.results import Point, Results, results_text
from hloscope.results.records import DERIVED_KEYS
from hloscope.results.flops import flops_check
from hloscope.results.growth import Growth, Prediction, fit_growth
from hloscope.results.headlines import Headline, model_headlines
from hloscope.results.metrics import METRIC_NAMES, STORED_METRICS
from hloscope.results.per_layer import model_per_layer
from hloscope.results.phases import ModelPhases, model_phases
from hloscope.steps import FORWARD, STEP_TITLES, series_label
from hloscope.variants import comparison_pair, unroll_construction
from hloscope.results.warnings import RunWarning, collect_warnings


@dataclass(frozen=True)
class ModelAnalysis:
    """One model's points of one step and what is derived from them.

    ``step`` is what the points lowered (hloscope.steps): the
    forward pass or the training step. ``points`` are ordered by variant (as
    first measured), then L.
    ``scanned``/``unrolled`` is the comparison pair every verdict uses
    (None where the run has no such variant). ``headlines``: the step's
    headline (hloscope.results.headlines), one. ``per_layer`` is
    None without two points of the unrolled variant; ``phases`` None without
    a point that recorded its compile phases.
    """

    name: str
    points: tuple[Point, ...]
    variants: tuple[str, ...]
    scanned: str | None
    unrolled: str | None
    growth: tuple[Growth, ...]
    predictions: tuple[Prediction, ...]
    per_layer: dict | None
    flops: dict
    phases: ModelPhases | None = None
    headlines: tuple[Headline, ...] = ()
    step: str = FORWARD

    @property
    def label(self) -> str:
        """How sentences name it: 'transformer', or 'transformer training step'."""
        return self.name if self.step == FORWARD else f"{self.name} {STEP_TITLES[self.step]}"

    @property
    def largest_layers(self) -> int | None:
        """The largest L with an ok point."""
        return max((p.layers for p in self.points if p.ok), default=None)

    def fit(self, variant: str, metric: str) -> Growth | None:
        """The growth fit of ``variant``'s ``metric``; None with fewer than two ok points."""
        return next((g for g in self.growth if g.variant == variant and g.metric == metric), None)

    def point(self, variant: str, layers: int) -> Point | None:
        return next((p for p in self.points if p.variant == variant and p.layers == layers), None)


@dataclass(frozen=True)
class RunAnalysis:
    """A run (``results``) and everything derived from it."""

    results: Results
    growth: tuple[Growth, ...]
    predictions: tuple[Prediction, ...]
    prediction_warnings: tuple[str, ...]
    models: tuple[ModelAnalysis, ...]
    warnings: tuple[RunWarning, ...]

    @property
    def unroll_construction(self) -> str:
        """How the run built ``unroll`` (hloscope.variants)."""
        return unroll_construction(self.results.config)

    def model(self, name: str, step: str = FORWARD) -> ModelAnalysis | None:
        """The analysis of model ``name``'s ``step``; None when the run has no such points."""
        return next((m for m in self.models if m.name == name and m.step == step), None)

    def steps(self, name: str) -> tuple[ModelAnalysis, ...]:
        """Every step measured of model ``name``, in the run's order."""
        return tuple(m for m in self.models if m.name == name)

    @property
    def headlines(self) -> tuple[Headline, ...]:
        """Every model's headlines, model by model."""
        return tuple(h for m in self.models for h in m.headlines)


def predictions_at(growth: list[Growth], layers) -> tuple[list[Prediction], list[str]]:
    """Every fit predicted at each of ``layers``, and one warning per layer count and reason a fit cannot be.

    A fit anchored at its smallest measured L cannot go below it; one
    prediction that cannot be made must not cost the run its results.
    """
    records, missing = [], {}
    for g in growth:
        for L in layers:
            try:
                records.append(g.predict(int(L)))
            except (ValueError, OverflowError) as exc:
                missing.setdefault((L, str(exc) or type(exc).__name__), []).append(series_label(g.model, g.step, g.variant, g.metric))
    warnings = [
        f"--predict-layers {L}: {len(names)} fit(s) not predicted ({reason}): {', '.join(names[:3])}"
        + (", ..." if len(names) > 3 else "")
        for (L, reason), names in missing.items()
    ]
    return records, warnings


def analyze_run(results: Results) -> RunAnalysis:
    """Derive everything a report, compare or check needs from the run's points, once."""
    growth = fit_growth(results.points, METRIC_NAMES)
    predict_layers = [int(L) for L in results.config.get("predict_layers") or []]
    predictions, prediction_warnings = predictions_at(growth, predict_layers)
    models = []
    for name, step in dict.fromkeys((p.model, p.step) for p in results.points):
        points = [p for p in results.points if p.model == name and p.step == step]
        variants = tuple(dict.fromkeys(p.variant for p in points))
        order = {v: i for i, v in enumerate(variants)}
        scanned, unrolled = comparison_pair(v for v in variants if any(p.ok for p in points if p.variant == v))
        models.append(ModelAnalysis(
            name=name,
            step=step,
            points=tuple(sorted(points, key=lambda p: (order[p.variant], p.layers))),
            variants=variants,
            scanned=scanned,
            unrolled=unrolled,
            growth=tuple(g for g in growth if (g.model, g.step) == (name, step)),
            predictions=tuple(q for q in predictions if (q.model, q.step) == (name, step)),
            per_layer=model_per_layer(points, scanned, unrolled),
            flops=flops_check(points, unrolled),
            phases=model_phases(name, points, scanned, unrolled),
            headlines=model_headlines(name, points),
        ))
    flops = {(m.name, m.step): m.flops for m in models}
    headlines = [h for m in models for h in m.headlines]
    warnings = collect_warnings(results, growth, flops, headlines)
    stored = {str(w) for w in results.extra.get("warnings") or []}
    warnings += [RunWarning("prediction", text) for text in prediction_warnings if text not in stored]
    return RunAnalysis(results, tuple(growth), tuple(predictions), tuple(prediction_warnings), tuple(models),
                       tuple(warnings))


def results_record(analysis: RunAnalysis) -> dict:
    """results.json: the run, then what is derived from it for outside readers.

    ``headlines`` holds each model's and step's ratios (hloscope.results.headlines),
    ``growth`` the stored metrics (hloscope.results.metrics); hloscope
    itself recomputes all of it from the points on every read.
    """
    derived = {
        "headlines": [h.to_json() for h in analysis.headlines],
        "growth": [g.to_json() for g in analysis.growth if g.metric in STORED_METRICS],
        "per_layer": {m.name: m.per_layer for m in analysis.models if m.per_layer is not None and m.step == FORWARD},
    }
    if analysis.results.config.get("predict_layers"):
        derived["predictions"] = [q.to_json() for q in analysis.predictions]
    return analysis.results.to_json(derived)


def analysis_text(analysis: RunAnalysis) -> str:
    """The text of results.json for ``analysis`` (see results_record)."""
    derived = {k: v for k, v in results_record(analysis).items() if k in DERIVED_KEYS}
    return results_text(analysis.results, derived)
