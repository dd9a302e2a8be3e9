"""What a run's reader must not miss, and what is good to know: warnings that affect a verdict, and notes.

Derived from the points (and the warnings the run recorded) once per
command by hloscope.results.analysis; renderers list them. A warning
*affects a verdict* when it can change a headline ratio or a growth order
(a model pitfall, a failed, timed-out or mismatching point, a fit from two
points, a headline timing whose repeats disagree); the rest are notes
(slow points that stopped early, noise the headline does not use, limits
of XLA's cost analysis).
"""

from __future__ import annotations

from dataclasses import dataclass

from hloscope.results import Point, Results
from hloscope.results.flops import FLOPS_RELATIVE_TOLERANCE, bytes_accessed_below_arguments, flops_disagreements
from hloscope.results.growth import Growth
from hloscope.results.headlines import END_TO_END_STAGES, Headline, step_of
from hloscope.results.metrics import HEADLINE_METRICS
from hloscope.steps import point_label, series_label, series_name
from hloscope.results.units import fmt_bytes, fmt_flops

# A timing is noisy when its slowest sample is this much slower than its fastest.
NOISY_MAX_OVER_MIN = 1.5
TIMINGS = ("trace_s", "lower_s", "compile_s", "runtime_s")
# The timings a headline reads at its L: its end-to-end stages and the runtime.
HEADLINE_TIMINGS = (*END_TO_END_STAGES, "runtime_s")
# Kinds that can change a headline ratio or a growth order; a noisy line decides case by case.
VERDICT_KINDS = frozenset({"pitfall", "failed", "timeout", "mismatch", "interrupted", "weak fit"})


@dataclass(frozen=True)
class RunWarning:
    """One warning: ``kind`` (pitfall, failed, timeout, mismatch, FLOPs, noisy, weak fit, ...) and its sentence.

    ``affects_verdict``: it can change a headline or a growth order; left
    None, it follows from the kind (VERDICT_KINDS).
    """

    kind: str
    text: str
    affects_verdict: bool | None = None

    def __post_init__(self):
        if self.affects_verdict is None:
            object.__setattr__(self, "affects_verdict", self.kind in VERDICT_KINDS)


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


def _headline_noise(points: list[Point], headlines: list[Headline]) -> tuple[list[str], list[str]]:
    """(noisy, clean) phrases for the timings each headline reads at its L.

    noisy: 'compile_s of unroll at L=8 (1.9x)'; clean: 'trace_s, lower_s,
    compile_s, runtime_s of scan and unroll at L=8' (what was clean, per headline).
    """
    noisy, clean = [], []
    by_key = {(step_of(p), p.variant, p.layers): p for p in points if p.ok}
    for h in headlines:
        if h.layers is None:
            continue
        where = f"at L={h.layers}" + (f" ({h.step})" if h.step != "forward" else "")
        measured, hits = [], []
        for variant in (h.scanned, h.unrolled):
            point = by_key.get((h.step, variant, h.layers))
            if point is None:
                continue
            ratios = dict(noisy_timings(point))
            for name in HEADLINE_TIMINGS:
                if isinstance(point.stats(name), dict) and "samples" in point.stats(name):
                    measured.append((variant, name))
                    if name in ratios:
                        hits.append(f"{name} of {variant} {where} ({ratios[name]:.1f}x)")
        noisy += hits
        if measured and not hits:
            names = ", ".join(dict.fromkeys(name for _, name in measured))
            variants = " and ".join(dict.fromkeys(variant for variant, _ in measured))
            clean.append(f"{names} of {variants} {where}")
        elif measured:
            clean.append(f"the rest {where}")
    return noisy, clean


def _noisy_warnings(points: list[Point], headlines: list[Headline]) -> list[RunWarning]:
    """One line per model with noisy timings: which, how often, the worst, and the headline's timings.

    It affects a verdict only when a timing the headline reads at its L is
    noisy; noise elsewhere is a note that says the headline's timings were
    clean.
    """
    models = list(dict.fromkeys(p.model for p in points))
    found = []
    for model in models:
        mine = [p for p in points if p.model == model and p.ok]
        parts = []
        for name in TIMINGS:
            measured = [p for p in mine if isinstance(p.stats(name), dict)]
            hits = [(ratio, p) for p in measured for timing, ratio in noisy_timings(p) if timing == name]
            if hits:
                ratio, worst = max(hits, key=lambda hit: hit[0])
                parts.append(f"{name} at {len(hits)} of {len(measured)} points (worst {ratio:.1f}x, "
                             f"{series_name(worst.step, worst.variant)} L={worst.layers})")
        if not parts:
            continue
        noisy, clean = _headline_noise(mine, [h for h in headlines if h.model == model])
        text = (f"{model}: repeats differ by more than {NOISY_MAX_OVER_MIN}x (slowest / fastest) in "
                + "; ".join(parts) + ". ")
        if noisy:
            text += "The headline reads noisy timings: " + ", ".join(noisy)
            text += f"; clean: {', '.join(clean)}" if clean else ""
        elif clean:
            text += "The headline's timings are clean: " + "; ".join(clean)
        else:
            text += "No headline timing was measured"
        found.append(RunWarning("noisy", text + ".", affects_verdict=bool(noisy)))
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


def collect_warnings(results: Results, growth: list[Growth], flops_checks: dict[tuple, dict],
                     headlines: list[Headline] = ()) -> list[RunWarning]:
    """Pitfalls, failed points, mismatches, cost-analysis limits, noisy timings and weak fits, in that order."""
    found = [RunWarning(warning_kind(str(w)), str(w)) for w in results.extra.get("warnings") or []]
    for p in results.points:
        where = point_label(p)
        for w in p.extra.get("warnings") or []:
            found.append(RunWarning(warning_kind(str(w)), f"{where}: {w}"))
        if not p.ok:
            found.append(RunWarning(p.status, f"{where}: {p.error or 'no reason recorded'}"))
        eq = p.extra.get("equivalence")
        if isinstance(eq, dict) and eq.get("ok") is False:
            found.append(RunWarning("mismatch", f"{where}: differs from {eq.get('against', 'scan')} by {eq.get('max_abs_diff')}"))
    for check in flops_checks.values():
        found += [RunWarning("FLOPs", text) for text in flops_warnings(check)]
        found += [RunWarning("bytes accessed", text) for text in bytes_accessed_warnings(check)]
    found += _noisy_warnings(list(results.points), list(headlines))
    for g in growth:
        if g.metric in HEADLINE_METRICS and len(g.layers) < 3:
            found.append(RunWarning("weak fit", f"{series_label(g.model, g.step, g.variant, g.metric)}: fitted on {len(g.layers)} points only"))
    return found


def flops_warnings(check: dict) -> list[str]:
    """One sentence per (model, step, variant) of a flops_check whose XLA FLOPs disagree with hloscope's."""
    texts = []
    for g in flops_disagreements(check):
        text = (f"{series_label(g['model'], g['step'], g['variant'])}: XLA's cost analysis counts {fmt_flops(g['xla_flops'])} FLOPs at "
                f"L={g['layers']} where the HLO executes {fmt_flops(g['hloscope_flops'])} (trip-count weighted)")
        if g["while_body_once"]:
            text += ": it counts the while body once"
        else:
            text += f": more than {FLOPS_RELATIVE_TOLERANCE:.0%} apart (hloscope's formula: hloscope/hlo/flops.py)"
        if g["compared"] > 1:
            text += f"; {g['disagree']} of {g['compared']} points disagree"
        texts.append(text)
    return texts


def bytes_accessed_warnings(check: dict) -> list[str]:
    """One sentence per (model, step, variant) whose XLA bytes accessed is below the arguments one call reads."""
    texts = []
    for g in bytes_accessed_below_arguments(check):
        text = (f"{series_label(g['model'], g['step'], g['variant'])}: XLA's cost analysis reports {fmt_bytes(g['xla_bytes_accessed'])} "
                f"accessed at L={g['layers']}, less than the {fmt_bytes(g['argument_bytes'])} of arguments one call "
                "reads: it counts a while body once, so its bytes accessed are not what the L layers touch")
        if g["compared"] > 1:
            text += f"; {g['flagged']} of {g['compared']} points"
        texts.append(text)
    return texts
