"""Plan and run a sweep: every (model, variant, layers) point, one at a time.

Each finished point is appended to ``points.jsonl`` (flushed and fsynced)
before the next starts, so a killed run keeps every finished point.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from hloscope.errors import HloscopeError, OutputError
from hloscope.results import Point, Stats

DEFAULT_LAYERS = (1, 2, 4, 8, 16, 32, 64, 96)
DEFAULT_MODELS = ("linear", "transformer")


@dataclass(frozen=True)
class SweepConfig:
    """What to measure: models, variants, layer counts and how often."""

    models: tuple[str, ...] = DEFAULT_MODELS
    variants: tuple[str, ...] = ("scan", "unroll")
    layers: tuple[int, ...] = DEFAULT_LAYERS
    features: int | None = None
    repeats: int = 3
    seed: int = 0

    def to_json(self) -> dict:
        record = asdict(self)
        for key in ("models", "variants", "layers"):
            record[key] = list(record[key])
        return record

    def plan(self) -> list[tuple[str, str, int]]:
        """Every point in the order it is measured."""
        return [(m, v, L) for m in self.models for L in self.layers for v in self.variants]


def measure_point(config: SweepConfig, model: str, variant: str, layers: int) -> Point:
    """Lower, compile and analyse one point in this process."""
    from hloscope.hlo import summarize_hlo
    from hloscope.lowering import lower_cold
    from hloscope.models import build_forward, builtin_model

    spec = builtin_model(model, config.features)
    x = spec.make_input()
    lowering = lower_cold(
        lambda: build_forward(spec.make_block, variant, layers, x, config.seed), config.repeats
    )
    start = time.perf_counter()
    pre = summarize_hlo(lowering.pre_text)
    opt = summarize_hlo(lowering.opt_text)
    analysis_s = time.perf_counter() - start
    return Point(
        model=model,
        variant=variant,
        layers=layers,
        status="ok",
        timing={
            "trace_s": Stats.from_samples(lowering.trace_s).to_json(),
            "lower_s": Stats.from_samples(lowering.lower_s).to_json(),
            "compile_s": Stats.from_samples(lowering.compile_s).to_json(),
            "analysis_s": analysis_s,
        },
        hlo={"pre": pre.to_json(), "opt": opt.to_json()},
    )


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
