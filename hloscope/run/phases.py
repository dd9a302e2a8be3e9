"""Where one compile's time goes: XLA's HLO pass pipeline against the backend.

The phases come from one extra compile of the same forward after the timed
repeats, run under ``jax.profiler``: the profiler is started just before that
compile and stopped just after it, so the timed repeats run exactly as they
would without it. XLA records these host events (TraceMe, exact to the
nanosecond), on every backend:

- every run of an ``HloPassPipeline``: ``"<pipeline> (<module>)"`` with the
  stat ``module`` (xla/hlo/pass/hlo_pass_pipeline.cc, ``RunImpl``);
- every pass run inside it: ``"<pass name>"``, a direct child of its
  pipeline's event (``RunPassesInternal``). A pass that is itself a pipeline
  (or ``HloPassFix`` around one) holds that pipeline's events; the invariant
  checkers a pipeline runs between passes are ``"RunInvariantCheckers"``.

and on CPU (xla/service/cpu/cpu_compiler.cc) ``"CpuCompiler::RunBackend"``
(stat ``name``: the module), holding ``"Codegen"`` with the stat
``num_compiled_functions`` (kernels and comparators compiled by LLVM).

Why the profiler and not XLA's logs (``TF_CPP_VMODULE=hlo_pass_pipeline=1``
prints one timed line per pass): the log level is read once per process, so
every timed compile would log too (and on GPU, VLOG(1) makes
``GpuCompiler::RunBackend`` run an extra cost analysis); a profiler session
covers exactly one compile.
"""

from __future__ import annotations

import glob
import os
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

PIPELINE_STAT = "module"
INVARIANT_CHECKERS = "RunInvariantCheckers"
# The backend's own event, per platform, and the stat naming its module.
BACKEND_EVENTS = {"cpu": ("CpuCompiler::RunBackend", "name")}
CODEGEN_EVENT = "Codegen"
KERNELS_STAT = "num_compiled_functions"

SOURCE_PROFILER = "jax.profiler: XLA's TraceMe events of one extra compile after the timed repeats"


@dataclass(frozen=True)
class TraceEvent:
    """One host event of a profile: name, start and end (ns), thread, stats."""

    name: str
    start_ns: int
    end_ns: int
    thread: str
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns


@dataclass
class _Node:
    event: TraceEvent
    parent: "_Node | None" = None
    children: list["_Node"] = field(default_factory=list)


def _forest(events: Iterable[TraceEvent]) -> list[_Node]:
    """Every event as a node, nested by time within its thread."""
    by_thread: dict[str, list[TraceEvent]] = defaultdict(list)
    for event in events:
        by_thread[event.thread].append(event)
    nodes = []
    for thread_events in by_thread.values():
        stack: list[_Node] = []
        # An enclosing event starts no later and ends no earlier: sorting by
        # (start, -end) puts it first.
        for event in sorted(thread_events, key=lambda e: (e.start_ns, -e.end_ns)):
            while stack and stack[-1].event.end_ns <= event.start_ns:
                stack.pop()
            while stack and stack[-1].event.end_ns < event.end_ns:
                stack.pop()  # overlapping, not nested: not a parent
            node = _Node(event, stack[-1] if stack else None)
            if node.parent is not None:
                node.parent.children.append(node)
            nodes.append(node)
            stack.append(node)
    return nodes


def _is_pipeline(node: _Node, module: str) -> bool:
    event = node.event
    return event.stats.get(PIPELINE_STAT) == module and event.name.endswith(f" ({module})")


def _ancestors(node: _Node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def _has_pipeline_below(node: _Node, module: str) -> bool:
    return any(_is_pipeline(child, module) or _has_pipeline_below(child, module) for child in node.children)


def phases_from_events(events: Iterable[TraceEvent], module: str, platform: str, compile_s: float) -> dict:
    """The ``compile_phases`` record of one compile of ``module`` from its profile events.

    ``hlo_passes_s``: seconds in the outermost HLO pass pipelines of the
    module, wherever the compiler ran them. ``backend_s``: seconds in the
    platform's backend event less the pipelines inside it; on a platform
    without a known backend event, ``compile_s`` (the compile's
    ``backend_compile_duration``) less ``hlo_passes_s``. ``passes``: every
    pass that is not itself a pipeline, by name, with its total seconds and
    number of runs, slowest first. ``kernels``: functions the backend compiled
    (CPU), else None. ``compile_s``: the compile the phases describe. Returns
    ``{"na": why}`` when the profile holds no pipeline of the module.
    """
    nodes = _forest(events)
    pipelines = [n for n in nodes if _is_pipeline(n, module)]
    if not pipelines:
        return {"na": f"the profile holds no HLO pass pipeline of module {module}: "
                      "this XLA records no TraceMe events for its passes"}
    outermost = [n for n in pipelines if not any(_is_pipeline(a, module) for a in _ancestors(n))]
    hlo_passes_ns = sum(n.event.duration_ns for n in outermost)
    passes: dict[str, list] = {}
    for pipeline in pipelines:
        for child in pipeline.children:
            if child.event.name == INVARIANT_CHECKERS or _has_pipeline_below(child, module):
                continue
            entry = passes.setdefault(child.event.name, [0, 0])
            entry[0] += child.event.duration_ns
            entry[1] += 1
    backend_name, backend_stat = BACKEND_EVENTS.get(platform, (None, None))
    backends = [n for n in nodes if n.event.name == backend_name and n.event.stats.get(backend_stat) == module]
    if backends:
        inside = sum(n.event.duration_ns for n in outermost if any(a in backends for a in _ancestors(n)))
        backend_s = (sum(n.event.duration_ns for n in backends) - inside) / 1e9
        kernels = _kernels(backends)
        source = f"{SOURCE_PROFILER}; backend: {backend_name} less the HLO pass pipelines inside it"
    else:
        backend_s = max(0.0, compile_s - hlo_passes_ns / 1e9)
        kernels = None
        source = (f"{SOURCE_PROFILER}; backend: the compile's backend_compile_duration less the HLO passes "
                  f"({platform} has no backend event hloscope knows)")
    ranked = sorted(passes.items(), key=lambda item: (-item[1][0], item[0]))
    return {
        "hlo_passes_s": hlo_passes_ns / 1e9,
        "backend_s": backend_s,
        "passes": [{"name": name, "s": ns / 1e9, "runs": runs} for name, (ns, runs) in ranked],
        "kernels": kernels,
        "compile_s": compile_s,
        "source": source,
    }


def _kernels(backends: list[_Node]) -> int | None:
    counts = []
    stack = list(backends)
    while stack:
        node = stack.pop()
        if node.event.name == CODEGEN_EVENT and KERNELS_STAT in node.event.stats:
            counts.append(int(node.event.stats[KERNELS_STAT]))
        stack.extend(node.children)
    return sum(counts) if counts else None


class _Profile:
    """The host events of a profiler session, once it has stopped."""

    def __init__(self):
        self.events: list[TraceEvent] = []


@contextmanager
def profiled() -> Iterator[_Profile]:
    """Run the block under a ``jax.profiler`` trace; the yielded profile's
    ``events`` hold its host events (TraceMe) once the block has finished.

    Python tracing is off: only XLA's own events are wanted. Raises what
    ``jax.profiler.start_trace`` raises (e.g. a trace is already running).
    """
    import jax

    options = jax.profiler.ProfileOptions()
    options.python_tracer_level = 0
    profile = _Profile()
    with tempfile.TemporaryDirectory(prefix="hloscope-profile-") as folder:
        jax.profiler.start_trace(folder, profiler_options=options)
        try:
            yield profile
        finally:
            jax.profiler.stop_trace()
        for path in glob.glob(os.path.join(folder, "plugins", "profile", "*", "*.xplane.pb")):
            profile.events.extend(_host_events(jax.profiler.ProfileData.from_file(path)))


def _host_events(data) -> Iterator[TraceEvent]:
    for plane in data.planes:
        if not plane.name.startswith("/host:"):
            continue
        for line in plane.lines:
            for event in line.events:
                start = int(event.start_ns)
                yield TraceEvent(event.name, start, start + int(event.duration_ns), line.name, dict(event.stats))
