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
from hloscope.models.stacking import Forward

PLATFORMS = ("cpu", "cuda", "tpu")
TRACE_EVENT = "/jax/core/compile/jaxpr_trace_duration"
LOWER_EVENT = "/jax/core/compile/jaxpr_to_mlir_module_duration"


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


class _Durations:
    def __init__(self):
        self.active = False
        self.seen: dict[str, float] = {}

    def __call__(self, event: str, duration_secs: float, **kwargs) -> None:
        if self.active:
            self.seen[event] = self.seen.get(event, 0.0) + duration_secs


_durations = _Durations()
_listening = False


def lower_for_platform(build: Callable[[], Forward], repeats: int, platform: str) -> CrossLowering:
    """Trace and lower ``build()``'s forward for ``platform`` ``repeats`` times, cold."""
    global _listening
    if not _listening:
        jax.monitoring.register_event_duration_secs_listener(_durations)
        _listening = True
    trace_s, lower_s = [], []
    pre_text = ""
    for _ in range(repeats):
        forward = build()
        jax.clear_caches()
        _durations.seen = {}
        _durations.active = True
        try:
            lowered = jax.jit(forward.fn).trace(*forward.args).lower(lowering_platforms=(platform,))
        finally:
            _durations.active = False
        trace_s.append(_durations.seen.get(TRACE_EVENT, 0.0))
        lower_s.append(_durations.seen.get(LOWER_EVENT, 0.0))
        pre_text = lowered.as_text(dialect="hlo")
    return CrossLowering(platform, pre_text, tuple(trace_s), tuple(lower_s))
