"""A short Markdown summary to paste into a review."""

from __future__ import annotations

from hloscope.report.view import model_views
from hloscope.results.analysis import RunAnalysis
from hloscope.results.metrics import HEADLINE_METRICS
from hloscope.results.units import fmt_exponent, fmt_value


def _cell(text: str) -> str:
    """Keep a value from breaking the table or injecting markup."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def render_markdown(analysis: RunAnalysis) -> str:
    """Verdicts, headline ratios and a small table of growth and largest-L figures."""
    results, growth = analysis.results, analysis.growth
    env = results.environment
    lines = [
        f"## hloscope: {_cell(', '.join(results.models))}",
        "",
        f"Run of {results.created} on {_cell(str(env.get('cpu') or 'n/a'))} "
        f"(backend {_cell(str(env.get('backend') or 'n/a'))}, jax {_cell(str(env.get('jax') or 'n/a'))}).",
        "",
    ]
    views = model_views(analysis)
    for view in views:
        lines.append(f"- **{_cell(view.name)}**: {_cell(view.headline)}")
        lines += [f"  - {_cell(line)}" for line in view.baseline]
        phases = analysis.model(view.name).phases
        if phases is not None and phases.sentence:
            lines.append(f"  - Where compile time goes: {_cell(phases.sentence)}")
    lines += ["", "| model | variant | compile time | HLO instructions (pre) | compile at largest L | HLO instr. at largest L |",
              "| --- | --- | --- | --- | --- | --- |"]
    fits = {(g.model, g.variant, g.metric): g for g in growth}
    for view in views:
        for variant in view.variants:
            ok = [p for p in view.points if p.variant == variant and p.ok]
            cells = []
            for metric in HEADLINE_METRICS:
                g = fits.get((view.name, variant, metric))
                cells.append(f"{g.order} (exp. {fmt_exponent(g)})" if g else "n/a: fewer than 2 ok points")
            if ok:
                top = max(ok, key=lambda p: p.layers)
                cells += [f"{fmt_value(m, top.value(m))} (L={top.layers})" for m in HEADLINE_METRICS]
            else:
                cells += ["n/a: no ok point"] * 2
            lines.append(f"| {_cell(view.name)} | {_cell(variant)} | " + " | ".join(_cell(c) for c in cells) + " |")
    warnings = analysis.warnings
    if warnings:
        lines += ["", f"Warnings ({len(warnings)}):"]
        lines += [f"- {w.kind}: {_cell(w.text)}" for w in warnings[:10]]
        if len(warnings) > 10:
            lines.append(f"- ... {len(warnings) - 10} more in the HTML report")
    lines += ["", f"Reproduce: `{results.command.replace('`', '')}`", ""]
    return "\n".join(lines)
