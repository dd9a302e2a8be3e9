"""What one layer costs, derived from a sweep's points (no jax, nothing measured).

- ``per_layer_costs``: fit each opcode's count in the unrolled
  pre-optimization HLO as a + b*L; b is what each extra layer adds. Compare
  b with the op counts of the scanned while body, which holds one layer.
  ``work_matches`` says whether the layer's arithmetic is the same: the ops
  executed per layer (slopes of the trip-count-weighted counts), unrolled and
  scanned, allowing the scan one extra add per iteration (its loop counter).
- ``while_loops_kept``: did XLA keep the scan's while loop after
  optimization, or unroll it (pre vs post while-loop count)?
- ``flops_check``: hloscope's own FLOP count beside XLA's ``cost_analysis()``
  figure, and scanned vs unrolled dot FLOPs, which must agree exactly.
"""

from __future__ import annotations

from typing import Iterable

from hloscope.results.variants import baseline_variant, is_scan_family
from hloscope.results.stats import least_squares
from hloscope.results import Point

# Ops that are a layer's arithmetic; the rest (parameters, tuples, slices of
# the stacked weights, calls, loop counters) are bookkeeping that differs
# between a Python loop over separate modules (or slices) and a while loop by
# construction.
WORK_OPCODES = frozenset(
    {
        "dot", "convolution", "multiply", "divide", "subtract", "exponential", "log", "tanh",
        "logistic", "sqrt", "rsqrt", "power", "maximum", "minimum", "negate", "abs", "erf",
        "reduce", "select", "sine", "cosine", "exponential-minus-one", "log-plus-one", "cbrt",
    }
)
# How far apart (relative) XLA's FLOPs and hloscope's may be before a point is flagged.
FLOPS_RELATIVE_TOLERANCE = 0.10


def _fit_op(counts: dict[int, dict[str, int]], op: str) -> tuple[float, float, bool]:
    """Least-squares a + b*L of ``op``'s count; whether it passes through every point."""
    xs = [float(L) for L in sorted(counts)]
    ys = [float(counts[L].get(op, 0)) for L in sorted(counts)]
    line = least_squares(xs, ys)
    exact = all(abs(line.intercept + line.slope * x - y) < 1e-6 for x, y in zip(xs, ys))
    return line.intercept, line.slope, exact


def _number(value: float) -> float | int:
    rounded = round(value)
    return int(rounded) if abs(value - rounded) < 1e-6 else round(value, 3)


def _counts(points: list[Point], variant: str, key: str = "op_counts") -> dict[int, dict[str, int]]:
    counts = {}
    for p in points:
        op_counts = p.hlo.get("pre", {}).get(key) if p.ok and p.variant == variant else None
        if isinstance(op_counts, dict):
            counts[p.layers] = op_counts
    # L=1 is special for every construction (a one-layer stack is reshaped,
    # not sliced; XLA removes a one-trip loop), so fit from L >= 2 when there
    # are two such points.
    if len([L for L in counts if L >= 2]) >= 2:
        counts = {L: c for L, c in counts.items() if L >= 2}
    return counts


def _scan_body(points: list[Point]) -> tuple[dict[str, int] | None, int | None]:
    """The scanned while body's op counts, from the largest L that has them."""
    for p in sorted((p for p in points if p.ok and p.variant == "scan"), key=lambda p: -p.layers):
        body = p.hlo.get("pre", {}).get("while_body_op_counts")
        if isinstance(body, dict) and body:
            return body, p.layers
    return None, None


def model_per_layer(points: list[Point]) -> dict | None:
    """The per-layer record of one model's points; None without two unrolled points.

    Fitted from the model's baseline unrolled variant (``unroll``, else ``unroll-sliced``).
    """
    baseline = baseline_variant(dict.fromkeys(p.variant for p in points if p.ok))
    counts = _counts(points, baseline) if baseline else {}
    if len(counts) < 2:
        return None
    layers = sorted(counts)
    body, body_layers = _scan_body(points)
    opcodes = {}
    for op in sorted({op for c in counts.values() for op in c} | set(body or {})):
        a, b, exact = _fit_op(counts, op)
        in_body = None if body is None else int(body.get(op, 0))
        if abs(b) < 1e-9 and not in_body:
            continue
        per_layer = _number(b)
        opcodes[op] = {
            "per_layer": per_layer,
            "intercept": _number(a),
            "exact": exact,
            "scan_body": in_body,
            "matches": None if in_body is None else (exact and per_layer == in_body),
            "work": op in WORK_OPCODES,
        }
    executed = _executed_per_layer(points, baseline)
    for op, (unrolled, scanned) in executed.items():
        if op in opcodes:
            opcodes[op]["executed_per_layer"] = unrolled
            opcodes[op]["scan_executed_per_layer"] = scanned
    work = {op: rec for op, rec in opcodes.items() if rec["work"]}
    if executed:
        # Executed counts see through called computations that a Python loop
        # shares between layers (jax.nn.relu is one computation called L times).
        work_matches = all(
            _same_work(op, *executed[op]) for op in executed if opcode_kind(op) == "arithmetic"
        )
    else:
        work_matches = None if body is None else all(rec["matches"] for rec in work.values())
    return {
        "layers": layers,
        "fitted_from": f"{baseline} hlo.pre.op_counts",
        "scan_body_from": None if body is None else {"variant": "scan", "layers": body_layers},
        "opcodes": opcodes,
        # The layer's arithmetic: same ops per layer unrolled as in the scanned body.
        "work_matches": work_matches,
        "differs": sorted(op for op, rec in opcodes.items() if rec["matches"] is False),
        "while_loops": while_loops_kept(points),
    }


def _executed_per_layer(points: list[Point], variant: str) -> dict[str, tuple]:
    """Per opcode: ops executed per layer, unrolled (``variant``) and scanned (slopes of weighted counts)."""
    unrolled = _counts(points, variant, "weighted_op_counts")
    scanned = _counts(points, "scan", "weighted_op_counts")
    if len(unrolled) < 2 or len(scanned) < 2:
        return {}
    result = {}
    for op in sorted({op for c in [*unrolled.values(), *scanned.values()] for op in c}):
        slopes = [_number(_fit_op(counts, op)[1]) for counts in (unrolled, scanned)]
        if any(slopes):
            result[op] = tuple(slopes)
    return result


def _same_work(op: str, unrolled: float, scanned: float) -> bool:
    # The scan's loop counter is one add per iteration that a Python loop has not.
    return scanned == unrolled or (op == "add" and scanned == unrolled + 1)


def per_layer_costs(points: Iterable[Point]) -> dict[str, dict]:
    """``per_layer`` for results.json: model -> what each layer adds, vs the scanned body."""
    points = list(points)
    result = {}
    for model in dict.fromkeys(p.model for p in points):
        record = model_per_layer([p for p in points if p.model == model])
        if record is not None:
            result[model] = record
    return result


def while_loops_kept(points: Iterable[Point]) -> list[dict]:
    """For each scanned point: while loops before and after optimization, and whether XLA kept them."""
    rows = []
    for p in points:
        if not (p.ok and is_scan_family(p.variant)):
            continue
        pre = p.hlo.get("pre", {}).get("while_loops")
        opt = p.hlo.get("opt", {}).get("while_loops")
        if not isinstance(pre, int) or not isinstance(opt, int):
            continue
        rows.append({"variant": p.variant, "layers": p.layers, "pre": pre, "opt": opt, "kept": opt >= pre})
    return sorted(rows, key=lambda r: (r["variant"], r["layers"]))


# How the report labels the ops that are not a layer's arithmetic. Layout ops
# move or reshape data; bookkeeping is what a loop or a Python call needs
# (slicing the stacked weights, tuples, parameters, calls, the loop counter).
LAYOUT_OPCODES = frozenset(
    {"reshape", "broadcast", "transpose", "bitcast", "copy", "convert", "concatenate", "pad", "iota",
     "reverse", "gather", "bitcast-convert"}
)
BOOKKEEPING_WORDS = {
    "slice": "slicing", "dynamic-slice": "slicing", "dynamic-update-slice": "slicing", "tuple": "tuples",
    "get-tuple-element": "tuples", "parameter": "parameters", "constant": "constants", "call": "calls",
    "while": "the loop", "compare": "the loop counter", "add": "the loop counter",
    "reshape": "reshapes", "broadcast": "broadcasts", "transpose": "transposes", "copy": "copies",
}


def opcode_kind(op: str) -> str:
    """'arithmetic' (what work_matches compares), 'layout' or 'bookkeeping'."""
    if op in WORK_OPCODES or op == "add":
        return "arithmetic"
    return "layout" if op in LAYOUT_OPCODES else "bookkeeping"


def opcode_verdict(op: str, rec: dict) -> tuple[str, str]:
    """(verdict, tone) of one opcode: executed per layer, unrolled vs scanned.

    tone is 'good', 'bad' (the layer's arithmetic differs) or 'muted' (layout
    or bookkeeping, which differ between a Python loop and a while loop by
    construction).
    """
    if "executed_per_layer" in rec:
        unrolled, scanned = rec.get("executed_per_layer"), rec.get("scan_executed_per_layer")
    else:
        unrolled, scanned = rec.get("per_layer"), rec.get("scan_body")
    if unrolled is None or scanned is None:
        return "n/a: no scanned while body", "muted"
    if unrolled == scanned:
        return "same", "good"
    kind = opcode_kind(op)
    if kind == "arithmetic":
        # Not equal, so the same work means the scan's loop counter.
        return ("same + loop counter", "good") if _same_work(op, unrolled, scanned) else ("differs", "bad")
    return f"differs: {kind}", "muted"


def per_layer_rows(record: dict) -> list[dict]:
    """One row per opcode, arithmetic first: kind, counts and verdict."""
    kinds = ("arithmetic", "layout", "bookkeeping")
    rows = []
    for op, rec in (record.get("opcodes") or {}).items():
        if not isinstance(rec, dict):
            continue
        verdict, tone = opcode_verdict(op, rec)
        rows.append({
            "opcode": op, "kind": opcode_kind(op), "per_layer": rec.get("per_layer"), "scan_body": rec.get("scan_body"),
            "executed": (rec.get("executed_per_layer"), rec.get("scan_executed_per_layer"))
            if "executed_per_layer" in rec else None,
            "verdict": verdict, "tone": tone,
        })
    return sorted(rows, key=lambda r: (kinds.index(r["kind"]), r["opcode"]))


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


def _hlo_flops(p: Point, key: str) -> float | None:
    for text in ("opt", "pre"):
        flops = p.hlo.get(text, {}).get("flops")
        if isinstance(flops, dict) and isinstance(flops.get(key), (int, float)):
            return float(flops[key])
    return None


def flops_check(points: Iterable[Point], tolerance: float = FLOPS_RELATIVE_TOLERANCE) -> dict:
    """hloscope's FLOPs beside XLA's, and scanned vs unrolled dot FLOPs.

    ``rows``: per point, ``hloscope_flops`` (post-optimization HLO, weighted by
    loop trip counts), ``xla_flops`` (``cost.flops``) and ``agrees`` (within
    ``tolerance`` of hloscope's figure; None when either is missing).
    ``scan_vs_unroll``: per (model, L) and scanned variant, dot + convolution
    FLOPs against the unrolled stack's, which must be equal.
    """
    points = [p for p in points if p.ok]
    rows = []
    for p in points:
        ours = _hlo_flops(p, "total_flops")
        cost = p.extra.get("cost")
        xla = float(cost["flops"]) if isinstance(cost, dict) and isinstance(cost.get("flops"), (int, float)) else None
        agrees = None
        if ours is not None and xla is not None:
            agrees = abs(xla - ours) <= tolerance * max(ours, 1.0)
        rows.append({"model": p.model, "variant": p.variant, "layers": p.layers,
                     "hloscope_flops": ours, "xla_flops": xla, "agrees": agrees})
    baselines = {m: baseline_variant(dict.fromkeys(p.variant for p in points if p.model == m))
                 for m in dict.fromkeys(p.model for p in points)}
    unrolled = {(p.model, p.layers): p for p in points if p.variant == baselines[p.model]}
    pairs = []
    for p in points:
        if p.variant == baselines[p.model] or (p.model, p.layers) not in unrolled:
            continue
        other = unrolled[(p.model, p.layers)]
        mine = [_hlo_flops(p, k) for k in ("dot_flops", "conv_flops")]
        theirs = [_hlo_flops(other, k) for k in ("dot_flops", "conv_flops")]
        if None in mine or None in theirs:
            continue
        pairs.append({"model": p.model, "variant": p.variant, "layers": p.layers,
                      "dot_flops": sum(mine), "unroll_dot_flops": sum(theirs), "equal": sum(mine) == sum(theirs)})
    return {"rows": rows, "scan_vs_unroll": pairs, "tolerance": tolerance}


def flops_disagreements(check: dict) -> list[dict]:
    """``flops_check`` rows that disagree, one group per (model, variant).

    Each group gives how many of its compared points disagree and the
    figures at the largest such L. ``while_body_once`` says XLA's figure is
    what counting each while body once would give: it stays flat while
    hloscope's grows with the trip count.
    """
    groups: dict[tuple[str, str], list[dict]] = {}
    compared: dict[tuple[str, str], int] = {}
    for row in check.get("rows") or []:
        key = (row["model"], row["variant"])
        if row["agrees"] is not None:
            compared[key] = compared.get(key, 0) + 1
        if row["agrees"] is False:
            groups.setdefault(key, []).append(row)
    result = []
    for (model, variant), rows in groups.items():
        worst = max(rows, key=lambda r: r["layers"])
        xla_values = {r["xla_flops"] for r in rows}
        result.append({
            "model": model, "variant": variant, "layers": worst["layers"],
            "xla_flops": worst["xla_flops"], "hloscope_flops": worst["hloscope_flops"],
            "disagree": len(rows), "compared": compared[(model, variant)],
            "while_body_once": is_scan_family(variant)
            and worst["xla_flops"] < worst["hloscope_flops"]
            and (len(rows) == 1 or max(xla_values) <= (1 + FLOPS_RELATIVE_TOLERANCE) * min(xla_values)),
        })
    return result
