"""Plain-text summaries for the terminal."""

from __future__ import annotations

from hloscope.results.growth import fit_growth
from hloscope.results.variants import unroll_construction
from hloscope.report.view import HEADLINE_METRICS, baseline_lines, fmt_seconds, headline
from hloscope.results import Results


def summary_table(results: Results) -> str:
    """A table of points and the growth verdicts, for the terminal."""
    header = f"{'model':<12} {'variant':<13} {'L':>4} {'status':<8} {'compile':>10} {'pre instr':>10} {'opt instr':>10} {'while':>5}"
    lines = [header, "-" * len(header)]
    for p in results.points:
        pre = p.hlo.get("pre", {}) if p.ok else {}
        opt = p.hlo.get("opt", {}) if p.ok else {}
        compile_s = fmt_seconds(p.value("compile_s")) if p.ok else "-"
        lines.append(
            f"{p.model:<12} {p.variant:<13} {p.layers:>4} {p.status:<8} {compile_s:>10} "
            f"{pre.get('instructions', '-'):>10} {opt.get('instructions', '-'):>10} {pre.get('while_loops', '-'):>5}"
        )
        if not p.ok and p.error:
            lines.append(f"    {p.error}")
    lines.append("")
    # Headlines read only these two fits: fit them once, and lay out no chart.
    growth = fit_growth(results.points, HEADLINE_METRICS)
    for model in results.models:
        points = [p for p in results.points if p.model == model]
        lines.append(headline(model, points, [g for g in growth if g.model == model], unroll_construction(results.config)))
        lines += [f"  {line}" for line in baseline_lines(points, results.config)]
    for g in growth:
        lines.append(f"  {g.model} {g.variant} {g.metric}: {g.order} (exponent {g.exponent:.2f})")
    return "\n".join(lines)
