"""A short Markdown summary to paste into a review: setup, headline, growth, the warnings that matter, reproduce."""

from __future__ import annotations

from hloscope.report.headline import HeadlineCell, headline_rows, reproduce_lines, setup_line
from hloscope.report.training import memory_sentence, state_sentence
from hloscope.report.view import baseline_lines, growth_row
from hloscope.results.analysis import RunAnalysis
from hloscope.results.metrics import HEADLINE_METRICS
from hloscope.steps import TRAIN, series_name
from hloscope.results.units import fmt_value


def _cell(text: str) -> str:
    """Keep a value from breaking the table or injecting markup."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _figure(cell: HeadlineCell) -> str:
    text = f"{cell.ratio} ({cell.values})"
    return text + (f"; {cell.spread}" if cell.spread else "")


def render_markdown(analysis: RunAnalysis) -> str:
    """Setup line, headline table, growth table with plain cells, verdict-affecting warnings, how to reproduce."""
    results = analysis.results
    lines = [
        f"## hloscope: {_cell(', '.join(results.models))}",
        "",
        f"Setup: {_cell(setup_line(results))}; run of {_cell(results.created)}.",
        "",
        "Headline: each ratio is unrolled / scanned at the largest L both compiled (\"faster\" and \"less\" favour"
        " the scanned stack); end to end is trace + lower + backend compile, medians of the cold repeats.",
        "",
        "| model | sizes | L | scanned vs unrolled | end to end | backend compile | runtime | temporary memory |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in headline_rows(analysis):
        name = row.model + (f" ({row.step} step)" if row.step != "forward" else "")
        if row.na is not None:
            lines.append(f"| {_cell(name)} | {_cell(row.sizes)} | n/a | n/a | n/a: {_cell(row.na)} | | | |")
            continue
        cells = [name, row.sizes, str(row.layers), f"{row.scanned} vs {row.unrolled}",
                 *(_figure(c) for c in (row.end_to_end, row.compile, row.runtime, row.temp))]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    for model in analysis.models:
        for line in baseline_lines(model, analysis.unroll_construction):
            lines.append(f"- {_cell(model.label)}: {_cell(line)}")
        if model.phases is not None and model.phases.sentence:
            lines.append(f"- {_cell(model.label)}: where compile time goes: {_cell(model.phases.sentence)}")
        if model.step == TRAIN:
            lines += [f"- {_cell(model.label)}: {_cell(memory_sentence(model))}",
                      f"- {_cell(model.label)}: {_cell(state_sentence(model))}"]
    lines += ["", "Growth with L (L = 1 left out; the order is judged against what the variant should give):", "",
              "| model | variant | metric | order | exponent | 95% interval | fitted on L | judged | at largest L |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for model in analysis.models:
        for variant in model.variants:
            ok = [p for p in model.points if p.variant == variant and p.ok]
            top = max(ok, key=lambda p: p.layers) if ok else None
            for metric in HEADLINE_METRICS:
                value = f"{fmt_value(metric, top.value(metric))} (L={top.layers})" if top else "n/a: no ok point"
                g = model.fit(variant, metric)
                if g is None:
                    cells = [model.name, series_name(model.step, variant), metric, "n/a: fewer than 2 ok points", "", "", "", "", value]
                else:
                    row = growth_row(g)
                    verdict = row.verdict + (f" ({row.note})" if row.note else "")
                    cells = [model.name, series_name(model.step, variant), metric, row.order, row.exponent, row.interval, row.fitted, verdict,
                             value]
                lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    verdict = [w for w in analysis.warnings if w.affects_verdict]
    notes = len(analysis.warnings) - len(verdict)
    lines += [""]
    if verdict:
        lines.append(f"Warnings that affect a verdict ({len(verdict)}):")
        lines += [f"- {w.kind}: {_cell(w.text)}" for w in verdict]
    else:
        lines.append("Warnings that affect a verdict: none.")
    if notes:
        lines.append(f"({notes} note(s) that do not change a verdict are in the HTML report.)")
    where, install, command = reproduce_lines(results)
    lines += ["", f"Reproduce: {where[0].lower()}{where[1:]}", "", "```", install, command, "```", ""]
    return "\n".join(lines)
