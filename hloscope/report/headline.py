"""The top of every report: the setup line, each model's sizes, the headline in words and cells, and how to reproduce.

Renderers only: the figures come from the run's Headline records
(hloscope.results.headlines) and its stored environment and config.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from hloscope.report.charts import Chart, Datum, SeriesData, loglog_chart
from hloscope.results import Results
from hloscope.results.analysis import ModelAnalysis, RunAnalysis
from hloscope.results.headlines import Headline, Pair, end_to_end_range, end_to_end_s, step_of
from hloscope.results.units import fmt_bytes, fmt_seconds

# How the sizes of a model read, in this order; a built-in's width goes by its field's name.
SIZE_NAMES = (("features", "features"), ("heads", "heads"), ("seq_len", "sequence"), ("batch", "batch"),
              ("in_features", "in features"), ("out_features", "out features"))
WIDTH_NAMES = {"transformer": "d_model"}
# The environment keys of the setup line's versions, in this order.
VERSION_KEYS = ("python", "jax", "jaxlib", "flax", "hloscope")
# The summary charts are shorter than the model sections' so the first screen holds one.
SUMMARY_CHART_HEIGHT = 240


def sizes_text(model: str, config: dict) -> str:
    """'d_model 256, heads 4, sequence 64, batch 1, x float32[1,64,256]' from ``config.sizes``.

    A block called with ``--inputs`` adds the example call's other arrays:
    'x float32[2,8,16], with bool[1,1,8,8], float32[2,8]'.

    A run made before sizes were recorded says so, with the size options it
    was given (the others were the model's defaults).
    """
    sizes = (config.get("sizes") or {}).get(model)
    if not isinstance(sizes, dict):
        given = [f"{name} {config[key]}" for key, name in SIZE_NAMES if config.get(key) is not None]
        return "sizes not recorded" + (f" (options given: {', '.join(given)})" if given else "")
    parts = [f"{WIDTH_NAMES.get(model, name) if key == 'features' else name} {sizes[key]}"
             for key, name in SIZE_NAMES if key in sizes]
    shape = sizes.get("input_shape")
    if isinstance(shape, list):
        parts.append(f"x {sizes.get('dtype', '')}[{','.join(map(str, shape))}]")
    elif sizes.get("dtype"):
        parts.append(f"dtype {sizes['dtype']}")
    extras = sizes.get("extra_inputs")
    if isinstance(extras, list) and extras:
        parts.append(f"with {', '.join(map(str, extras))}")
    return ", ".join(parts) or "no sizes"


def setup_line(results: Results) -> str:
    """Device, cores and versions in one line: 'cpu backend (cpu x 1) on Example CPU, 2 cores · Python 3.11.2, jax ...'."""
    env = results.environment

    def value(key: str) -> str:
        text = env.get(key)
        return "n/a" if text in (None, "") else str(text)

    device = f"{value('backend')} backend ({value('device')} x {value('device_count')})"
    machine = f"{value('cpu')}, {value('cpu_count')} cores"
    versions = ", ".join(f"{'Python' if key == 'python' else key} {value(key)}" for key in VERSION_KEYS)
    flags = env.get("xla_flags") or "none"
    repeats = results.config.get("repeats", "n/a")
    return f"{device} on {machine} · {versions} · XLA_FLAGS {flags} · {repeats} cold repeats per point"


def _faster(ratio: float | None, more: str = "faster", less: str = "slower") -> str:
    """'3.4x faster', '1.01x slower', 'the same'; n/a without a ratio.

    Below 1.05x one decimal would read '1.0x faster': two are shown.
    """
    if ratio is None:
        return "n/a"
    if abs(ratio - 1) < 0.005:
        return "the same"
    factor, word = (ratio, more) if ratio > 1 else (1 / ratio, less)
    return f"{factor:.2f}x {word}" if factor < 1.05 else f"{factor:.1f}x {word}"


def _versus(pair: Pair, fmt) -> str:
    return f"{fmt(pair.scanned)} vs {fmt(pair.unrolled)}"


def _spread(h: Headline, name: str) -> str:
    """'scan across L: 210.0 ms (L=96) to 411.0 ms (L=8)': the scanned figure's lowest and highest, and where."""
    span = h.spread.get(name)
    if span is None:
        return ""
    if span.low == span.high:
        return f"{h.scanned} {fmt_seconds(span.low)} at every L"
    return (f"{h.scanned} across L: {fmt_seconds(span.low)} (L={span.low_layers}) to {fmt_seconds(span.high)} "
            f"(L={span.high_layers})")


@dataclass(frozen=True)
class HeadlineCell:
    """One figure of the headline: the ratio in words, the two values, and the scanned figure's spread."""

    ratio: str
    values: str
    spread: str = ""


@dataclass(frozen=True)
class HeadlineRow:
    """A model's (and step's) headline as table cells; ``na`` says why there are no figures."""

    model: str
    step: str
    sizes: str
    layers: int | None
    scanned: str | None
    unrolled: str | None
    end_to_end: HeadlineCell
    compile: HeadlineCell
    runtime: HeadlineCell
    temp: HeadlineCell
    orders: str
    na: str | None


def _orders(model: ModelAnalysis, h: Headline) -> str:
    """'compile time O(1) vs O(L), HLO size O(1) vs O(L)' for the headline's pair."""
    facts = []
    for metric, name in (("compile_s", "compile time"), ("hlo.pre.instructions", "HLO size")):
        scan, unroll = model.fit(h.scanned, metric), model.fit(h.unrolled, metric)
        if scan is not None and unroll is not None:
            facts.append(f"{name} {scan.order} vs {unroll.order}")
    return ", ".join(facts)


def headline_rows(analysis: RunAnalysis) -> list[HeadlineRow]:
    """One row per model and step, in the run's order."""
    rows = []
    config = analysis.results.config
    for model in analysis.models:
        for h in model.headlines:
            rows.append(HeadlineRow(
                model=h.model, step=h.step, sizes=sizes_text(h.model, config), layers=h.layers,
                scanned=h.scanned, unrolled=h.unrolled,
                end_to_end=HeadlineCell(_faster(h.end_to_end_ratio), _versus(h.end_to_end_s, fmt_seconds),
                                        _spread(h, "end_to_end_s")),
                compile=HeadlineCell(_faster(h.compile_ratio), _versus(h.compile_s, fmt_seconds), _spread(h, "compile_s")),
                runtime=HeadlineCell(_faster(h.runtime_ratio), _versus(h.runtime_s, fmt_seconds)),
                temp=HeadlineCell(_faster(h.temp_bytes_ratio, "less", "more"), _versus(h.temp_bytes, fmt_bytes)),
                orders=_orders(model, h) if h.scanned and h.unrolled else "",
                na=h.na,
            ))
    return rows


def headline_sentence(row: HeadlineRow) -> str:
    """The headline in one sentence, every figure labelled."""
    step = f" ({row.step} step)" if row.step != "forward" else ""
    if row.na is not None:
        return f"{row.model}{step} ({row.sizes}): {row.na}."
    text = (f"{row.model}{step} ({row.sizes}), L = {row.layers}, {row.scanned} vs {row.unrolled}: "
            f"end to end (trace + lower + compile) {row.end_to_end.ratio} ({row.end_to_end.values}); "
            f"backend compile alone {row.compile.ratio} ({row.compile.values})")
    if row.compile.spread:
        text += f"; {row.compile.spread}"
    text += f". Runtime {row.runtime.ratio} ({row.runtime.values}), temporary memory {row.temp.ratio} ({row.temp.values})"
    if row.orders:
        text += f"; {row.orders}"
    return text + "."


def end_to_end_chart(model: ModelAnalysis, step: str = "forward") -> Chart | None:
    """Trace + lower + compile of every variant of one model and step against L, with min-max bars."""
    series = []
    for variant in model.variants:
        data = []
        for p in model.points:
            if p.variant != variant or step_of(p) != step:
                continue
            value = end_to_end_s(p)
            if value is None or value <= 0:
                continue
            low, high = end_to_end_range(p) or (None, None)
            label = f"{variant}, L={p.layers}: {fmt_seconds(value)} end to end (trace + lower + compile medians)"
            if low is not None:
                label += f"; repeats {fmt_seconds(low)} to {fmt_seconds(high)}"
            data.append(Datum(p.layers, value, label, low, high))
        if data:
            top = max(data, key=lambda d: d.x)
            series.append(SeriesData(variant, tuple(data), f"{variant}: {fmt_seconds(top.y)} at L={int(top.x)}"))
    title = f"{model.name}{'' if step == 'forward' else f' ({step})'}: compile end to end"
    return loglog_chart(title, "s", series, height=SUMMARY_CHART_HEIGHT)


def summary_charts(analysis: RunAnalysis) -> list[Chart]:
    """One end-to-end compile chart per model and step, for the top of the page."""
    charts = []
    for model in analysis.models:
        for h in model.headlines:
            chart = end_to_end_chart(model, h.step)
            if chart is not None:
                charts.append(chart)
    return charts


def install_line(results: Results) -> str:
    """The commands that install what the run used, from a checkout of hloscope's source."""
    env = results.environment
    pins = " ".join(shlex.quote(f"{name}=={env[name]}") for name in ("jax", "jaxlib", "flax") if env.get(name))
    line = "make install && . .venv/bin/activate"
    if pins:
        line += f" && python -m pip install {pins}"
    return line


def reproduce_lines(results: Results) -> tuple[str, str, str]:
    """(what the install line needs, the install line, the command) to repeat the run.

    The command names no ``--out`` (each run gets a new folder under
    reports/); runs made before that named theirs, and reproducing them
    needs a new one.
    """
    version = results.environment.get("hloscope") or "n/a"
    where = f"In a checkout of hloscope {version} (this run's version), with the versions this run used:"
    command = results.command
    try:
        words = shlex.split(command)
    except ValueError:  # not a command line hloscope wrote: show it as stored
        words = []
    if "--out" in words[:-1]:
        at = words.index("--out")
        command = shlex.join(words[:at] + words[at + 2:])
    return where, install_line(results), command
