"""Lower and compile one forward cold, and time each stage.

Each repeat starts from a fresh function object with JAX's caches cleared,
so every sample is a real trace, lowering and backend compile. The split
between stages comes from jax.monitoring's own duration events.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import jax

from hloscope.errors import HloscopeError
from hloscope.models.stacking import Forward

TRACE_EVENT = "/jax/core/compile/jaxpr_trace_duration"
LOWER_EVENT = "/jax/core/compile/jaxpr_to_mlir_module_duration"
COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


class NotCompiledError(HloscopeError):
    """A repeat that did not run the backend compiler (a cache hit)."""

    exit_code = 1


@dataclass(frozen=True)
class Lowering:
    """What one forward's cold lowerings produced: texts and per-repeat timings."""

    pre_text: str
    opt_text: str
    trace_s: tuple[float, ...]
    lower_s: tuple[float, ...]
    compile_s: tuple[float, ...]
    wall_s: tuple[float, ...]


class _EventRecorder:
    """Collects jax.monitoring durations while active."""

    def __init__(self):
        self.durations: dict[str, float] = {}
        self.active = False

    def __call__(self, event: str, duration_secs: float, **kwargs) -> None:
        if self.active:
            self.durations[event] = self.durations.get(event, 0.0) + duration_secs


_recorder = _EventRecorder()
_registered = False


def _ensure_listener() -> None:
    global _registered
    if not _registered:
        jax.monitoring.register_event_duration_secs_listener(_recorder)
        _registered = True


def disable_persistent_cache() -> None:
    """Turn off the persistent compilation cache so compiles stay cold."""
    jax.config.update("jax_enable_compilation_cache", False)


def lower_cold(build: Callable[[], Forward], repeats: int) -> Lowering:
    """Trace, lower and compile ``build()``'s forward ``repeats`` times, cold."""
    _ensure_listener()
    disable_persistent_cache()
    trace_s, lower_s, compile_s, wall_s = [], [], [], []
    pre_text = opt_text = ""
    for repeat in range(repeats):
        forward = build()
        jax.clear_caches()
        _recorder.durations = {}
        _recorder.active = True
        try:
            start = time.perf_counter()
            lowered = jax.jit(forward.fn).trace(*forward.args).lower()
            compiled = lowered.compile()
            wall_s.append(time.perf_counter() - start)
        finally:
            _recorder.active = False
        events = _recorder.durations
        if COMPILE_EVENT not in events:
            raise NotCompiledError(
                f"repeat {repeat + 1} did not run the backend compiler (served from a cache)"
            )
        trace_s.append(events.get(TRACE_EVENT, 0.0))
        lower_s.append(events.get(LOWER_EVENT, 0.0))
        compile_s.append(events[COMPILE_EVENT])
        if repeat == repeats - 1:
            # The dialect must be named: the default text is StableHLO.
            pre_text = lowered.as_text(dialect="hlo")
            opt_text = compiled.as_text()
    return Lowering(
        pre_text=pre_text,
        opt_text=opt_text,
        trace_s=tuple(trace_s),
        lower_s=tuple(lower_s),
        compile_s=tuple(compile_s),
        wall_s=tuple(wall_s),
    )
