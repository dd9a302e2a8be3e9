"""Report sections on what the HLO computes: what one layer costs, in tables and sentences.

From each model's analysis (hloscope.results.per_layer); nothing is measured.
"""

from __future__ import annotations

from dataclasses import dataclass

from hloscope.results.analysis import ModelAnalysis
from hloscope.results.flops import FLOPS_RELATIVE_TOLERANCE
from hloscope.results.per_layer import BOOKKEEPING_WORDS, per_layer_rows
from hloscope.results.units import fmt_flops


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


PER_LAYER_COLUMNS = ("opcode", "kind", "added per layer (unrolled HLO)", "in the scanned body",
                     "executed per layer, unrolled / scanned", "per layer, unrolled vs scanned")


def _text(value) -> str:
    return "n/a" if value is None else str(value)


def per_layer_view(model: ModelAnalysis) -> PerLayer | None:
    """What one layer adds, from the model's per-layer record; None when it has none."""
    record = model.per_layer
    if not isinstance(record, dict) or not isinstance(record.get("opcodes"), dict):
        return None
    rows = tuple(
        PerLayerRow(r["opcode"], r["kind"], _text(r["per_layer"]), _text(r["scan_body"]),
                    f"{_text(r['executed'][0])} / {_text(r['executed'][1])}" if r["executed"] else "n/a",
                    r["verdict"], r["tone"])
        for r in per_layer_rows(record)
    )
    loops = tuple(while_loop_sentences([r for r in record.get("while_loops") or [] if isinstance(r, dict)]))
    return PerLayer(per_layer_sentence(model.label, record), per_layer_source(record), PER_LAYER_COLUMNS, rows, loops)


def disagreement_title(row: dict) -> str:
    return (f"XLA counts {fmt_flops(row['xla_flops'])} FLOPs, hloscope {fmt_flops(row['hloscope_flops'])} "
            f"(trip-count weighted): more than {FLOPS_RELATIVE_TOLERANCE:.0%} apart")


def per_layer_sentence(model: str, record: dict) -> str:
    """'each layer executes 1 dot, 1 add, ... - the scanned body executes the same arithmetic ...'.

    Judged on the ops executed per layer when the record has them (they see
    through computations a Python loop calls once per layer), else on the
    unrolled fit against the scanned body's op counts.
    """
    rows = per_layer_rows(record)
    executed = any(r["executed"] for r in rows)
    if executed:
        counts = [(r["executed"][0], r["opcode"]) for r in rows if r["kind"] == "arithmetic" and r["executed"][0]]
        text = f"{model}: each layer executes " + ", ".join(f"{n} {op}" for n, op in counts)
    else:
        ops = sorted(record["opcodes"].items(), key=lambda item: (not item[1]["work"], item[0]))
        text = f"{model}: each layer adds " + ", ".join(f"{rec['per_layer']} {op}" for op, rec in ops if rec["per_layer"])
    if record.get("work_matches") is None:
        return text + " (no scanned while body to compare with)"
    arithmetic = [r for r in rows if r["kind"] == "arithmetic"]
    differ = [r for r in rows if r["verdict"] not in ("same", "same + loop counter")]
    if not any(r["tone"] == "bad" for r in arithmetic) and record.get("work_matches"):
        text += " - the scanned body holds the same" if not differ else " - the scanned body holds the same arithmetic"
        if any(r["verdict"] == "same + loop counter" for r in arithmetic):
            text += " (plus its loop counter)"
        if differ:
            words = dict.fromkeys(BOOKKEEPING_WORDS.get(r["opcode"], r["opcode"]) for r in differ)
            kinds = "layout and bookkeeping differ" if any(r["kind"] == "layout" for r in differ) else "bookkeeping differs"
            text += f"; only {kinds}: " + ", ".join(words)
        return text
    bad = [r["opcode"] for r in arithmetic if r["tone"] == "bad"] or list(record.get("differs") or [])
    return text + " - the scanned body's arithmetic differs in " + ", ".join(bad)


def per_layer_source(record: dict) -> str:
    """Where the per-layer figures come from, in one sentence."""
    layers = ", ".join(str(L) for L in record.get("layers") or []) or "n/a"
    fitted = record.get("fitted_from")
    if fitted in (None, "unroll hlo.pre.op_counts"):
        source = "the unrolled pre-optimization op counts"
    elif isinstance(fitted, str) and fitted.endswith(" hlo.pre.op_counts"):
        source = f"the {fitted.split()[0]} points' pre-optimization op counts"
    else:
        source = str(fitted)
    text = f"Fitted from {source} at L = {layers}"
    body = record.get("scan_body_from")
    if isinstance(body, dict):
        text += f"; the scanned body is the {body.get('variant', 'scan')} point's at L = {body.get('layers', 'n/a')}"
    else:
        text += "; no scanned while body was recorded"
    if any(isinstance(r, dict) and "executed_per_layer" in r for r in (record.get("opcodes") or {}).values()):
        text += ". Executed per layer: slopes of the trip-count-weighted counts, unrolled and scanned"
    return text + "."




def while_loop_sentences(rows: list[dict]) -> list[str]:
    """Per scanned variant: at which L XLA kept its while loop after optimization."""
    sentences = []
    for variant in dict.fromkeys(r.get("variant") for r in rows if isinstance(r, dict)):
        mine = [r for r in rows if isinstance(r, dict) and r.get("variant") == variant]
        kept = [str(r.get("layers")) for r in mine if r.get("kept")]
        gone = [f"{r.get('layers')} ({r.get('pre')} before, {r.get('opt')} after)" for r in mine if not r.get("kept")]
        parts = []
        if kept:
            parts.append(f"kept its while loop after optimization at L = {', '.join(kept)}")
        if gone:
            parts.append(f"removed or unrolled {'it' if kept else 'the while loop'} at L = {', '.join(gone)}")
        sentences.append(f"{variant}: XLA " + "; ".join(parts) + ".")
    return sentences
