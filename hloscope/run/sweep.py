"""Plan and run a sweep: every (model, step, variant, layers) point, one at a time.

Points are measured in a worker process (hloscope.run.worker) that is reused
across points and replaced after a crash or timeout. Each finished point is
appended to the run folder's ``points.jsonl`` (flushed and fsynced) before the next starts, so
a killed run keeps every finished point and ``--resume`` can skip them.
Ctrl-C once: stop after the current point; twice: stop now.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass

from hloscope.results import Point
from hloscope.run.config import SweepConfig
from hloscope.run.folder import RunFolder
from hloscope.run.progress import Progress
from hloscope.run.worker import Worker


def measure_order(plan: list[tuple[str, str, str, int]]) -> list[tuple[str, str, str, int]]:
    """The plan's keys (model, step, variant, layers) in the order they are
    measured: per model, layer counts from the outside in (smallest,
    largest, second smallest, ...), the steps and variants of one layer
    count together (they share its parameters).

    Load from other processes drifts over minutes; measured in ascending L,
    that drift would tilt every slope. Alternating ends turns it into noise,
    which the robust fits absorb. Results keep the plan's order.
    """
    order = []
    for model in dict.fromkeys(key[0] for key in plan):
        layers = sorted({key[-1] for key in plan if key[0] == model})
        outside_in = []
        while layers:
            outside_in.append(layers.pop(0))
            if layers:
                outside_in.append(layers.pop())
        for L in outside_in:
            order += [key for key in plan if key[0] == model and key[-1] == L]
    return order


@dataclass(frozen=True)
class SweepOutcome:
    """Every point of the plan that has a record, in plan order."""

    points: tuple[Point, ...]
    interrupted: bool
    measured: int
    resumed: int


class _Interruption:
    """SIGINT handling while a sweep runs: the first asks to stop after the
    current point, the second stops now (KeyboardInterrupt)."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.requested = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.progress.message("interrupted: stopping after the current point (Ctrl-C again to stop now)")


def run_sweep(
    config: SweepConfig,
    folder: RunFolder,
    worker: Worker,
    progress: Progress | None = None,
    recorded: tuple[Point, ...] = (),
) -> SweepOutcome:
    """Measure every planned point without a record, appending each to the folder's points.jsonl.

    ``worker`` measures the points (a fresh one replaces it after a crash or
    timeout); it is closed, or killed on interruption, before this returns.
    """
    plan = config.plan()
    progress = progress or Progress(plan, enabled=False)
    planned = set(plan)
    done = {p.key: p for p in recorded if p.key in planned}
    progress.skip(done)
    measured = 0
    interrupted = False
    try:
        with _Interruption(progress) as interruption:
            try:
                for key in measure_order(plan):
                    if key in done:
                        continue
                    if interruption.requested:
                        interrupted = True
                        break
                    progress.begin(*key)
                    point = worker.measure(config, *key, timeout_s=config.timeout_s)
                    folder.append(point)
                    done[key] = point
                    measured += 1
                    progress.end(point)
            except KeyboardInterrupt:
                interrupted = True
    finally:
        worker.kill() if interrupted else worker.close()
        progress.close()
    # A Ctrl-C during the last point still leaves a complete sweep.
    interrupted = (interrupted or interruption.requested) and len(done) < len(plan)
    points = tuple(done[key] for key in plan if key in done)
    return SweepOutcome(points, interrupted, measured, len(points) - measured)
