"""The analyze pipeline: sweep, persist results, render the report."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Callable

from hloscope.errors import OutputError
from hloscope.growth import fit_growth
from hloscope.results import Point, Results, save_results, write_atomic
from hloscope.config import SweepConfig
from hloscope.sweep import run_sweep

REPORTS_ROOT = Path("reports")


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


def prepare_out_dir(out_dir: Path) -> Path:
    """Create an empty run folder; refuse one that holds an earlier run."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"--out {out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise OutputError(f"--out {out_dir}: folder is not empty; choose a new folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"--out {out_dir}: cannot create folder: {exc.strerror or exc}") from None
    return out_dir


def write_outputs(results: Results, out_dir: Path) -> None:
    """Write results.json and index.html atomically."""
    from hloscope.report import render_html

    growth = [g.to_json() for g in fit_growth(results.points)]
    save_results(results, out_dir / "results.json", growth)
    write_atomic(out_dir / "index.html", render_html(results))


def analyze(
    config: SweepConfig,
    out_dir: Path,
    command: str,
    on_point: Callable[[int, int, Point], None] | None = None,
) -> Results:
    """Measure every point of ``config`` and write results and report to ``out_dir``."""
    from hloscope.environment import capture_environment

    prepare_out_dir(out_dir)
    created = utc_now().isoformat(timespec="seconds")
    environment = capture_environment()
    points = run_sweep(config, out_dir, on_point)
    results = Results(
        created=created,
        command=command,
        environment=environment,
        config=config.to_json(),
        points=tuple(points),
    )
    write_outputs(results, out_dir)
    return results
