"""Report sections beyond the charts: op histogram, loop tree, memory, cost and
runtime, per-layer costs, predictions, warnings and provenance.

Each reads what the points hold and says n/a with a reason for what they lack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hloscope.hlo.repeats import RepeatedBlock
from hloscope.report.costs import disagreement_title
from hloscope.results import Point, Results
from hloscope.results.analysis import ModelAnalysis, RunAnalysis
from hloscope.steps import series_name
from hloscope.results.units import fmt_bytes, fmt_count, fmt_flops, fmt_seconds, fmt_value
from hloscope.variants import is_scan_family

NOT_RECORDED = "not recorded in this results file"
# The longest histogram bar leaves room in its cell for the count beside it.
BAR_MAX_PERCENT = 70


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, hover title, and whether it is n/a, flagged, or a figure of zero."""

    text: str
    title: str = ""
    na: bool = False
    flag: bool = False
    zero: bool = False


def na_cell(reason: str) -> Cell:
    return Cell("n/a", reason, na=True)


@dataclass(frozen=True)
class OpRow:
    opcode: str
    counts: tuple[Cell, ...]
    widths: tuple[float, ...]


@dataclass(frozen=True)
class OpHistogram:
    layers: int
    stage: str
    columns: tuple[str, ...]
    rows: tuple[OpRow, ...]
    hidden: int


def _largest_pair(model: ModelAnalysis) -> tuple[int, Point, Point | None] | None:
    """The largest L where the model's scanned and unrolled variants both compiled (else the largest scanned)."""
    ok = [p for p in model.points if p.ok]
    scanned = {p.layers: p for p in ok if p.variant == model.scanned}
    unrolled = {p.layers: p for p in ok if p.variant == model.unrolled}
    both = sorted(set(scanned) & set(unrolled))
    if both:
        return both[-1], scanned[both[-1]], unrolled[both[-1]]
    if scanned:
        top = max(scanned)
        return top, scanned[top], None
    return None


def op_histogram(model: ModelAnalysis, stage: str = "pre", top: int = 14) -> OpHistogram | None:
    """Opcode counts of scanned vs unrolled at the largest L both compiled.

    The other unrolled variants of that L (``unroll-sliced`` beside
    ``unroll``) get a column each.
    """
    pair = _largest_pair(model)
    if pair is None:
        return None
    layers, scanned, unrolled = pair
    points = model.points
    columns: list[tuple[str, dict]] = [(scanned.variant, scanned.hlo.get(stage, {}).get("op_counts") or {})]
    weighted = scanned.hlo.get(stage, {}).get("weighted_op_counts")
    if isinstance(weighted, dict) and weighted:
        columns.append((f"{scanned.variant} × trip counts", weighted))
    if unrolled is not None:
        columns.append((unrolled.variant, unrolled.hlo.get(stage, {}).get("op_counts") or {}))
        for p in points:
            if p.ok and p.layers == layers and not is_scan_family(p.variant) and p.variant != unrolled.variant:
                columns.append((p.variant, p.hlo.get(stage, {}).get("op_counts") or {}))
    opcodes = sorted({op for _, counts in columns for op in counts}, key=lambda op: (-max(c.get(op, 0) for _, c in columns), op))
    peak = max([c.get(op, 0) for op in opcodes for _, c in columns] or [1]) or 1
    rows = []
    for op in opcodes[:top]:
        values = [c.get(op, 0) for _, c in columns]
        rows.append(OpRow(op, tuple(Cell(fmt_count(v)) for v in values), tuple(round(BAR_MAX_PERCENT * v / peak, 1) for v in values)))
    return OpHistogram(layers, stage, tuple(name for name, _ in columns), tuple(rows), max(0, len(opcodes) - top))


def repeated_layers(model: ModelAnalysis) -> list[str] | None:
    """What each variant's HLO itself holds at its largest L, before optimization.

    "unroll, L = 96: 96 copies of a 128-instruction block in main.577, one per
    layer"; a scanned variant holds no repeated layers, its block sits in a
    while loop. Read from the repeated blocks in each point's HLO summary;
    None when no point recorded them.
    """
    largest: dict[str, Point] = {}
    for p in model.points:
        pre = p.hlo.get("pre")
        if p.ok and isinstance(pre, dict) and isinstance(pre.get("repeated_blocks"), list):
            if p.variant not in largest or p.layers > largest[p.variant].layers:
                largest[p.variant] = p
    if not largest:
        return None
    sentences = []
    for variant, p in largest.items():
        pre = p.hlo["pre"]
        stacks = [b for b in pre["repeated_blocks"] if isinstance(b, dict) and b.get("layers")]
        if stacks:
            block = RepeatedBlock.from_json(max(stacks, key=lambda b: b["count"] * b["instructions"]))
            per_layer = "one per layer" if block.count == p.layers else f"for {p.layers} layers"
            sentences.append(f"{variant}, L = {p.layers}: {block.copies} in {block.computation}, {per_layer}")
        elif pre.get("while_loops"):
            sentences.append(
                f"{variant}, L = {p.layers}: no repeated layers: the block sits in a while loop, not once per layer"
            )
        else:
            sentences.append(f"{variant}, L = {p.layers}: no repeated layers")
    return sentences


@dataclass(frozen=True)
class LoopRow:
    depth: int
    name: str
    trip_count: str
    detail: str


@dataclass(frozen=True)
class LoopTree:
    variant: str
    layers: int
    stage: str
    while_loops: str
    max_loop_depth: str
    trip_counts: str
    rows: tuple[LoopRow, ...]


def _trip_text(value) -> str:
    return "unknown" if value is None else str(value)


def loop_trees(model: ModelAnalysis) -> list[LoopTree]:
    """The while loops of the scanned module at its largest L, before and after optimization."""
    pair = _largest_pair(model)
    if pair is None:
        return []
    layers, scanned, _ = pair
    trees = []
    for stage in ("pre", "opt"):
        summary = scanned.hlo.get(stage)
        if not isinstance(summary, dict):
            continue
        trips = summary.get("trip_counts")
        if isinstance(trips, dict):
            trip_text = ", ".join(f"{k}: {_trip_text(v)}" for k, v in trips.items()) or "none"
        elif isinstance(trips, list):
            trip_text = ", ".join(_trip_text(v) for v in trips) or "none"
        else:
            trip_text = f"n/a: {NOT_RECORDED}"
        depth = summary.get("max_loop_depth")
        rows = []
        for loop in summary.get("loops") or []:
            if isinstance(loop, dict):
                detail = ", ".join(f"{k} {loop[k]}" for k in ("body", "condition", "computation") if loop.get(k))
                rows.append(LoopRow(int(loop.get("depth") or 1), str(loop.get("instruction") or loop.get("name") or "while"),
                                    _trip_text(loop.get("trip_count")), detail))
        trees.append(LoopTree(
            scanned.variant, layers, stage,
            fmt_count(summary.get("while_loops")),
            f"n/a: {NOT_RECORDED}" if depth is None else str(depth),
            trip_text, tuple(rows),
        ))
    return trees


@dataclass(frozen=True)
class MeasureRow:
    variant: str
    layers: int
    cells: tuple[Cell, ...]

    @property
    def flagged(self) -> bool:
        return any(c.flag for c in self.cells)


@dataclass(frozen=True)
class Measurements:
    """The memory, cost and runtime table; ``reasons`` of its n/a cells, ``dropped``: columns left out, and why."""

    columns: tuple[str, ...]
    rows: tuple[MeasureRow, ...]
    reasons: tuple[str, ...]
    dropped: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return any(r.flagged for r in self.rows)


def _extra_cell(point: Point, key: str, field: str | None, fmt) -> Cell:
    node = point.extra.get(key)
    if node is None:
        return na_cell(f"{key}: {NOT_RECORDED}")
    if isinstance(node, dict) and "na" in node:
        return na_cell(f"{key}: {node['na']}")
    if field is not None:
        node = node.get(field) if isinstance(node, dict) else None
    if isinstance(node, dict) and "median" in node:
        return Cell(fmt(node["median"]), f"median; min {fmt(node['min'])}, max {fmt(node['max'])}",
                    zero=node["median"] == 0)
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return Cell(fmt(node), zero=node == 0)
    return na_cell(f"{key}.{field}: {NOT_RECORDED}" if field else f"{key}: {NOT_RECORDED}")


def _hlo_flops(point: Point, check: dict | None) -> Cell:
    ours = (check or {}).get("hloscope_flops")
    if ours is None:
        return na_cell(f"hloscope FLOPs: {NOT_RECORDED}")
    flops = point.hlo.get("opt", {}).get("flops") or point.hlo.get("pre", {}).get("flops")
    uncounted = (flops or {}).get("uncounted_opcodes") or {}
    if uncounted:
        # The total leaves these out: say so in the cell, not only in its title.
        left_out = ", ".join(f"{opcode} x{count}" for opcode, count in uncounted.items())
        return Cell(f"≥ {fmt_flops(ours)} (not counted: {left_out})", "trip-count weighted; " + json.dumps(flops))
    return Cell(fmt_flops(ours), "trip-count weighted; " + json.dumps(flops))


def _xla_flops(point: Point, check: dict | None) -> Cell:
    cell = _extra_cell(point, "cost", "flops", fmt_flops)
    if check and check.get("agrees") is False:
        return Cell(cell.text + " ≠", disagreement_title(check), flag=True)
    return cell


def _bytes_accessed(point: Point, check: dict | None) -> Cell:
    cell = _extra_cell(point, "cost", "bytes_accessed", fmt_bytes)
    if check and check.get("bytes_below_arguments"):
        return Cell(cell.text + " ≠", f"XLA reports {fmt_bytes(check['xla_bytes_accessed'])} accessed, less than the "
                    f"{fmt_bytes(check['argument_bytes'])} of arguments one call reads: it counts a while body once",
                    flag=True)
    return cell


MEASURE_COLUMNS = (
    ("runtime", lambda p, c: _extra_cell(p, "runtime_s", None, fmt_seconds)),
    ("arguments", lambda p, c: _extra_cell(p, "memory", "argument_bytes", fmt_bytes)),
    ("outputs", lambda p, c: _extra_cell(p, "memory", "output_bytes", fmt_bytes)),
    ("temp", lambda p, c: _extra_cell(p, "memory", "temp_bytes", fmt_bytes)),
    ("code", lambda p, c: _extra_cell(p, "memory", "generated_code_bytes", fmt_bytes)),
    ("peak RSS", lambda p, c: _extra_cell(p, "peak_rss_bytes", None, fmt_bytes)),
    ("FLOPs (XLA)", _xla_flops),
    ("FLOPs (hloscope)", _hlo_flops),
    ("bytes accessed (XLA)", _bytes_accessed),
)


def measurements(model: ModelAnalysis) -> Measurements | None:
    """Memory, cost and runtime per ok point; None when no point measured any."""
    ok = [p for p in model.points if p.ok]
    checks = {(r["model"], r["variant"], r["layers"]): r for r in model.flops["rows"]}
    rows = [MeasureRow(p.variant, p.layers, tuple(fn(p, checks.get((p.model, p.variant, p.layers)))
                                                  for _, fn in MEASURE_COLUMNS)) for p in ok]
    if not rows:
        return None
    measured = [i for i in range(len(MEASURE_COLUMNS)) if any(not r.cells[i].na for r in rows)]
    # A column that is 0 wherever it was measured says nothing: left out, with a line saying so.
    zero = [i for i in measured if all(r.cells[i].na or r.cells[i].zero for r in rows)]
    keep = [i for i in measured if i not in zero]
    dropped = tuple(f"{MEASURE_COLUMNS[i][0]}: 0 at every point that recorded it (column left out)" for i in zero)
    if keep:
        rows = [MeasureRow(r.variant, r.layers, tuple(r.cells[i] for i in keep)) for r in rows]
    # With no column kept, the reasons of every n/a cell say why the table is empty.
    reasons = tuple(sorted({c.title for r in rows for c in r.cells if c.na}))
    return Measurements(tuple(MEASURE_COLUMNS[i][0] for i in keep), tuple(rows) if keep else (), reasons, dropped)


def repeats_text(point: Point) -> str:
    """'2 of 3 repeats' for a point that stopped before the repeats requested; '' otherwise."""
    repeats = point.extra.get("repeats")
    if isinstance(repeats, dict) and isinstance(repeats.get("done"), int) and isinstance(repeats.get("requested"), int):
        if repeats["done"] < repeats["requested"]:
            return f"{repeats['done']} of {repeats['requested']} repeats"
    return ""


def equivalence_cell(point: Point) -> Cell:
    eq = point.extra.get("equivalence")
    if "equivalence" not in point.extra:
        return na_cell(f"equivalence: {NOT_RECORDED}")
    if eq is None:
        return Cell("reference", "the scan variant is what the others are checked against")
    if not isinstance(eq, dict):
        return na_cell("equivalence: unreadable record")
    diff = eq.get("max_abs_diff")
    text = ("ok" if eq.get("ok") else "MISMATCH") + (f" ({diff:.2g})" if isinstance(diff, (int, float)) else "")
    return Cell(text, f"max |diff| against {eq.get('against', 'scan')}, tolerance {eq.get('tolerance', 'n/a')}")


def flatten(record, prefix: str = "") -> list[tuple[str, str]]:
    """(dotted key, text) pairs of a nested JSON value, for records whose shape may change."""
    if isinstance(record, dict):
        rows = []
        for key, value in record.items():
            rows += flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(record, float):
        return [(prefix, f"{record:.4g}")]
    if isinstance(record, list) and all(not isinstance(v, (dict, list)) for v in record):
        return [(prefix, ", ".join(map(str, record)) or "none")]
    return [(prefix, record if isinstance(record, str) else json.dumps(record))]


PROVENANCE_KEYS = ("python", "jax", "jaxlib", "flax", "hloscope", "backend", "device", "device_count",
                   "cpu", "cpu_count", "platform", "xla_flags")


def provenance(results: Results) -> list[tuple[str, str]]:
    """Environment rows, the well-known keys first, every value shown (empty as n/a)."""
    env = results.environment
    keys = [k for k in PROVENANCE_KEYS if k in env] + [k for k in env if k not in PROVENANCE_KEYS]
    rows = []
    for key in keys:
        value = env[key]
        text = "n/a (empty)" if value in (None, "") else value if isinstance(value, str) else json.dumps(value)
        rows.append((key, text))
    return rows


def prediction_rows(analysis: RunAnalysis) -> list[tuple[str, ...]]:
    """The run's predictions, each marked as predicted."""
    rows = []
    for q in analysis.predictions:
        def num(value):
            return "n/a" if value is None else fmt_value(q.metric, value)

        rows.append((q.model, series_name(q.step, q.variant), q.metric, str(q.layers), num(q.value), f"{num(q.low)} – {num(q.high)}"))
    return rows
