"""The variants: their names, which are scanned, how a run built its unrolled ones, which two a verdict compares.

One module of plain rules (no jax) that the models that build variants and
every reader of points share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hloscope.errors import UsageError

# How this version builds the ``unroll`` variant, recorded in config.json and
# results.json as ``config.unroll_construction``. Runs made before it was
# recorded sliced layer i out of the stacked parameters inside the jit (what
# ``unroll-sliced`` does now).
SEPARATE_MODULES = "separate-modules"
SLICED_STACK = "sliced-stack"
UNROLL_CONSTRUCTION = SEPARATE_MODULES
CONSTRUCTIONS = {
    SEPARATE_MODULES: "L separate modules, the way an unrolled model is written",
    SLICED_STACK: "a Python loop slicing layer i out of the stacked parameters inside the jitted forward",
}


def is_scan_family(variant: str) -> bool:
    """scan, scan-unroll-K, scan-remat: the variants that should not grow with L.

    Every other variant (``unroll``, ``unroll-sliced``) is unrolled.
    """
    return variant == "scan" or variant.startswith("scan-")


def unroll_construction(config: dict) -> str:
    """How a run's ``unroll`` variant was built, from its stored config.

    A config without ``unroll_construction`` comes from a run made before it
    was recorded: its ``unroll`` sliced the stacked parameters.
    """
    value = config.get("unroll_construction")
    return value if isinstance(value, str) and value else SLICED_STACK


def baseline_variant(variants) -> str | None:
    """The unrolled variant a run's scanned variants are compared against.

    ``unroll`` when the run has it, else its first unrolled variant.
    """
    variants = list(variants)
    if "unroll" in variants:
        return "unroll"
    return next((v for v in variants if not is_scan_family(v)), None)


def comparison_pair(variants) -> tuple[str | None, str | None]:
    """(scanned, unrolled): the two variants a run's verdicts compare.

    The scanned side is ``scan`` when the run has it, else its first
    scan-family variant; the unrolled side is ``baseline_variant``. The
    headline, the op histogram, the per-layer costs and the FLOPs check all
    take their pair from here.
    """
    variants = list(variants)
    scanned = "scan" if "scan" in variants else next((v for v in variants if is_scan_family(v)), None)
    return scanned, baseline_variant(variants)


VARIANTS = ("scan", "unroll", "unroll-sliced", "scan-unroll-K", "scan-remat")
_UNROLL_K = re.compile(r"scan-unroll-([1-9][0-9]*)\Z")


@dataclass(frozen=True)
class Variant:
    """How a variant applies the stacked trunk.

    An unrolled variant (``scanned`` False) applies L separate modules, or,
    with ``sliced``, slices layer i out of the stacked arrays inside the jit.
    """

    name: str
    scanned: bool
    unroll: int = 1
    remat: bool = False
    sliced: bool = False


def parse_variant(name: str) -> Variant:
    """'scan-unroll-4' -> Variant(scanned=True, unroll=4); UsageError if unknown."""
    scanned = is_scan_family(name)
    if name in ("scan", "unroll"):
        return Variant(name, scanned=scanned)
    if name == "unroll-sliced":
        return Variant(name, scanned=scanned, sliced=True)
    if name == "scan-remat":
        return Variant(name, scanned=scanned, remat=True)
    match = _UNROLL_K.match(name)
    if match:
        return Variant(name, scanned=scanned, unroll=int(match.group(1)))
    raise UsageError(
        f"unknown variant {name!r}; valid variants: scan, unroll, unroll-sliced, scan-unroll-K "
        "(K a positive integer, e.g. scan-unroll-4), scan-remat"
    )
