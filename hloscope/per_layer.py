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

from hloscope.results import Point

# Ops that are a layer's arithmetic; the rest (parameters, tuples, slices of
# the stacked weights, calls, loop counters) are bookkeeping that differs
# between a Python loop and a while loop by construction.
WORK_OPCODES = frozenset(
    {
        "dot", "convolution", "multiply", "divide", "subtract", "exponential", "log", "tanh",
        "logistic", "sqrt", "rsqrt", "power", "maximum", "minimum", "negate", "abs", "erf",
        "reduce", "select", "sine", "cosine", "exponential-minus-one", "log-plus-one", "cbrt",
    }
)
# How far from the 10% mark XLA's flops may stray from hloscope's before it is flagged.
FLOPS_RELATIVE_TOLERANCE = 0.10
SCANNED_VARIANTS_PREFIX = "scan"


def _fit_line(xs: list[float], ys: list[float]) -> tuple[float, float, bool]:
    """Least-squares a + b*x; whether it passes through every point."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    b = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sxx
    a = mean_y - b * mean_x
    exact = all(abs(a + b * x - y) < 1e-6 for x, y in zip(xs, ys))
    return a, b, exact


def _number(value: float) -> float | int:
    rounded = round(value)
    return int(rounded) if abs(value - rounded) < 1e-6 else round(value, 3)


def _counts(points: list[Point], variant: str, key: str = "op_counts") -> dict[int, dict[str, int]]:
    counts = {}
    for p in points:
        op_counts = p.hlo.get("pre", {}).get(key) if p.ok and p.variant == variant else None
        if isinstance(op_counts, dict):
            counts[p.layers] = op_counts
    # L=1 slices nothing out of a one-layer stack (a reshape does), so
    # fit from L >= 2 when there are two such points.
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
    """The per-layer record of one model's points; None without two unrolled points."""
    counts = _counts(points, "unroll")
    if len(counts) < 2:
        return None
    layers = sorted(counts)
    body, body_layers = _scan_body(points)
    opcodes = {}
    for op in sorted({op for c in counts.values() for op in c} | set(body or {})):
        a, b, exact = _fit_line([float(L) for L in layers], [float(counts[L].get(op, 0)) for L in layers])
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
    executed = _executed_per_layer(points)
    for op, (unrolled, scanned) in executed.items():
        if op in opcodes:
            opcodes[op]["executed_per_layer"] = unrolled
            opcodes[op]["scan_executed_per_layer"] = scanned
    work = {op: rec for op, rec in opcodes.items() if rec["work"]}
    if executed:
        # Executed counts see through called computations that a Python loop
        # shares between layers (jax.nn.relu is one computation called L times).
        work_matches = all(
            _same_work(op, *executed[op]) for op in executed if op in WORK_OPCODES or op == "add"
        )
    else:
        work_matches = None if body is None else all(rec["matches"] for rec in work.values())
    return {
        "layers": layers,
        "fitted_from": "unroll hlo.pre.op_counts",
        "scan_body_from": None if body is None else {"variant": "scan", "layers": body_layers},
        "opcodes": opcodes,
        # The layer's arithmetic: same ops per layer unrolled as in the scanned body.
        "work_matches": work_matches,
        "differs": sorted(op for op, rec in opcodes.items() if rec["matches"] is False),
        "while_loops": while_loops_kept(points),
    }


def _executed_per_layer(points: list[Point]) -> dict[str, tuple]:
    """Per opcode: ops executed per layer, unrolled and scanned (slopes of weighted counts)."""
    unrolled = _counts(points, "unroll", "weighted_op_counts")
    scanned = _counts(points, "scan", "weighted_op_counts")
    if len(unrolled) < 2 or len(scanned) < 2:
        return {}
    result = {}
    for op in sorted({op for c in [*unrolled.values(), *scanned.values()] for op in c}):
        slopes = []
        for counts in (unrolled, scanned):
            layers = sorted(counts)
            _, b, _ = _fit_line([float(L) for L in layers], [float(counts[L].get(op, 0)) for L in layers])
            slopes.append(_number(b))
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
        if not (p.ok and p.variant.startswith(SCANNED_VARIANTS_PREFIX)):
            continue
        pre = p.hlo.get("pre", {}).get("while_loops")
        opt = p.hlo.get("opt", {}).get("while_loops")
        if not isinstance(pre, int) or not isinstance(opt, int):
            continue
        rows.append({"variant": p.variant, "layers": p.layers, "pre": pre, "opt": opt, "kept": opt >= pre})
    return sorted(rows, key=lambda r: (r["variant"], r["layers"]))


def per_layer_sentence(model: str, record: dict) -> str:
    """'each layer adds 2 dot, 3 add, ... - the scanned body holds the same'."""
    ops = sorted(record["opcodes"].items(), key=lambda item: (not item[1]["work"], item[0]))
    added = ", ".join(f"{rec['per_layer']} {op}" for op, rec in ops if rec["per_layer"])
    text = f"{model}: each layer adds {added}"
    if record["work_matches"] is None:
        return text + " (no scanned while body to compare with)"
    if record["work_matches"] and not record["differs"]:
        return text + " - the scanned body holds the same"
    if record["work_matches"]:
        return text + " - the scanned body holds the same arithmetic; bookkeeping differs in " + ", ".join(record["differs"])
    return text + " - the scanned body differs in " + ", ".join(record["differs"])


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
    unrolled = {(p.model, p.layers): p for p in points if p.variant == "unroll"}
    pairs = []
    for p in points:
        if p.variant == "unroll" or (p.model, p.layers) not in unrolled:
            continue
        other = unrolled[(p.model, p.layers)]
        mine = [_hlo_flops(p, k) for k in ("dot_flops", "conv_flops")]
        theirs = [_hlo_flops(other, k) for k in ("dot_flops", "conv_flops")]
        if None in mine or None in theirs:
            continue
        pairs.append({"model": p.model, "variant": p.variant, "layers": p.layers,
                      "dot_flops": sum(mine), "unroll_dot_flops": sum(theirs), "equal": sum(mine) == sum(theirs)})
    return {"rows": rows, "scan_vs_unroll": pairs, "tolerance": tolerance}
