"""Which variants are scanned: the one rule every reader of points uses."""

from __future__ import annotations


def is_scan_family(variant: str) -> bool:
    """scan, scan-unroll-K, scan-remat: the variants that should not grow with L."""
    return variant == "scan" or variant.startswith("scan-")
