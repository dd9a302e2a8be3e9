"""The run folder: one class owns everything an analyze run writes.

A run folder holds ``config.json`` (what the run measures, written atomically
before the first point), ``points.jsonl`` (one line per finished point,
appended, flushed and fsynced), ``results.json`` and ``index.html`` (both
atomic), and ``.hloscope.lock``, which a running analyze holds so that a
second run on the same folder is refused.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from hloscope.errors import OutputError, ResultsError, UsageError
from hloscope.results import Point, write_atomic
from hloscope.steps import record_steps
from hloscope.variants import unroll_construction
from hloscope.run.config import SweepConfig

REPORTS_ROOT = Path("reports")
CONFIG_FILE = "config.json"
POINTS_FILE = "points.jsonl"
RESULTS_FILE = "results.json"
REPORT_FILE = "index.html"
LOCK_FILE = ".hloscope.lock"
RUN_CONFIG_FORMAT = "hloscope.run-config"
# Settings a resumed run may change: they decide how long to wait for a point
# and what is derived from the points, not what a point measures.
RESUMABLE_CHANGES = ("timeout_s", "predict_layers")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def default_out_dir(models: tuple[str, ...], root: Path = REPORTS_ROOT) -> Path:
    """A new folder under ``root`` named by model and UTC time; never an existing one."""
    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(models))[:60]
    candidate = root / f"{name}-{stamp}"
    suffix = 1
    while candidate.exists():
        suffix += 1
        candidate = root / f"{name}-{stamp}-{suffix}"
    return candidate


# ------------------------------------------------------------------ points.jsonl


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
    by_key: dict[tuple[str, str, str, int], Point] = {}
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


# ------------------------------------------------------------------ the lock


def _is_locked(out_dir: Path) -> bool:
    try:
        with open(out_dir / LOCK_FILE, "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
    except OSError:
        return False
    return False


def lock_out_dir(out_dir: Path):
    """Hold the run folder's lock file; refuse a folder another run holds.

    The returned handle keeps the lock until it is closed (or the process
    ends, however it ends).
    """
    try:
        handle = open(out_dir / LOCK_FILE, "a+b")
    except OSError as exc:
        raise OutputError(f"--out {out_dir}: cannot create the lock file: {exc.strerror or exc}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise OutputError(f"--out {out_dir}: another hloscope analyze is running in this folder") from None
    return handle


# ------------------------------------------------------------------ config.json


def run_config_record(config: SweepConfig, created: str, command: str) -> dict:
    """What config.json holds: the run's settings, when it started and how."""
    return {"format": RUN_CONFIG_FORMAT, "created": created, "command": command, "config": config.to_json()}


def write_run_config(out_dir: Path, config: SweepConfig, created: str, command: str) -> None:
    """Store what this run measures, so that --resume can check it."""
    write_atomic(out_dir / CONFIG_FILE, json.dumps(run_config_record(config, created, command), indent=1) + "\n")


def read_run_config(out_dir: Path) -> dict:
    """The stored record of the run in ``out_dir``."""
    path = out_dir / CONFIG_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--resume: {out_dir} holds no {CONFIG_FILE}; there is no run to resume there") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"--resume: cannot read {path}: {exc}") from None
    if not isinstance(record, dict) or record.get("format") != RUN_CONFIG_FORMAT:
        raise UsageError(f"--resume: {path} is not an hloscope run configuration")
    return record


def config_differences(stored: dict, config: SweepConfig) -> list[str]:
    """'field: stored X, given Y' for each measured setting that differs.

    A run stored before ``unroll_construction`` was recorded built ``unroll``
    otherwise: its points cannot be finished with this version's. A run
    stored before steps were recorded measured the forward pass.
    """
    given = config.to_json()
    stored = {**stored, "unroll_construction": unroll_construction(stored), "steps": list(record_steps(stored))}
    differences = []
    for key in sorted(set(stored) | set(given)):
        if key in RESUMABLE_CHANGES:
            continue
        if stored.get(key) != given.get(key):
            differences.append(f"{key}: stored {stored.get(key)!r}, given {given.get(key)!r}")
    return differences


# ------------------------------------------------------------------ the folder


class RunFolder:
    """A locked run folder; use as a context manager or call ``close()``.

    Open one with ``RunFolder.create`` (a new, empty folder) or
    ``RunFolder.resume`` (a folder holding a run of the same configuration).
    ``created`` and ``command`` are those of the run, from config.json on
    resume. Raises OutputError (exit 2) for a folder that cannot be used and
    UsageError for a resume that does not match.
    """

    def __init__(self, path: Path, lock, created: str, command: str):
        self.path = Path(path)
        self._lock = lock
        self.created = created
        self.command = command

    @staticmethod
    def check_new(path: Path) -> None:
        """Refuse a place a new run cannot use (OutputError): a file, a locked or non-empty folder.

        Cheap and side-effect free: ``create`` checks again when it makes the folder.
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise OutputError(f"--out {path}: exists and is not a folder")
        if path.is_dir() and _is_locked(path):
            raise OutputError(f"--out {path}: another hloscope analyze is running in this folder")
        if path.is_dir() and any(p.name != LOCK_FILE for p in path.iterdir()):
            raise OutputError(
                f"--out {path}: folder is not empty; choose a new folder, or add --resume to finish the run in it"
            )

    @classmethod
    def create(cls, path: Path, config: SweepConfig, command: str) -> "RunFolder":
        """Create and lock an empty run folder and write config.json; refuse one that holds a run."""
        path = Path(path)
        cls.check_new(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"--out {path}: cannot create folder: {exc.strerror or exc}") from None
        lock = lock_out_dir(path)
        try:
            if any(p.name != LOCK_FILE for p in path.iterdir()):  # another run got here between our checks
                raise OutputError(f"--out {path}: folder is not empty; choose a new folder")
            created = utc_now().isoformat(timespec="seconds")
            write_run_config(path, config, created, command)
        except BaseException:
            lock.close()
            raise
        return cls(path, lock, created, command)

    @classmethod
    def resume(cls, path: Path, config: SweepConfig) -> "RunFolder":
        """Lock a run folder for --resume and check that it holds a run of ``config``."""
        path = Path(path)
        if not path.is_dir():
            raise UsageError(f"--resume: {path} is not a run folder")
        lock = lock_out_dir(path)
        try:
            record = read_run_config(path)
            differences = config_differences(dict(record.get("config") or {}), config)
            if differences:
                command = str(record.get("command") or "")
                # Runs made before the command left out --out named their folder in it.
                if " --out " not in command:
                    command += f" --out {shlex.quote(str(path))}"
                raise UsageError(
                    f"--resume: the run in {path} was made with a different configuration ("
                    + "; ".join(differences)
                    + f"). Resume it with its own options: {command} --resume"
                )
        except BaseException:
            lock.close()
            raise
        created = str(record.get("created") or utc_now().isoformat(timespec="seconds"))
        return cls(path, lock, created, str(record.get("command") or ""))

    @property
    def points_path(self) -> Path:
        return self.path / POINTS_FILE

    @property
    def results_path(self) -> Path:
        return self.path / RESULTS_FILE

    @property
    def report_path(self) -> Path:
        return self.path / REPORT_FILE

    def recorded_points(self) -> RecordedPoints:
        """The points already recorded, with the torn last line of a crash cut off."""
        recorded = read_points(self.points_path)
        drop_torn_tail(self.points_path, recorded.valid_bytes)
        return recorded

    def append(self, point: Point) -> None:
        """Record one finished point (flushed and fsynced before this returns)."""
        append_point(self.points_path, point)

    def write_outputs(self, results_text: str, report_html: str) -> None:
        """Replace results.json and index.html atomically.

        On failure the OutputError says that every finished point is kept and
        how to get the outputs back.
        """
        try:
            write_atomic(self.results_path, results_text)
            write_atomic(self.report_path, report_html)
        except OutputError as exc:
            raise OutputError(
                f"{exc}; every finished point is kept in {self.points_path}: "
                "once the cause is fixed, rerun with --resume to write results and report"
            ) from None

    def close(self) -> None:
        """Release the lock."""
        self._lock.close()

    def __enter__(self) -> "RunFolder":
        return self

    def __exit__(self, *exc_info) -> bool:
        self.close()
        return False
