"""What a run's reader must not miss: pitfalls, failures, mismatches, FLOPs disagreements, noise, weak fits.

Derived from the points (and the warnings the run recorded) once per
command by hloscope.results.analysis; renderers list them.
"""

from __future__ import annotations

from dataclasses import dataclass

from hloscope.results import Point, Results
from hloscope.results.flops import FLOPS_RELATIVE_TOLERANCE, flops_disagreements
from hloscope.results.growth import Growth
from hloscope.results.metrics import HEADLINE_METRICS
from hloscope.results.units import fmt_flops

# A timing is noisy when its slowest sample is this much slower than its fastest.
NOISY_MAX_OVER_MIN = 1.5
TIMINGS = ("trace_s", "lower_s", "compile_s", "runtime_s")


@dataclass(frozen=True)
class RunWarning:
    """One warning: ``kind`` (pitfall, failed, timeout, mismatch, FLOPs, noisy, weak fit, ...) and its sentence."""

    kind: str
    text: str


def noisy_timings(point: Point) -> list[tuple[str, float]]:
    """(timing, max/min) of a point's timings whose max/min exceeds NOISY_MAX_OVER_MIN."""
    found = []
    for name in TIMINGS:
        stats = point.stats(name)
        if isinstance(stats, dict) and len(stats.get("samples") or []) >= 2 and stats.get("min", 0) > 0:
            ratio = stats["max"] / stats["min"]
            if ratio > NOISY_MAX_OVER_MIN:
                found.append((name, ratio))
    return found


def _noisy_warnings(points: list[Point]) -> list[RunWarning]:
    """One warning per (model, timing): how many points were noisy and the worst one."""
    groups: dict[tuple[str, str], list[tuple[float, Point]]] = {}
    measured: dict[tuple[str, str], int] = {}
    for p in points:
        if not p.ok:
            continue
        for name in TIMINGS:
            if isinstance(p.stats(name), dict):
                measured[(p.model, name)] = measured.get((p.model, name), 0) + 1
        for name, ratio in noisy_timings(p):
            groups.setdefault((p.model, name), []).append((ratio, p))
    found = []
    for (model, name), hits in groups.items():
        ratio, worst = max(hits, key=lambda hit: hit[0])
        found.append(RunWarning("noisy", f"{model} {name}: {len(hits)} of {measured[(model, name)]} points have "
                                       f"max/min above {NOISY_MAX_OVER_MIN}; worst {ratio:.2f} at {worst.variant} L={worst.layers}"))
    return found


# What a recorded warning is about, by a phrase it holds; the rest are the
# models' pitfalls (layers built without split_rngs, ...).
WARNING_KINDS = (
    ("cold repeats", "repeats"),
    ("peak_rss_bytes", "measurement"),
    ("--predict-layers", "prediction"),
    ("interrupted", "interrupted"),
    ("torn last line", "resume"),
)


def warning_kind(text: str) -> str:
    return next((kind for phrase, kind in WARNING_KINDS if phrase in text), "pitfall")


def collect_warnings(results: Results, growth: list[Growth], flops_checks: dict[str, dict]) -> list[RunWarning]:
    """Pitfalls, failed points, mismatches, FLOPs disagreements, noisy timings and weak fits, in that order."""
    found = [RunWarning(warning_kind(str(w)), str(w)) for w in results.extra.get("warnings") or []]
    for p in results.points:
        where = f"{p.model} {p.variant} L={p.layers}"
        for w in p.extra.get("warnings") or []:
            found.append(RunWarning(warning_kind(str(w)), f"{where}: {w}"))
        if not p.ok:
            found.append(RunWarning(p.status, f"{where}: {p.error or 'no reason recorded'}"))
        eq = p.extra.get("equivalence")
        if isinstance(eq, dict) and eq.get("ok") is False:
            found.append(RunWarning("mismatch", f"{where}: differs from {eq.get('against', 'scan')} by {eq.get('max_abs_diff')}"))
    for check in flops_checks.values():
        found += [RunWarning("FLOPs", text) for text in flops_warnings(check)]
    found += _noisy_warnings(list(results.points))
    for g in growth:
        if g.metric in HEADLINE_METRICS and len(g.layers) < 3:
            found.append(RunWarning("weak fit", f"{g.model} {g.variant} {g.metric}: fitted on {len(g.layers)} points only"))
    return found


def flops_warnings(check: dict) -> list[str]:
    """One sentence per (model, variant) of a flops_check whose XLA FLOPs disagree with hloscope's."""
    texts = []
    for g in flops_disagreements(check):
        text = (f"{g['model']} {g['variant']}: XLA's cost analysis counts {fmt_flops(g['xla_flops'])} FLOPs at "
                f"L={g['layers']} where the HLO executes {fmt_flops(g['hloscope_flops'])} (trip-count weighted)")
        if g["while_body_once"]:
            text += ": it counts the while body once"
        else:
            text += f": more than {FLOPS_RELATIVE_TOLERANCE:.0%} apart (hloscope's formula: hloscope/hlo/flops.py)"
        if g["compared"] > 1:
            text += f"; {g['disagree']} of {g['compared']} points disagree"
        texts.append(text)
    return texts
