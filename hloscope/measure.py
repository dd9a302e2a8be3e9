"""Measure one point in this process: build, lower cold, analyse the HLO."""

from __future__ import annotations

import time
from dataclasses import replace

from hloscope.config import SweepConfig
from hloscope.results import Point, Stats


def measure_point(config: SweepConfig, model: str, variant: str, layers: int) -> Point:
    """Lower, compile and analyse one (model, variant, layers) point."""
    from hloscope.hlo import summarize_hlo
    from hloscope.lowering import lower_cold
    from hloscope.models.checks import resolve_model
    from hloscope.models.platform import check_platform, local_platform
    from hloscope.models.stacking import cached_input, cached_stack, forward_of

    spec = resolve_model(config, model)
    x = cached_input(spec)
    platform = check_platform(config.platform)
    if platform != local_platform():
        return _measure_elsewhere(config, spec, variant, layers, platform)
    # The parameters are built outside the timed window, once per layer count:
    # every variant of it applies the same stack (and the equivalence check too).
    lowering = lower_cold(lambda: forward_of(cached_stack(spec, layers, config.seed), variant, x), config.repeats)
    start = time.perf_counter()
    pre = summarize_hlo(lowering.pre_text)
    opt = summarize_hlo(lowering.opt_text)
    analysis_s = time.perf_counter() - start
    point = Point(
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
        extra=_engine_extras(lowering),
    )
    # The timed executable's own output: the equivalence check need not compile it again.
    return _with_model_checks(point, spec, config, platform, lowering.output)


def _with_model_checks(point: Point, spec, config: SweepConfig, platform: str, output=None) -> Point:
    """Add equivalence against scan, pitfall warnings and the platform; fail a mismatch."""
    from hloscope.equivalence import mismatch_reason, point_checks

    extra = dict(point.extra)
    extra["platform"] = platform
    if platform == _local():
        equivalence, warnings = point_checks(spec, point.variant, point.layers, config.seed, output)
    else:
        warnings = point_checks(spec, "scan", point.layers, config.seed)[1]
        equivalence = None if point.variant == "scan" else {"na": f"the forward cannot run here: no {platform} device"}
    extra["equivalence"] = equivalence
    extra["warnings"] = list(extra.get("warnings", [])) + warnings
    if equivalence and equivalence.get("ok") is False:
        return replace(point, status="failed", error=mismatch_reason(point.variant, equivalence), extra=extra)
    return replace(point, extra=extra)


def _local() -> str:
    from hloscope.models.platform import local_platform

    return local_platform()


def _measure_elsewhere(config: SweepConfig, spec, variant: str, layers: int, platform: str) -> Point:
    """Lower for a platform that is not here: pre-optimization HLO, trace and lower times."""
    from hloscope.hlo import summarize_hlo
    from hloscope.models.platform import lower_for_platform
    from hloscope.models.stacking import cached_input, cached_stack, forward_of

    x = cached_input(spec)
    lowering = lower_for_platform(
        lambda: forward_of(cached_stack(spec, layers, config.seed), variant, x), config.repeats, platform
    )
    start = time.perf_counter()
    pre = summarize_hlo(lowering.pre_text)
    analysis_s = time.perf_counter() - start
    na = {"na": f"lowered for {platform}, which this machine does not have: nothing compiled or run"}
    point = Point(
        model=spec.name,
        variant=variant,
        layers=layers,
        status="ok",
        timing={
            "trace_s": Stats.from_samples(lowering.trace_s).to_json(),
            "lower_s": Stats.from_samples(lowering.lower_s).to_json(),
            "compile_s": dict(na),
            "analysis_s": analysis_s,
        },
        hlo={"pre": pre.to_json(), "opt": dict(na)},
        extra={"memory": dict(na), "cost": dict(na), "runtime_s": dict(na), "warnings": []},
    )
    return _with_model_checks(point, spec, config, platform)


def _engine_extras(lowering) -> dict:
    """memory, cost, peak_rss_bytes, runtime_s and warnings of one lowering."""
    if lowering.runtime_s:
        runtime = Stats.from_samples(lowering.runtime_s).to_json()
    else:
        runtime = {"na": lowering.runtime_error or "the forward was not run"}
    return {
        "memory": lowering.memory,
        "cost": lowering.cost,
        "peak_rss_bytes": lowering.peak_rss_bytes,
        "runtime_s": runtime,
        "repeats": {"requested": lowering.repeats_requested, "done": len(lowering.compile_s)},
        "warnings": list(lowering.warnings),
    }
