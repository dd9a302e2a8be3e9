"""Plain-text renderings for the terminal: a run's summary, a comparison, a check."""

from __future__ import annotations

from hloscope.report.headline import headline_rows, headline_sentence, setup_line
from hloscope.report.training import memory_sentence, state_sentence
from hloscope.report.view import baseline_lines, growth_row
from hloscope.results.analysis import RunAnalysis
from hloscope.results.check import CheckOutcome
from hloscope.results.compare import Comparison, PointChange
from hloscope.results.metrics import HEADLINE_METRICS
from hloscope.results.phases import PHASE_METRICS
from hloscope.results.units import fmt_seconds
from hloscope.steps import TRAIN, series_label, series_name

# Passes listed per model and variant in a comparison's summary.
PASSES_SHOWN = 3


def summary_table(analysis: RunAnalysis) -> str:
    """A table of points and the growth verdicts, for the terminal."""
    names = {p.key: series_name(p.step, p.variant) for p in analysis.results.points}
    width = max([13, *map(len, names.values())])
    header = f"{'model':<12} {'variant':<{width}} {'L':>4} {'status':<8} {'compile':>10} {'pre instr':>10} {'opt instr':>10} {'while':>5}"
    lines = [header, "-" * len(header)]
    for p in analysis.results.points:
        pre = p.hlo.get("pre", {}) if p.ok else {}
        opt = p.hlo.get("opt", {}) if p.ok else {}
        compile_s = fmt_seconds(p.value("compile_s")) if p.ok else "-"
        lines.append(
            f"{p.model:<12} {names[p.key]:<{width}} {p.layers:>4} {p.status:<8} {compile_s:>10} "
            f"{pre.get('instructions', '-'):>10} {opt.get('instructions', '-'):>10} {pre.get('while_loops', '-'):>5}"
        )
        if not p.ok and p.error:
            lines.append(f"    {p.error}")
    lines += ["", setup_line(analysis.results)]
    rows = headline_rows(analysis)
    for model in analysis.models:
        for row in rows:
            if (row.model, row.step) == (model.name, model.step):
                lines.append(headline_sentence(row))
        lines += [f"  {line}" for line in baseline_lines(model, analysis.unroll_construction)]
        if model.phases is not None and model.phases.sentence:
            lines.append(f"  Where compile time goes: {model.phases.sentence}")
        if model.step == TRAIN:
            lines += [f"  {memory_sentence(model)}", f"  {state_sentence(model)}"]
        for g in model.growth:
            if g.metric in HEADLINE_METRICS:
                row = growth_row(g)
                verdict = f", {row.verdict}" if row.verdict else ""
                note = f" ({row.note})" if row.note else ""
                lines.append(f"  {series_name(g.step, g.variant)} {g.metric}: {row.order} (exponent {row.exponent}, 95% {row.interval}"
                             f"{verdict}){note}")
    return "\n".join(lines)


def compare_text(comparison: Comparison) -> str:
    """The terminal summary: regressions first, then improvements and differences."""
    lines = [f"compare {comparison.base_label} -> {comparison.new_label}"]
    if comparison.same_run:
        lines.append(f"note: both sides are the same run (created {comparison.base.results.created}): "
                     "nothing can have changed")
    if comparison.baseline_change:
        lines.append(f"warning: {comparison.baseline_change}")
    for key, b, n in comparison.environment:
        lines.append(f"warning: environments differ: {key}: {b} -> {n}")
    for text in comparison.regressions:
        lines.append(f"regression: {text}")
    for text in comparison.improvements:
        lines.append(f"improvement: {text}")
    headline = [c for c in comparison.points if c.metric in HEADLINE_METRICS + PHASE_METRICS]
    largest: dict[tuple[str, str, str, str], PointChange] = {}
    for c in headline:
        if c.ratio is not None:
            key = (c.model, c.step, c.variant, c.metric)
            if key not in largest or c.layers > largest[key].layers:
                largest[key] = c
    for c in largest.values():
        b, n, change = c.text()
        note = ", baseline changed" if comparison.baseline_change and c.variant == "unroll" else ""
        lines.append(f"  {series_label(c.model, c.step, c.variant, c.metric)} at L={c.layers}: {b} -> {n} ({change}{note})")
    by_series: dict[tuple[str, str, str, int], list] = {}
    for change in (c for c in comparison.passes if c.delta_s):
        by_series.setdefault((change.model, change.step, change.variant, change.layers), []).append(change)
    for (model, step, variant, layers), changes in by_series.items():
        top = "; ".join(c.describe() for c in changes[:PASSES_SHOWN])
        lines.append(f"  {series_label(model, step, variant)} passes that changed most at L={layers}: {top}")
    regressions = len(comparison.regressions)
    lines.append(f"{regressions} regression(s), {len(comparison.improvements)} improvement(s)")
    return "\n".join(lines)


def check_lines(outcome: CheckOutcome) -> list[str]:
    """One line per expectation that held and per violation, then notes and a verdict."""
    out = [f"held: {h}" for h in outcome.held]
    out += [f"violation: {v}" for v in outcome.violations]
    out += [f"note: {n}" for n in outcome.notes]
    if outcome.violations:
        out.append(f"FAILED: {len(outcome.violations)} of {len(outcome.checked)} expectation(s) violated")
    else:
        out.append(f"ok: {len(outcome.checked)} expectation(s) hold")
    return out
