"""Is a fitted growth order what its variant should give? Judged with the fit's 95% interval.

A scanned stack should not grow with L in compile time or HLO size, an
unrolled one should grow linearly; both run L layers (hloscope.results.metrics
holds each figure's expectation). A fit whose interval reaches across an
order's boundary is *borderline*: the data do not decide between the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from hloscope.results.growth import CONSTANT_BELOW, LINEAR_BELOW, STEEPER_ABOVE, Growth
from hloscope.results.metrics import METRIC_NAMES, metric
from hloscope.steps import FORWARD, TRAIN
from hloscope.variants import is_scan_family

AS_EXPECTED = "as expected"
UNEXPECTED = "unexpected"
BORDERLINE = "borderline"
NO_EXPECTATION = "no expectation"
WITHHELD = "withheld"


@dataclass(frozen=True)
class Judgement:
    """The verdict on one fit: ``verdict`` (one of the names above), the ``expected`` order, and ``borderline``.

    ``borderline`` says, in words, which orders the fit's 95% interval
    spans (None when it stays within its order). ``withheld`` says why no
    order is given for the figure at all.
    """

    verdict: str
    expected: str | None
    borderline: str | None = None
    withheld: str | None = None


def expected_order(metric_name: str, variant: str, step: str = FORWARD) -> str | None:
    """The order a variant's figure of ``step`` should grow with: O(1), O(L) or None (no expectation)."""
    if metric_name not in METRIC_NAMES:
        return None
    registered = metric(metric_name)
    orders = registered.expected_train if step == TRAIN and registered.expected_train else registered.expected
    scanned, unrolled = orders
    return scanned if is_scan_family(variant) else unrolled


def _bands(low: float, high: float) -> list[str]:
    """The orders exponents from ``low`` to ``high`` fall in, by the classification's bands."""
    bands = []
    if low < CONSTANT_BELOW:
        bands.append("O(1)")
    if high >= CONSTANT_BELOW and low < STEEPER_ABOVE:
        bands.append("O(L)")
    if high > STEEPER_ABOVE:
        bands.append("steeper than O(L)")
    return bands


def borderline(g: Growth) -> str | None:
    """'its 95% interval 0.11 to 0.96 spans O(1) and O(L)' when the interval crosses an order boundary.

    A fit classified O(L) whose exponent reaches the steeper band
    (LINEAR_BELOW) but whose interval does not lie above STEEPER_ABOVE is
    borderline too. None for a fit without an interval or inside its order.
    """
    if g.exponent_low is None or g.exponent_high is None:
        return None
    bands = _bands(g.exponent_low, g.exponent_high)
    crosses = "O(1)" in bands and "O(L)" in bands
    steep = g.order == "O(L)" and g.exponent >= LINEAR_BELOW
    if not crosses and not steep:
        return None
    shown = bands if crosses else ["O(L)", "steeper than O(L)"]
    spans = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
    return f"its 95% interval {g.exponent_low:.2f} to {g.exponent_high:.2f} spans {spans}"


def _reaches(g: Growth, expected: str) -> bool:
    """Does the fit's interval reach the band of the ``expected`` order (O(1) or O(L))?"""
    if g.exponent_low is None or g.exponent_high is None:
        return False
    return expected in _bands(g.exponent_low, g.exponent_high)


def judge(g: Growth) -> Judgement:
    """The verdict on ``g``: as expected, unexpected, borderline, no expectation, or withheld."""
    withheld = metric(g.metric).withheld if g.metric in METRIC_NAMES else None
    if withheld:
        return Judgement(WITHHELD, None, withheld=withheld)
    expected = expected_order(g.metric, g.variant, g.step)
    edge = borderline(g)
    if expected is None:
        return Judgement(NO_EXPECTATION, None, edge)
    if g.order == expected:
        return Judgement(AS_EXPECTED, expected, edge)
    if _reaches(g, expected):
        return Judgement(BORDERLINE, expected, edge or f"its 95% interval reaches {expected}")
    return Judgement(UNEXPECTED, expected, edge)
