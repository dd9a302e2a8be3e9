"""What one layer costs, derived from a sweep's points (no jax, nothing measured).

- ``model_per_layer``: fit each opcode's count in the unrolled
  pre-optimization HLO as a + b*L; b is what each extra layer adds. Compare
  b with the op counts of the scanned while body, which holds one layer.
  ``work_matches`` says whether the layer's arithmetic is the same: the ops
  executed per layer (slopes of the trip-count-weighted counts), unrolled and
  scanned, allowing the scan one extra add per iteration (its loop counter).
- ``while_loops_kept``: did XLA keep the scan's while loop after
  optimization, or unroll it (pre vs post while-loop count)?
- ``per_layer_rows``: each opcode's kind and verdict, unrolled vs scanned.

hloscope.results.analysis computes the record once per command, for the
model's comparison pair.
"""

from __future__ import annotations

from typing import Iterable

from hloscope.results import Point
from hloscope.results.stats import least_squares
from hloscope.variants import is_scan_family

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


def _scan_body(points: list[Point], scanned: str) -> tuple[dict[str, int] | None, int | None]:
    """The scanned while body's op counts, from the largest L that has them."""
    for p in sorted((p for p in points if p.ok and p.variant == scanned), key=lambda p: -p.layers):
        body = p.hlo.get("pre", {}).get("while_body_op_counts")
        if isinstance(body, dict) and body:
            return body, p.layers
    return None, None


def model_per_layer(points: list[Point], scanned: str | None, unrolled: str | None) -> dict | None:
    """The per-layer record of one model's points; None without two points of ``unrolled``.

    ``scanned`` and ``unrolled`` are the model's comparison pair
    (``hloscope.variants.comparison_pair``): the unrolled variant's
    op counts are fitted, the scanned one's while body is compared with them.
    """
    counts = _counts(points, unrolled) if unrolled else {}
    if len(counts) < 2:
        return None
    layers = sorted(counts)
    body, body_layers = _scan_body(points, scanned) if scanned else (None, None)
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
    executed = _executed_per_layer(points, unrolled, scanned) if scanned else {}
    for op, (unrolled_count, scanned_count) in executed.items():
        if op in opcodes:
            opcodes[op]["executed_per_layer"] = unrolled_count
            opcodes[op]["scan_executed_per_layer"] = scanned_count
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
        "fitted_from": f"{unrolled} hlo.pre.op_counts",
        "scan_body_from": None if body is None else {"variant": scanned, "layers": body_layers},
        "opcodes": opcodes,
        # The layer's arithmetic: same ops per layer unrolled as in the scanned body.
        "work_matches": work_matches,
        "differs": sorted(op for op, rec in opcodes.items() if rec["matches"] is False),
        "while_loops": while_loops_kept(points),
    }


def _executed_per_layer(points: list[Point], unrolled_variant: str, scanned_variant: str) -> dict[str, tuple]:
    """Per opcode: ops executed per layer, unrolled and scanned (slopes of weighted counts)."""
    unrolled = _counts(points, unrolled_variant, "weighted_op_counts")
    scanned = _counts(points, scanned_variant, "weighted_op_counts")
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
