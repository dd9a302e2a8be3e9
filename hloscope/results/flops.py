"""hloscope's FLOPs beside XLA's, and scanned vs unrolled dot FLOPs (no jax, nothing measured).

XLA's ``cost_analysis()`` counts a while body once whatever its trip count;
hloscope counts FLOPs from the HLO weighted by trip counts
(hloscope.hlo.flops). Where they part, the report says so. XLA's
``bytes accessed`` has the same limit; no execution of the forward reads
less than its arguments, so a figure below them is flagged.
"""

from __future__ import annotations

from typing import Iterable

from hloscope.results import Point
from hloscope.steps import FORWARD
from hloscope.variants import is_scan_family

# How far apart (relative) XLA's FLOPs and hloscope's may be before a point is flagged.
FLOPS_RELATIVE_TOLERANCE = 0.10


def _hlo_flops(p: Point, key: str) -> float | None:
    for text in ("opt", "pre"):
        flops = p.hlo.get(text, {}).get("flops")
        if isinstance(flops, dict) and isinstance(flops.get(key), (int, float)):
            return float(flops[key])
    return None


def flops_check(points: Iterable[Point], unrolled_variant: str | None, tolerance: float = FLOPS_RELATIVE_TOLERANCE) -> dict:
    """hloscope's FLOPs beside XLA's, and dot FLOPs of every variant against ``unrolled_variant``'s.

    ``points`` are one model's (its analysis passes its comparison pair's
    unrolled variant). ``rows``: per point, ``hloscope_flops`` (post-optimization HLO, weighted by
    loop trip counts), ``xla_flops`` (``cost.flops``) and ``agrees`` (within
    ``tolerance`` of hloscope's figure; None when either is missing),
    ``xla_bytes_accessed`` (``cost.bytes_accessed``), ``argument_bytes``
    (``memory.argument_bytes``) and ``bytes_below_arguments`` (XLA's bytes
    accessed is less than the arguments one call reads; None when either is
    missing).
    ``scan_vs_unroll``: per (model, L) and other variant, dot + convolution
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
        accessed, arguments = p.value("cost.bytes_accessed"), p.value("memory.argument_bytes")
        below = None if accessed is None or arguments is None else accessed < arguments
        rows.append({"model": p.model, "step": p.step, "variant": p.variant, "layers": p.layers,
                     "hloscope_flops": ours, "xla_flops": xla, "agrees": agrees,
                     "xla_bytes_accessed": accessed, "argument_bytes": arguments, "bytes_below_arguments": below})
    unrolled = {(p.model, p.layers): p for p in points if p.variant == unrolled_variant}
    pairs = []
    for p in points:
        if p.variant == unrolled_variant or (p.model, p.layers) not in unrolled:
            continue
        other = unrolled[(p.model, p.layers)]
        mine = [_hlo_flops(p, k) for k in ("dot_flops", "conv_flops")]
        theirs = [_hlo_flops(other, k) for k in ("dot_flops", "conv_flops")]
        if None in mine or None in theirs:
            continue
        pairs.append({"model": p.model, "step": p.step, "variant": p.variant, "layers": p.layers,
                      "dot_flops": sum(mine), "unroll_dot_flops": sum(theirs), "equal": sum(mine) == sum(theirs)})
    return {"rows": rows, "scan_vs_unroll": pairs, "tolerance": tolerance}


def flops_disagreements(check: dict) -> list[dict]:
    """``flops_check`` rows that disagree, one group per (model, step, variant).

    Each group gives how many of its compared points disagree and the
    figures at the largest such L. ``while_body_once`` says XLA's figure is
    what counting each while body once would give: it stays flat while
    hloscope's grows with the trip count.
    """
    groups: dict[tuple[str, str, str], list[dict]] = {}
    compared: dict[tuple[str, str, str], int] = {}
    for row in check.get("rows") or []:
        key = (row["model"], row.get("step", FORWARD), row["variant"])
        if row["agrees"] is not None:
            compared[key] = compared.get(key, 0) + 1
        if row["agrees"] is False:
            groups.setdefault(key, []).append(row)
    result = []
    for (model, step, variant), rows in groups.items():
        worst = max(rows, key=lambda r: r["layers"])
        xla_values = {r["xla_flops"] for r in rows}
        result.append({
            "model": model, "step": step, "variant": variant, "layers": worst["layers"],
            "xla_flops": worst["xla_flops"], "hloscope_flops": worst["hloscope_flops"],
            "disagree": len(rows), "compared": compared[(model, step, variant)],
            "while_body_once": is_scan_family(variant)
            and worst["xla_flops"] < worst["hloscope_flops"]
            and (len(rows) == 1 or max(xla_values) <= (1 + FLOPS_RELATIVE_TOLERANCE) * min(xla_values)),
        })
    return result


def bytes_accessed_below_arguments(check: dict) -> list[dict]:
    """``flops_check`` rows whose XLA bytes accessed is below the arguments, one group per (model, step, variant).

    Each group gives how many of its compared points are flagged and the
    figures at the largest such L.
    """
    groups: dict[tuple[str, str, str], list[dict]] = {}
    compared: dict[tuple[str, str, str], int] = {}
    for row in check.get("rows") or []:
        key = (row["model"], row.get("step", FORWARD), row["variant"])
        if row.get("bytes_below_arguments") is not None:
            compared[key] = compared.get(key, 0) + 1
        if row.get("bytes_below_arguments"):
            groups.setdefault(key, []).append(row)
    result = []
    for (model, step, variant), rows in groups.items():
        worst = max(rows, key=lambda r: r["layers"])
        result.append({"model": model, "step": step, "variant": variant, "layers": worst["layers"],
                       "xla_bytes_accessed": worst["xla_bytes_accessed"], "argument_bytes": worst["argument_bytes"],
                       "flagged": len(rows), "compared": compared[(model, step, variant)]})
    return result
