"""Report sections on what the HLO computes: what one layer costs, and
hloscope's FLOPs beside XLA's.

Read from the results (or derived from the points when an old file lacks
them); nothing is measured.
"""

from __future__ import annotations

from dataclasses import dataclass

from hloscope.results import per_layer
from hloscope.report.view import fmt_flops
from hloscope.results import Point, Results


@dataclass(frozen=True)
class PerLayerRow:
    opcode: str
    kind: str
    added: str
    in_body: str
    executed: str
    verdict: str
    tone: str


@dataclass(frozen=True)
class PerLayer:
    sentence: str
    source: str
    columns: tuple[str, ...]
    rows: tuple[PerLayerRow, ...]
    loops: tuple[str, ...]
    derived: bool


PER_LAYER_COLUMNS = ("opcode", "kind", "added per layer (unrolled HLO)", "in the scanned body",
                     "executed per layer, unrolled / scanned", "per layer, unrolled vs scanned")


def _text(value) -> str:
    return "n/a" if value is None else str(value)


def per_layer_view(results: Results, model: str) -> PerLayer | None:
    """What one layer adds: stored in the results, or derived from the points."""
    record = (results.extra.get("per_layer") or {}).get(model)
    derived = False
    if record is None:
        record = per_layer.model_per_layer([p for p in results.points if p.model == model])
        derived = True
    if not isinstance(record, dict) or not isinstance(record.get("opcodes"), dict):
        return None
    try:
        sentence = per_layer.per_layer_sentence(model, record)
    except (KeyError, TypeError):
        sentence = ""
    rows = tuple(
        PerLayerRow(r["opcode"], r["kind"], _text(r["per_layer"]), _text(r["scan_body"]),
                    f"{_text(r['executed'][0])} / {_text(r['executed'][1])}" if r["executed"] else "n/a",
                    r["verdict"], r["tone"])
        for r in per_layer.per_layer_rows(record)
    )
    loops = tuple(per_layer.while_loop_sentences([r for r in record.get("while_loops") or [] if isinstance(r, dict)]))
    return PerLayer(sentence, per_layer.per_layer_source(record), PER_LAYER_COLUMNS, rows, loops, derived)


def flops_by_point(points: list[Point]) -> dict[tuple[str, str, int], dict]:
    """flops_check's row of each point, by (model, variant, layers)."""
    return {(r["model"], r["variant"], r["layers"]): r for r in per_layer.flops_check(points)["rows"]}


def disagreement_title(row: dict) -> str:
    return (f"XLA counts {fmt_flops(row['xla_flops'])} FLOPs, hloscope {fmt_flops(row['hloscope_flops'])} "
            f"(trip-count weighted): more than {per_layer.FLOPS_RELATIVE_TOLERANCE:.0%} apart")


def flops_warnings(points: list[Point]) -> list[str]:
    """One sentence per (model, variant) whose XLA FLOPs disagree with hloscope's."""
    texts = []
    for g in per_layer.flops_disagreements(per_layer.flops_check(points)):
        text = (f"{g['model']} {g['variant']}: XLA's cost analysis counts {fmt_flops(g['xla_flops'])} FLOPs at "
                f"L={g['layers']} where the HLO executes {fmt_flops(g['hloscope_flops'])} (trip-count weighted)")
        if g["while_body_once"]:
            text += ": it counts the while body once"
        else:
            text += f": more than {per_layer.FLOPS_RELATIVE_TOLERANCE:.0%} apart (hloscope's formula: hloscope/hlo/flops.py)"
        if g["compared"] > 1:
            text += f"; {g['disagree']} of {g['compared']} points disagree"
        texts.append(text)
    return texts
