"""A CI gate over a run's growth: expectations in, one line per violation out.

Growth is recomputed from the points. Pure logic: no jax.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field

from hloscope.errors import UsageError
from hloscope.results import load_results
from hloscope.results.analysis import RunAnalysis, analyze_run
from hloscope.results.growth import Growth, order_rank, parse_order
from hloscope.results.metrics import METRIC_NAMES
from hloscope.steps import check_step, series_label, series_name
from hloscope.results.units import fmt_exponent
from hloscope.variants import CONSTRUCTIONS, SEPARATE_MODULES, is_scan_family, unroll_construction

# [STEP/]VARIANT:METRIC=VALUE, e.g. scan:compile_s=O(1) or train/scan*:compile_s=O(1).
_SPEC = re.compile(r"^(?:(?P<step>[^/:=\s]+)/)?(?P<variant>[^/:=\s]+):(?P<metric>[^=\s]+)=(?P<value>\S+)$")


@dataclass(frozen=True)
class Expectation:
    """Every variant matching ``variant`` (a glob) grows in ``metric`` no faster than the bound.

    ``step`` None holds for every step (forward pass and training step);
    otherwise only for that step's points.
    """

    variant: str
    metric: str
    order: str | None = None
    max_exponent: float | None = None
    source: str = ""
    step: str | None = None

    def matches(self, variant: str, step: str | None = None) -> bool:
        if self.step is not None and step is not None and step != self.step:
            return False
        if self.variant == "scan-family":
            return is_scan_family(variant)
        return fnmatch.fnmatchcase(variant, self.variant)

    @property
    def name(self) -> str:
        """How messages name what it matches: 'scan*', 'train/scan'."""
        return self.variant if self.step is None else f"{self.step}/{self.variant}"

    def bound(self) -> str:
        return f"{self.order} or better" if self.order else f"exponent at most {self.max_exponent:g}"


DEFAULT_POLICY = (
    Expectation("scan-family", "compile_s", order="O(1)", source="default policy"),
    Expectation("scan-family", "hlo.pre.instructions", order="O(1)", source="default policy"),
)


def normalize_order(text: str) -> str:
    """'O(1)', '1' -> 'O(1)'; 'O(L)', 'L' -> 'O(L)'; 'O(L^2)' -> 'O(L^2.0)'; UsageError otherwise."""
    try:
        return parse_order(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _split(text: str, option: str) -> tuple[str | None, str, str, str]:
    match = _SPEC.match(text.strip())
    if match is None:
        raise UsageError(f"{option} {text!r}: expected [STEP/]VARIANT:METRIC=VALUE, e.g. scan:compile_s=O(1) "
                         "or train/scan:compile_s=O(1)")
    step, metric = match.group("step"), match.group("metric")
    if step is not None:
        try:
            check_step(step)
        except UsageError as exc:
            raise UsageError(f"{option} {text!r}: {exc}") from None
    if metric not in METRIC_NAMES:
        raise UsageError(f"{option} {text!r}: unknown metric {metric!r}; known: {', '.join(METRIC_NAMES)}")
    return step, match.group("variant"), metric, match.group("value")


def parse_expect(text: str) -> Expectation:
    """'scan:compile_s=O(1)' (every step) or 'train/scan:compile_s=O(1)' -> Expectation; UsageError when malformed."""
    step, variant, metric, value = _split(text, "--expect")
    return Expectation(variant, metric, order=normalize_order(value), source=f"--expect {text}", step=step)


def parse_max_exponent(text: str) -> Expectation:
    """'scan:compile_s=0.3' or 'train/scan:compile_s=0.3' -> Expectation; UsageError when malformed."""
    step, variant, metric, value = _split(text, "--max-exponent")
    try:
        bound = float(value)
    except ValueError:
        raise UsageError(f"--max-exponent {text!r}: {value!r} is not a number") from None
    return Expectation(variant, metric, max_exponent=bound, source=f"--max-exponent {text}", step=step)


@dataclass(frozen=True)
class CheckOutcome:
    """What a check looked at (``checked``: 'model variant metric'), what it found violated, and notes.

    ``held``: one sentence per expectation that held, with the fit that met it.
    """

    checked: tuple[str, ...]
    violations: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    held: tuple[str, ...] = field(default_factory=tuple)


def _holds(exp: Expectation, g: Growth) -> bool:
    if exp.order is not None:
        return g.rank <= order_rank(exp.order)
    return g.exponent <= exp.max_exponent


def check_results(analysis: RunAnalysis,
                  expectations: list[Expectation] | tuple[Expectation, ...] = DEFAULT_POLICY) -> CheckOutcome:
    """Check every (model, step, variant) matching each expectation; UsageError if one matches nothing."""
    results = analysis.results
    fits = {(*g.series, g.metric): g for g in analysis.growth}
    series = list(dict.fromkeys(p.series for p in results.points))
    checked, violations, held, checked_variants = [], [], [], set()
    for exp in expectations:
        targets = [(m, s, v) for m, s, v in series if exp.matches(v, s)]
        if not targets:
            variants = ", ".join(dict.fromkeys(series_name(s, v) for _, s, v in series)) or "none"
            raise UsageError(f"{exp.source}: no variant matches {exp.name!r} (the run has: {variants})")
        for model, step, variant in targets:
            where = series_label(model, step, variant, exp.metric)
            checked.append(where)
            checked_variants.add(variant)
            g = fits.get((model, step, variant, exp.metric))
            if g is None:
                ok = sum(1 for p in results.points
                         if p.series == (model, step, variant) and p.ok and p.value(exp.metric))
                violations.append(f"{where}: cannot be fitted ({ok} successful point(s) with this metric, need 2); "
                                  f"expected {exp.bound()} ({exp.source})")
            else:
                fitted = g.fit_layers or g.layers
                found = (f"{where}: {g.order} (exponent {fmt_exponent(g)}, fitted on L = "
                         f"{', '.join(map(str, fitted))}), expected {exp.bound()} ({exp.source})")
                (held if _holds(exp, g) else violations).append(found)
    failed = [p for p in results.points if not p.ok]
    notes = [f"{len(failed)} point(s) failed or timed out; growth was fitted on the others"] if failed else []
    construction = unroll_construction(results.config)
    if construction != SEPARATE_MODULES and "unroll" in checked_variants:
        notes.append(f"unroll in this run is {CONSTRUCTIONS[construction]} ({construction}: the run records no "
                     "unroll_construction), not L separate modules as unroll is built now")
    return CheckOutcome(tuple(checked), tuple(violations), tuple(notes), tuple(held))


def check_file(path: str | os.PathLike, expects=(), max_exponents=()) -> CheckOutcome:
    """Parse the options, load the results and check them (default policy when no option is given)."""
    expectations = [parse_expect(t) for t in expects] + [parse_max_exponent(t) for t in max_exponents]
    return check_results(analyze_run(load_results(path)), expectations or DEFAULT_POLICY)
