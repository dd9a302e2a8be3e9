"""What the report shows of a model's training step, beside its forward pass.

Renderers only: every figure comes from the step's ModelAnalysis (and the
forward's, when the run measured both). The seed argued from training: "For
training, that's 96x the compile time and 96x the memory the optimizer-state
pytree has to carry"; ``state_sentence`` weighs that claim against what the
run measured.
"""

from __future__ import annotations

from dataclasses import dataclass

from hloscope.report.charts import PALETTE, Chart, SeriesData, fit_curve, loglog_chart
from hloscope.report.view import count_name, point_datum
from hloscope.results import Point
from hloscope.results.analysis import ModelAnalysis
from hloscope.results.metrics import metric as registered_metric
from hloscope.results.units import fmt_bytes, fmt_count, fmt_exponent, fmt_seconds
from hloscope.steps import STEP_TITLES

SEED_CLAIM = "For training, that's 96x the compile time and 96x the memory the optimizer-state pytree has to carry"


@dataclass(frozen=True)
class StateRow:
    """One training point's pytrees: trainable parameters and optimizer state, bytes and arrays."""

    variant: str
    layers: int
    params_bytes: str
    params_leaves: str
    state_bytes: str
    state_leaves: str


@dataclass(frozen=True)
class TrainingView:
    """The training-step section of one model.

    ``compile_chart``: compile time against L of each variant's step, its
    forward dashed beside it. ``memory_chart``: XLA's temporary buffers of
    the step (what the backward pass keeps). ``rows``: parameters and
    optimizer state per point. The sentences say n/a with a reason where the
    points lack what they need.
    """

    compile_chart: Chart | None
    memory_chart: Chart | None
    memory_sentence: str
    rows: tuple[StateRow, ...]
    state_sentence: str


def _series(model: ModelAnalysis, variant: str, metric: str, color: str, dashed: bool = False) -> SeriesData:
    """One variant's measured medians of ``metric`` and its fitted curve."""
    data = []
    for p in model.points:
        value = p.value(metric) if p.ok and p.variant == variant else None
        if value is not None and value > 0:
            data.append(point_datum(p, metric, value))
    fit = model.fit(variant, metric)
    legend = f"{variant}, {STEP_TITLES[model.step]}"
    if fit is not None:
        legend += f": {fit.order}, exponent {fmt_exponent(fit)}"
    return SeriesData(f"{variant} {model.step}", tuple(data), legend, fit_curve(fit) if fit else (), color=color,
                      dashed=dashed)


def _chart(metric: str, title: str, train: ModelAnalysis, forward: ModelAnalysis | None) -> Chart | None:
    series = []
    for index, variant in enumerate(train.variants):
        color = PALETTE[index % len(PALETTE)]
        series.append(_series(train, variant, metric, color))
        if forward is not None and variant in forward.variants:
            series.append(_series(forward, variant, metric, color, dashed=True))
    unit_name = count_name(metric)
    return loglog_chart(title, registered_metric(metric).unit, series, unit_name=unit_name)


def _largest(model: ModelAnalysis, variants, metric: str) -> tuple[int, dict[str, float]] | None:
    """(L, {variant: value}) at the largest L where every one of ``variants`` has ``metric``."""
    values: dict[int, dict[str, float]] = {}
    for p in model.points:
        value = p.value(metric) if p.ok and p.variant in variants else None
        if value is not None:
            values.setdefault(p.layers, {})[p.variant] = value
    common = [L for L, by in values.items() if set(variants) <= set(by)]
    return (max(common), values[max(common)]) if common else None


def memory_sentence(train: ModelAnalysis) -> str:
    """XLA's temporary buffers of each variant's step at the largest L all of them compiled."""
    variants = [v for v in train.variants if any(p.ok and p.variant == v and p.value("memory.temp_bytes") is not None
                                                 for p in train.points)]
    found = _largest(train, variants, "memory.temp_bytes") if variants else None
    if found is None:
        return "Temporary memory: n/a: no layer count where the step's variants all recorded XLA's memory analysis."
    L, values = found
    parts = ", ".join(f"{v} {fmt_bytes(values[v])}" for v in variants)
    return (f"Temporary buffers XLA allocates for one step at L = {L} (what the backward pass keeps, from "
            f"compiled.memory_analysis()): {parts}.")


def state_sentence(train: ModelAnalysis) -> str:
    """The seed's claim weighed against the optimizer state and compile times measured."""
    scanned, unrolled = train.scanned, train.unrolled
    if scanned is None or unrolled is None:
        return (f'The seed says: "{SEED_CLAIM}." n/a here: the run has no scanned and unrolled training step '
                "to weigh it with.")
    found = _largest(train, (scanned, unrolled), "optimizer_state.bytes")
    if found is None:
        return (f'The seed says: "{SEED_CLAIM}." n/a here: no layer count where both {scanned} and {unrolled} '
                "recorded their optimizer state.")
    L, bytes_ = found
    point = {p.variant: p for p in train.points if p.ok and p.layers == L}
    leaves = {v: point[v].value("optimizer_state.leaves") for v in (scanned, unrolled)}
    same = bytes_[scanned] == bytes_[unrolled]
    memory = (f"the optimizer state holds {fmt_bytes(bytes_[scanned])} in both (the same numbers, stacked or not)"
              if same else f"the optimizer state holds {fmt_bytes(bytes_[unrolled])} unrolled, "
                           f"{bytes_[unrolled] / bytes_[scanned]:.2f}x the {fmt_bytes(bytes_[scanned])} scanned")
    arrays, verdict = "", ""
    if leaves[scanned] and leaves[unrolled]:
        ratio = leaves[unrolled] / leaves[scanned]
        arrays = (f", in {fmt_count(leaves[unrolled])} arrays unrolled against {fmt_count(leaves[scanned])} scanned "
                  f"({ratio:.1f}x as many)")
        if same:
            verdict = (" Unrolling multiplies the arrays the optimizer carries, not its memory." if ratio > 1
                       else " Scanned and unrolled carry the same optimizer state.")
    compile_s = {v: point[v].value("compile_s") for v in (scanned, unrolled)}
    timing = ""
    if compile_s[scanned] and compile_s[unrolled]:
        timing = (f"; the step compiles in {fmt_seconds(compile_s[unrolled])} unrolled against "
                  f"{fmt_seconds(compile_s[scanned])} scanned: {compile_s[unrolled] / compile_s[scanned]:.1f}x "
                  f"where the claim would say {L}x")
    return (f'The seed says: "{SEED_CLAIM}." Measured at L = {L} ({unrolled} against {scanned}): '
            f"{memory}{arrays}{timing}.{verdict}")


def _text(point: Point, metric: str, fmt) -> str:
    value = point.value(metric)
    return "n/a" if value is None else fmt(value)


def training_view(train: ModelAnalysis, forward: ModelAnalysis | None) -> TrainingView:
    """The training-step section of ``train``, with ``forward`` (the same model's forward pass, if measured) beside it."""
    rows = tuple(
        StateRow(p.variant, p.layers, _text(p, "params.bytes", fmt_bytes), _text(p, "params.leaves", fmt_count),
                 _text(p, "optimizer_state.bytes", fmt_bytes), _text(p, "optimizer_state.leaves", fmt_count))
        for p in train.points if p.ok
    )
    return TrainingView(
        compile_chart=_chart("compile_s", "Backend compile time: training step (solid) and forward pass (dotted)",
                             train, forward),
        memory_chart=_chart("memory.temp_bytes", "Temporary buffer memory of the training step (XLA)", train, None),
        memory_sentence=memory_sentence(train),
        rows=rows,
        state_sentence=state_sentence(train),
    )
