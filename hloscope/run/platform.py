"""Lowering for a platform this machine does not have: pre-optimization HLO only.

``jax.jit(f).trace(...).lower(lowering_platforms=(platform,))`` produces the
HLO XLA would receive on that platform; compiling it needs the platform, so
compile-side figures are n/a.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax

from hloscope.errors import UsageError
from hloscope.run.lowering import LOWER_EVENT, TRACE_EVENT, cold_stage_durations, fresh_function
from hloscope.models.stacking import Forward

PLATFORMS = ("cpu", "cuda", "tpu")


def local_platform() -> str:
    """The local backend's platform name as ``lowering_platforms`` spells it."""
    backend = jax.default_backend()
    if backend == "gpu":
        version = getattr(jax.devices()[0].client, "platform_version", "").lower()
        return "rocm" if "rocm" in version else "cuda"
    return backend


def check_platform(platform: str | None) -> str:
    """The platform to lower for: ``platform`` or the local one; UsageError if unknown."""
    if platform is None:
        return local_platform()
    if platform not in PLATFORMS:
        raise UsageError(f"--platform {platform!r}: choose one of {', '.join(PLATFORMS)}")
    return platform


@dataclass(frozen=True)
class CrossLowering:
    """Pre-optimization HLO for another platform, and trace/lower times."""

    platform: str
    pre_text: str
    trace_s: tuple[float, ...]
    lower_s: tuple[float, ...]


def lower_for_platform(build: Callable[[], Forward], repeats: int, platform: str) -> CrossLowering:
    """Trace and lower ``build()``'s forward for ``platform`` ``repeats`` times, cold.

    As in ``lower_cold``: the parameters are built once, and every repeat
    wraps the forward in a new function object after ``jax.clear_caches()``.
    """
    forward = build()
    trace_s, lower_s = [], []
    lowered = None
    for _ in range(repeats):
        fn = fresh_function(forward.fn)
        with cold_stage_durations() as events:
            lowered = forward.jit(fn).trace(*forward.args).lower(lowering_platforms=(platform,))
        trace_s.append(events.get(TRACE_EVENT, 0.0))
        lower_s.append(events.get(LOWER_EVENT, 0.0))
    # The dialect must be named: the default text is StableHLO.
    pre_text = lowered.as_text(dialect="hlo") if lowered is not None else ""
    return CrossLowering(platform, pre_text, tuple(trace_s), tuple(lower_s))
