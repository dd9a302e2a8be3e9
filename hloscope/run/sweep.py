"""Plan and run a sweep: every (model, variant, layers) point, one at a time.

Points are measured in a worker process (hloscope.run.worker) that is reused
across points and replaced after a crash or timeout. Each finished point is
appended to ``points.jsonl`` (flushed and fsynced) before the next starts, so
a killed run keeps every finished point and ``--resume`` can skip them.
Ctrl-C once: stop after the current point; twice: stop now.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from hloscope.run.config import SweepConfig
from hloscope.errors import OutputError, ResultsError
from hloscope.run.progress import Progress
from hloscope.results import Point

POINTS_FILE = "points.jsonl"


def append_point(path: Path, point: Point) -> None:
    """Append one point as a JSON line, flushed and fsynced."""
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(point.to_json()) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class RecordedPoints:
    """What points.jsonl holds: the points, and warnings about what was skipped."""

    points: tuple[Point, ...]
    warnings: tuple[str, ...]
    valid_bytes: int


def read_points(path: Path) -> RecordedPoints:
    """Points recorded in points.jsonl, the last record of a point winning.

    A last line without its newline, or one that is not JSON, is what a crash
    mid-write leaves: it is skipped with a warning. A bad line before the last
    one is damage hloscope did not cause, and an error.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return RecordedPoints((), (), 0)
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    warnings = []
    valid_bytes = len(data) - len(tail)
    if tail.strip():
        warnings.append(f"{path.name}: ignored a torn last line ({len(tail)} bytes without a newline)")
    by_key: dict[tuple[str, str, int], Point] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            point = Point.from_json(json.loads(line))
        except (ValueError, ResultsError, AttributeError) as exc:
            if number == len(lines) and not tail.strip():
                warnings.append(f"{path.name}: ignored a torn last line (line {number}: not a point)")
                valid_bytes -= len(line) + 1
                continue
            raise ResultsError(f"{path}: line {number} is not a point ({exc}); the file is damaged") from None
        by_key[point.key] = point
    return RecordedPoints(tuple(by_key.values()), tuple(warnings), valid_bytes)


def drop_torn_tail(path: Path, valid_bytes: int) -> None:
    """Cut points.jsonl back to its last whole line before appending to it."""
    try:
        if path.exists() and path.stat().st_size > valid_bytes:
            with open(path, "r+b") as handle:
                handle.truncate(valid_bytes)
                handle.flush()
                os.fsync(handle.fileno())
    except OSError as exc:
        raise OutputError(f"cannot repair {path}: {exc.strerror or exc}") from None


def measure_order(plan: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """The plan's points in the order they are measured: per model, layer
    counts from the outside in (smallest, largest, second smallest, ...),
    the variants of one layer count together.

    Load from other processes drifts over minutes; measured in ascending L,
    that drift would tilt every slope. Alternating ends turns it into noise,
    which the robust fits absorb. Results keep the plan's order.
    """
    order = []
    for model in dict.fromkeys(m for m, _, _ in plan):
        layers = sorted({L for m, _, L in plan if m == model})
        outside_in = []
        while layers:
            outside_in.append(layers.pop(0))
            if layers:
                outside_in.append(layers.pop())
        for L in outside_in:
            order += [key for key in plan if key[0] == model and key[2] == L]
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
    out_dir: Path,
    progress: Progress | None = None,
    recorded: tuple[Point, ...] = (),
) -> SweepOutcome:
    """Measure every planned point without a record, appending each to points.jsonl."""
    from hloscope.run.worker import Worker

    plan = config.plan()
    progress = progress or Progress(plan, enabled=False)
    planned = set(plan)
    done = {p.key: p for p in recorded if p.key in planned}
    progress.skip(done)
    worker = Worker()
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
                    append_point(out_dir / POINTS_FILE, point)
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
