"""Measure one point in this process: build, lower cold, analyse the HLO."""

from __future__ import annotations

import time
from dataclasses import replace

from hloscope.run.config import SweepConfig
from hloscope.results import Point, Stats
from hloscope.steps import FORWARD


def measure_point(config: SweepConfig, model: str, variant: str, layers: int, step: str = FORWARD) -> Point:
    """Lower, compile and analyse one (model, step, variant, layers) point.

    ``step`` "forward" lowers the variant's forward pass; "train" the
    training step around it (hloscope.models.train), whose point also records
    ``params`` and ``optimizer_state`` ({"leaves", "bytes"}). For a platform
    this machine does not have, the function is only traced and lowered: the
    pre-optimization HLO and its timings, the rest n/a.
    """
    from hloscope.hlo import summarize_hlo
    from hloscope.run.lowering import lower_cold
    from hloscope.run.checks import resolve_model
    from hloscope.run.platform import check_platform, local_platform, lower_for_platform
    from hloscope.models.stacking import cached_inputs, cached_stack, layer_arrays
    from hloscope.models.state import arrays_by_type
    from hloscope.run.steps import step_extras, step_forward

    spec = resolve_model(config, model)
    inputs = cached_inputs(spec)
    platform = check_platform(config.platform)
    local = platform == local_platform()

    # The parameters are built outside the timed window, once per layer count:
    # every variant of it applies the same stack (and the equivalence check too).
    def build():
        return step_forward(cached_stack(spec, layers, config.seed), step, variant, inputs)

    if local:
        lowering = lower_cold(build, config.repeats)
    else:
        lowering = lower_for_platform(build, config.repeats, platform)
    stack = cached_stack(spec, layers, config.seed)
    start = time.perf_counter()
    pre = summarize_hlo(lowering.pre_text)
    opt = summarize_hlo(lowering.opt_text) if local else None
    analysis_s = time.perf_counter() - start
    pre_record = pre.to_json()
    if local:
        compile_s = Stats.from_samples(lowering.compile_s).to_json()
        opt_record = opt.to_json()
        extra = _engine_extras(lowering)
    else:
        na = {"na": f"lowered for {platform}, which this machine does not have: nothing compiled or run"}
        compile_s, opt_record = dict(na), dict(na)
        extra = {"memory": dict(na), "cost": dict(na), "runtime_s": dict(na), "compile_phases": dict(na),
                 "warnings": []}
    point = Point(
        model=model,
        step=step,
        variant=variant,
        layers=layers,
        status="ok",
        timing={
            "trace_s": Stats.from_samples(lowering.trace_s).to_json(),
            "lower_s": Stats.from_samples(lowering.lower_s).to_json(),
            "compile_s": compile_s,
            "analysis_s": analysis_s,
        },
        hlo={"pre": pre_record, "opt": opt_record},
        extra={**extra, **step_extras(stack, step, variant), "arrays_per_layer": layer_arrays(stack),
               "arrays_per_layer_by_type": arrays_by_type(stack.states[1])},
    )
    # The timed executable's own output: the equivalence check need not compile it again.
    return _with_model_checks(point, spec, config, platform, local, lowering.output if local else None)


def _with_model_checks(point: Point, spec, config: SweepConfig, platform: str, local: bool, output=None) -> Point:
    """Add equivalence against scan, pitfall warnings and the platform; fail a mismatch."""
    from hloscope.run.equivalence import mismatch_reason, point_checks

    extra = dict(point.extra)
    extra["platform"] = platform
    if local:
        equivalence, warnings = point_checks(spec, point.variant, point.layers, config.seed, output, step=point.step)
    else:
        warnings = point_checks(spec, "scan", point.layers, config.seed, step=point.step)[1]
        equivalence = None if point.variant == "scan" else {"na": f"the forward cannot run here: no {platform} device"}
    extra["equivalence"] = equivalence
    extra["warnings"] = list(extra.get("warnings", [])) + warnings
    if equivalence and equivalence.get("ok") is False:
        return replace(point, status="failed", error=mismatch_reason(point.variant, equivalence, point.step),
                       extra=extra)
    return replace(point, extra=extra)


def _engine_extras(lowering) -> dict:
    """memory, cost, peak_rss_bytes, runtime_s, repeats, compile_phases and warnings of one lowering."""
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
        "compile_phases": lowering.compile_phases,
        "warnings": list(lowering.warnings),
    }
