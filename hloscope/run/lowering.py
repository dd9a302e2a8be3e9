"""Lower and compile one forward cold, and time each stage.

Each repeat starts from a fresh function object with JAX's caches cleared,
so every sample is a real trace, lowering and backend compile. The split
between stages comes from jax.monitoring's own duration events. After the
last repeat the compiled executable's memory and cost analyses are read and
the forward is run to time one step, and one more cold compile, outside the
timed repeats, records where compile time goes (hloscope.run.phases).
"""

from __future__ import annotations

import gc
import resource
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import jax

from hloscope.errors import HloscopeError
from hloscope.models.stacking import Forward
from hloscope.run.phases import phases_from_events, profiled

TRACE_EVENT = "/jax/core/compile/jaxpr_trace_duration"
LOWER_EVENT = "/jax/core/compile/jaxpr_to_mlir_module_duration"
COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"

# Runtime: one warm-up call, then RUNTIME_RUNS timed calls; a step slower than
# SLOW_STEP_S gets RUNTIME_RUNS_SLOW calls so a deep unrolled stack does not
# dominate the sweep. The number of samples is in the STATS either way.
RUNTIME_RUNS = 5
RUNTIME_RUNS_SLOW = 3
SLOW_STEP_S = 0.2

# A point whose first cold repeat takes longer than SLOW_REPEAT_S stops after
# SLOW_POINT_REPEATS repeats (never fewer than asked for when that is less):
# the deepest unrolled stacks would otherwise dominate a sweep. Recorded per
# point ("repeats") and in its warnings.
SLOW_REPEAT_S = 8.0
SLOW_POINT_REPEATS = 2

MEMORY_FIELDS = {
    "argument_bytes": "argument_size_in_bytes",
    "output_bytes": "output_size_in_bytes",
    "temp_bytes": "temp_size_in_bytes",
    "generated_code_bytes": "generated_code_size_in_bytes",
    "alias_bytes": "alias_size_in_bytes",
}
COST_FIELDS = {"flops": "flops", "bytes_accessed": "bytes accessed", "transcendentals": "transcendentals"}


class NotCompiledError(HloscopeError):
    """A repeat that did not run the backend compiler (a cache hit)."""

    exit_code = 1


@dataclass(frozen=True)
class Lowering:
    """What one forward's cold lowerings produced: texts, timings, analyses."""

    pre_text: str
    opt_text: str
    trace_s: tuple[float, ...]
    lower_s: tuple[float, ...]
    compile_s: tuple[float, ...]
    wall_s: tuple[float, ...]
    memory: dict[str, Any] = field(default_factory=dict)
    cost: dict[str, Any] = field(default_factory=dict)
    peak_rss_bytes: int | None = None
    runtime_s: tuple[float, ...] = ()
    runtime_error: str | None = None
    warnings: tuple[str, ...] = ()
    output: Any = None  # the forward's result from the warm-up call, for equivalence checks
    repeats_requested: int = 0
    compile_phases: dict[str, Any] = field(default_factory=dict)


class PeakRss:
    """The process's peak resident set size over a ``with`` block, in bytes.

    On Linux the kernel's high-water mark (VmHWM) is reset to the current RSS
    on entry by writing "5" to /proc/self/clear_refs and read on exit, so the
    figure is the peak during the block (it includes what the process already
    held: Python, JAX and XLA loaded). Where that reset is not possible the
    process's lifetime peak (getrusage) is reported, with a warning.
    """

    def __init__(self):
        self.peak_bytes: int | None = None
        self.warnings: list[str] = []
        self._reset = False

    def __enter__(self):
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
            self._reset = True
        except OSError:
            self._reset = False
        return self

    def __exit__(self, *exc_info):
        hwm = _vm_hwm_bytes() if self._reset else None
        if hwm is not None:
            self.peak_bytes = hwm
        else:
            # ru_maxrss is kB on Linux, bytes on macOS.
            scale = 1 if sys.platform == "darwin" else 1024
            self.peak_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
            self.warnings.append(
                "peak_rss_bytes is the worker's lifetime peak: this system cannot reset the high-water mark"
            )
        return False


def release_free_memory() -> None:
    """Collect garbage and hand freed heap back to the OS.

    The peak RSS of a point starts from what the process holds on entry, so
    memory an earlier point freed but malloc kept should not count.
    """
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _vm_hwm_bytes() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


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


@contextmanager
def cold_stage_durations() -> Iterator[dict[str, float]]:
    """Clear JAX's caches, then collect the compile-stage durations emitted inside.

    Yields a dict (event name -> seconds) that fills while the block runs.
    """
    _ensure_listener()
    jax.clear_caches()
    _recorder.durations = {}
    _recorder.active = True
    try:
        yield _recorder.durations
    finally:
        _recorder.active = False


def disable_persistent_cache() -> None:
    """Turn off the persistent compilation cache so compiles stay cold."""
    jax.config.update("jax_enable_compilation_cache", False)


def memory_of(compiled) -> dict[str, Any]:
    """Bytes from ``compiled.memory_analysis()``, or {"na": reason}."""
    try:
        stats = compiled.memory_analysis()
    except Exception as exc:  # backends without the analysis raise various errors
        return {"na": f"memory_analysis() failed: {type(exc).__name__}: {exc}"}
    if stats is None:
        return {"na": "the backend gives no memory analysis"}
    record = {}
    for key, attr in MEMORY_FIELDS.items():
        value = getattr(stats, attr, None)
        if value is not None:
            record[key] = int(value)
    return record or {"na": "the memory analysis has no byte counts"}


def cost_of(compiled) -> dict[str, Any]:
    """flops, bytes accessed and transcendentals from ``compiled.cost_analysis()``."""
    try:
        cost = compiled.cost_analysis()
    except Exception as exc:
        return {"na": f"cost_analysis() failed: {type(exc).__name__}: {exc}"}
    if isinstance(cost, (list, tuple)):  # older jaxlibs return one dict per device
        cost = cost[0] if cost else None
    if not cost:
        return {"na": "the backend gives no cost analysis"}
    record = {key: float(cost[name]) for key, name in COST_FIELDS.items() if name in cost}
    return record or {"na": "the cost analysis has no flops or bytes"}


def time_runtime(compiled, forward: Forward) -> tuple[tuple[float, ...], Any]:
    """Seconds per call of the compiled forward, after one warm-up call; and the warm-up's output.

    A forward that consumes its arguments (``donate_argnums``) is called as
    a training loop calls its step: each call takes the arguments
    ``forward.next_args`` makes from the call before. What the equivalence
    check reads of the warm-up output (``forward.check_result``) is taken
    first, since the next call consumes the output.
    """
    args = forward.args
    start = time.perf_counter()
    output = jax.block_until_ready(compiled(*args))
    runs = RUNTIME_RUNS_SLOW if time.perf_counter() - start > SLOW_STEP_S else RUNTIME_RUNS
    first = forward.check_result(output)
    if forward.next_args is not None:
        args = forward.next_args(output, args)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        output = jax.block_until_ready(compiled(*args))
        samples.append(time.perf_counter() - start)
        if forward.next_args is not None:
            args = forward.next_args(output, args)
    return tuple(samples), first


def lower_cold(build: Callable[[], Forward], repeats: int, run: bool = True, phases: bool = True) -> Lowering:
    """Trace, lower and compile ``build()``'s forward ``repeats`` times, cold.

    The parameters are built once; every repeat wraps the forward in a new
    function object after ``jax.clear_caches()``, so nothing of an earlier
    trace, lowering or executable is reused. With ``phases``, one more cold
    compile after the repeats (and outside the peak RSS window) records
    ``compile_phases``.
    """
    disable_persistent_cache()
    forward = build()
    trace_s, lower_s, compile_s, wall_s = [], [], [], []
    pre_text = opt_text = ""
    compiled = None
    release_free_memory()
    peak = PeakRss()
    with peak:
        for repeat in range(repeats):
            fn = fresh_function(forward.fn)
            with cold_stage_durations() as events:
                start = time.perf_counter()
                lowered = forward.jit(fn).trace(*forward.args).lower()
                compiled = lowered.compile()
                wall_s.append(time.perf_counter() - start)
            if COMPILE_EVENT not in events:
                raise NotCompiledError(
                    f"repeat {repeat + 1} did not run the backend compiler (served from a cache)"
                )
            trace_s.append(events.get(TRACE_EVENT, 0.0))
            lower_s.append(events.get(LOWER_EVENT, 0.0))
            compile_s.append(events[COMPILE_EVENT])
            last = repeat == repeats - 1 or (
                repeat + 1 >= SLOW_POINT_REPEATS and wall_s[0] > SLOW_REPEAT_S
            )
            if last:
                # The dialect must be named: the default text is StableHLO.
                pre_text = lowered.as_text(dialect="hlo")
                opt_text = compiled.as_text()
                break
    compile_phases = compile_phases_of(forward) if phases else {}
    runtime_s: tuple[float, ...] = ()
    runtime_error = output = None
    if run:
        try:
            runtime_s, output = time_runtime(compiled, forward)
        except Exception as exc:  # an executable that cannot run still has compile figures
            runtime_error = f"running the compiled forward failed: {type(exc).__name__}: {exc}"
    return Lowering(
        pre_text=pre_text,
        opt_text=opt_text,
        trace_s=tuple(trace_s),
        lower_s=tuple(lower_s),
        compile_s=tuple(compile_s),
        wall_s=tuple(wall_s),
        memory=memory_of(compiled),
        cost=cost_of(compiled),
        peak_rss_bytes=peak.peak_bytes,
        runtime_s=runtime_s,
        runtime_error=runtime_error,
        warnings=tuple(peak.warnings) + _repeat_warnings(repeats, wall_s),
        output=output,
        repeats_requested=repeats,
        compile_phases=compile_phases,
    )


def compile_phases_of(forward: Forward) -> dict[str, Any]:
    """Where one more cold compile of ``forward`` spends its time (hloscope.run.phases).

    The profiler runs around this compile only. ``{"na": why}`` when the
    profiler cannot run or the compile was not cold.
    """
    fn = fresh_function(forward.fn)
    try:
        with cold_stage_durations() as events:
            lowered = forward.jit(fn).trace(*forward.args).lower()
            module = str(lowered.compiler_ir("stablehlo").operation.attributes["sym_name"].value)
            with profiled() as profile:
                lowered.compile()
    except Exception as exc:  # the profiler's failures must not cost the point its timings
        return {"na": f"collecting the compile phases failed: {type(exc).__name__}: {exc}"}
    if COMPILE_EVENT not in events:
        return {"na": "the phase-collecting compile did not run the backend compiler (served from a cache)"}
    return phases_from_events(profile.events, module, jax.default_backend(), events[COMPILE_EVENT])


def _repeat_warnings(requested: int, wall_s: list[float]) -> tuple[str, ...]:
    if len(wall_s) >= requested:
        return ()
    return (
        f"{len(wall_s)} of {requested} cold repeats: the first took {wall_s[0]:.1f} s "
        f"(over {SLOW_REPEAT_S:g} s, so a slow point stops at {SLOW_POINT_REPEATS})",
    )


def fresh_function(fn: Callable) -> Callable:
    """A new function object calling ``fn``: jit keys its caches on identity."""

    def forward(*args):
        return fn(*args)

    return forward
