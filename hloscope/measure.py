"""Measure one point in this process: build, lower cold, analyse the HLO."""

from __future__ import annotations

import time

from hloscope.config import SweepConfig
from hloscope.results import Point, Stats


def measure_point(config: SweepConfig, model: str, variant: str, layers: int) -> Point:
    """Lower, compile and analyse one (model, variant, layers) point."""
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
