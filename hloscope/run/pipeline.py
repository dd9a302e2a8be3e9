"""The analyze pipeline: sweep, persist results, render the report.

A run folder holds ``config.json`` (written atomically before the first
point), ``points.jsonl`` (one line per finished point), ``results.json`` and
``index.html`` (atomic), and ``.hloscope.lock``, which a running analyze
holds so that a second run on the same folder is refused.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import re
from pathlib import Path

from hloscope.run.config import SweepConfig
from hloscope.errors import HloscopeError, OutputError, UsageError
from hloscope.results.growth import DEFAULT_METRICS, fit_growth
from hloscope.run.progress import Progress
from hloscope.results import Results, save_results, write_atomic
from hloscope.run.sweep import POINTS_FILE, drop_torn_tail, read_points, run_sweep

REPORTS_ROOT = Path("reports")
CONFIG_FILE = "config.json"
LOCK_FILE = ".hloscope.lock"
RUN_CONFIG_FORMAT = "hloscope.run-config"
# Settings a resumed run may change: they decide how long to wait for a point
# and what is derived from the points, not what a point measures.
RESUMABLE_CHANGES = ("timeout_s", "predict_layers")


class Interrupted(HloscopeError):
    """The sweep was stopped by Ctrl-C; results and report hold what finished."""

    exit_code = 130


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


def prepare_out_dir(out_dir: Path):
    """Create and lock an empty run folder; refuse one that holds an earlier run.

    Returns the lock handle.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"--out {out_dir}: exists and is not a folder")
    if out_dir.is_dir() and _is_locked(out_dir):
        raise OutputError(f"--out {out_dir}: another hloscope analyze is running in this folder")
    if out_dir.is_dir() and any(p.name != LOCK_FILE for p in out_dir.iterdir()):
        raise OutputError(
            f"--out {out_dir}: folder is not empty; choose a new folder, or add --resume to finish the run in it"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"--out {out_dir}: cannot create folder: {exc.strerror or exc}") from None
    lock = lock_out_dir(out_dir)
    if any(p.name != LOCK_FILE for p in out_dir.iterdir()):  # another run got here between our checks
        lock.close()
        raise OutputError(f"--out {out_dir}: folder is not empty; choose a new folder")
    return lock


def write_run_config(out_dir: Path, config: SweepConfig, created: str, command: str) -> None:
    """Store what this run measures, so that --resume can check it."""
    record = {"format": RUN_CONFIG_FORMAT, "created": created, "command": command, "config": config.to_json()}
    write_atomic(out_dir / CONFIG_FILE, json.dumps(record, indent=1) + "\n")


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
    """'field: stored X, given Y' for each measured setting that differs."""
    given = config.to_json()
    differences = []
    for key in sorted(set(stored) | set(given)):
        if key in RESUMABLE_CHANGES:
            continue
        if stored.get(key) != given.get(key):
            differences.append(f"{key}: stored {stored.get(key)!r}, given {given.get(key)!r}")
    return differences


def resume_out_dir(out_dir: Path, config: SweepConfig):
    """Lock a run folder for --resume and check its configuration; returns (lock, record)."""
    if not out_dir.is_dir():
        raise UsageError(f"--resume: {out_dir} is not a run folder")
    lock = lock_out_dir(out_dir)
    try:
        record = read_run_config(out_dir)
        differences = config_differences(dict(record.get("config") or {}), config)
        if differences:
            raise UsageError(
                f"--resume: the run in {out_dir} was made with a different configuration ("
                + "; ".join(differences)
                + f"). Resume it with its own options: {record.get('command', '')}"
            )
    except BaseException:
        lock.close()
        raise
    return lock, record


def build_results(config: SweepConfig, points, created: str, command: str, environment: dict,
                  warnings: list[str]) -> Results:
    """Results of a run: per-layer costs, and predictions at ``config.predict_layers``."""
    from hloscope.results.per_layer import per_layer_costs

    extra = {"per_layer": per_layer_costs(points)}
    warnings = list(warnings)
    if config.predict_layers:
        extra["predictions"], unpredicted = predictions(points, config.predict_layers)
        warnings += unpredicted
    if warnings:
        extra["warnings"] = list(warnings)
    return Results(created=created, command=command, environment=environment,
                   config=config.to_json(), points=tuple(points), extra=extra)


def predictions(points, layers) -> tuple[list[dict], list[str]]:
    """Every growth fit predicted at each of ``layers``, and a warning per fit that cannot be.

    A fit anchored at its smallest measured L cannot go below it; one
    prediction that cannot be made must not cost the run its results.
    """
    records, missing = [], {}
    for growth in fit_growth(points):
        for L in layers:
            try:
                records.append(growth.predict(L).to_json())
            except (ValueError, OverflowError) as exc:
                name = f"{growth.model} {growth.variant} {growth.metric}"
                missing.setdefault((L, str(exc) or type(exc).__name__), []).append(name)
    # One warning per layer count and reason, not one per metric.
    warnings = [
        f"--predict-layers {L}: {len(names)} fit(s) not predicted ({reason}): {', '.join(names[:3])}"
        + (", ..." if len(names) > 3 else "")
        for (L, reason), names in missing.items()
    ]
    return records, warnings


def write_outputs(results: Results, out_dir: Path) -> None:
    """Write results.json and index.html atomically."""
    from hloscope.report import render_html
    from hloscope.report.view import fit_report_growth

    # One fit serves both: the report's metrics begin with the stored ones, in order.
    growth = fit_report_growth(results)
    stored = [g.to_json() for g in growth if g.metric in DEFAULT_METRICS]
    save_results(results, out_dir / "results.json", stored)
    write_atomic(out_dir / "index.html", render_html(results, growth))


def analyze(
    config: SweepConfig,
    out_dir: Path,
    command: str = "",
    progress: Progress | None = None,
    resume: bool = False,
) -> Results:
    """Measure every point of ``config`` and write results and report to ``out_dir``.

    With ``resume``, points already in ``out_dir/points.jsonl`` are kept and
    only the rest are measured. Raises Interrupted (exit status 130) after
    writing results and report when Ctrl-C stopped the sweep.
    """
    from hloscope.run.environment import capture_environment

    out_dir = Path(out_dir)
    warnings: list[str] = []
    if resume:
        lock, record = resume_out_dir(out_dir, config)
        created = str(record.get("created") or utc_now().isoformat(timespec="seconds"))
        command = str(record.get("command") or command)
    else:
        lock = prepare_out_dir(out_dir)
        created = utc_now().isoformat(timespec="seconds")
    try:
        if not resume:
            write_run_config(out_dir, config, created, command)
        recorded = read_points(out_dir / POINTS_FILE)
        drop_torn_tail(out_dir / POINTS_FILE, recorded.valid_bytes)
        for warning in recorded.warnings:
            warnings.append(warning)
            if progress is not None:
                progress.message(f"hloscope: warning: {warning}")
        environment = capture_environment()
        outcome = run_sweep(config, out_dir, progress, recorded.points)
        if outcome.interrupted:
            warnings.append(
                f"interrupted: {len(outcome.points)} of {len(config.plan())} points measured; "
                "run again with --resume to finish"
            )
        results = build_results(config, outcome.points, created, command, environment, warnings)
        try:
            write_outputs(results, out_dir)
        except OutputError as exc:
            # Every finished point is already in points.jsonl: say how to get the outputs back.
            raise OutputError(
                f"{exc}; every finished point is kept in {out_dir / POINTS_FILE}: "
                "once the cause is fixed, rerun with --resume to write results and report"
            ) from None
    finally:
        lock.close()
    if outcome.interrupted:
        raise Interrupted(
            f"interrupted: wrote results and report for {len(outcome.points)} of {len(config.plan())} "
            f"points to {out_dir}; add --resume to finish the run"
        )
    return results
