"""Plan and run a sweep: every (model, variant, layers) point, one at a time.

Each finished point is appended to ``points.jsonl`` (flushed and fsynced)
before the next starts, so a killed run keeps every finished point.
"""

from __future__ import annotations

import json
import os
import traceback
from pathlib import Path
from typing import Callable

from hloscope.errors import HloscopeError, OutputError
from hloscope.config import SweepConfig
from hloscope.measure import measure_point
from hloscope.results import Point


def append_point(path: Path, point: Point) -> None:
    """Append one point as a JSON line, flushed and fsynced."""
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(point.to_json()) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def run_sweep(
    config: SweepConfig,
    out_dir: Path,
    on_point: Callable[[int, int, Point], None] | None = None,
) -> list[Point]:
    """Measure every planned point, appending each to ``out_dir/points.jsonl``."""
    plan = config.plan()
    points = []
    for index, (model, variant, layers) in enumerate(plan):
        try:
            point = measure_point(config, model, variant, layers)
        except HloscopeError as exc:
            point = Point(model, variant, layers, status="failed", error=str(exc))
        except Exception as exc:  # a crash in JAX or a model is a failed point, not a lost sweep
            last = traceback.extract_tb(exc.__traceback__)[-1:]
            where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
            point = Point(model, variant, layers, status="failed", error=f"{type(exc).__name__}: {exc}{where}")
        append_point(out_dir / "points.jsonl", point)
        points.append(point)
        if on_point is not None:
            on_point(index + 1, len(plan), point)
    return points
