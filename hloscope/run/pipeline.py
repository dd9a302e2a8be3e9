"""The analyze pipeline: check, sweep, persist results, render the report.

The run folder and its files belong to ``hloscope.run.folder.RunFolder``;
points are measured by ``hloscope.run.worker.Worker``.
"""

from __future__ import annotations

from pathlib import Path

from hloscope.errors import HloscopeError
from hloscope.results import Results
from hloscope.results.analysis import RunAnalysis, analysis_text, analyze_run
from hloscope.run.checks import CheckedModels, check_options
from hloscope.run.config import SweepConfig
from hloscope.run.folder import RunFolder
from hloscope.run.progress import Progress
from hloscope.run.sweep import run_sweep
from hloscope.run.worker import Worker


class Interrupted(HloscopeError):
    """The sweep was stopped by Ctrl-C; results and report hold what finished."""

    exit_code = 130


def build_results(config: SweepConfig, points, created: str, command: str, environment: dict,
                  warnings: list[str], sizes: dict[str, dict] | None = None) -> Results:
    """The run's record: what was measured and where, and the warnings the run itself raised.

    ``sizes`` (model name -> the sizes the worker resolved it to) goes into
    the config as ``sizes``: options left to a model's defaults are None in
    the config, the sizes say what was measured.
    """
    extra = {"warnings": list(warnings)} if warnings else {}
    record = config.to_json()
    record["sizes"] = dict(sizes or {})
    return Results(created=created, command=command, environment=environment,
                   config=record, points=tuple(points), extra=extra)


def write_outputs(analysis: RunAnalysis, folder: RunFolder) -> None:
    """Write results.json and index.html atomically, from one analysis of the points."""
    from hloscope.report import render_html

    folder.write_outputs(analysis_text(analysis), render_html(analysis))


def _open_folder(config: SweepConfig, out_dir: Path, command: str, resume: bool, worker: Worker,
                 progress: Progress) -> tuple[RunFolder, CheckedModels]:
    """Check the models in the worker, then lock the run folder (a resumed one first).

    A resumed folder's configuration is checked before the worker starts, a
    new folder is made only once the models passed: a bad model or option
    costs no folder.
    """
    if resume:
        folder = RunFolder.resume(out_dir, config)
    else:
        RunFolder.check_new(out_dir)
    try:
        checked = worker.check(config)
        for warning in sorted(set(checked.warnings)):
            progress.message(f"hloscope: warning: {warning}")
            progress.shown_warnings.add(warning)
        if not resume:
            folder = RunFolder.create(out_dir, config, command)
    except BaseException:
        if resume:
            folder.close()
        raise
    return folder, checked


def analyze(
    config: SweepConfig,
    out_dir: Path,
    command: str = "",
    progress: Progress | None = None,
    resume: bool = False,
) -> RunAnalysis:
    """Measure every point of ``config``, write results and report to ``out_dir``; return the analysis.

    The options are checked here and the models in the worker before any
    folder is made (UsageError or ModelError, exit status 2). With
    ``resume``, points already in ``out_dir/points.jsonl`` are kept and only
    the rest are measured. Raises Interrupted (exit status 130) after
    writing results and report when Ctrl-C stopped the sweep. This process
    never initialises a JAX backend: the worker measures and reports the
    environment.
    """
    check_options(config)
    progress = progress or Progress(config.plan(), enabled=False)
    worker = Worker()
    try:
        folder, checked = _open_folder(config, Path(out_dir), command, resume, worker, progress)
    except BaseException:
        worker.kill()
        raise
    with folder:
        warnings: list[str] = []
        recorded = folder.recorded_points()
        for warning in recorded.warnings:
            warnings.append(warning)
            progress.message(f"hloscope: warning: {warning}")
        environment = worker.environment
        outcome = run_sweep(config, folder, worker, progress, recorded.points)
        if outcome.interrupted:
            warnings.append(
                f"interrupted: {len(outcome.points)} of {len(config.plan())} points measured; "
                "run again with --resume to finish"
            )
        results = build_results(config, outcome.points, folder.created, folder.command or command,
                                environment, warnings, checked.sizes)
        analysis = analyze_run(results)
        write_outputs(analysis, folder)
    if outcome.interrupted:
        raise Interrupted(
            f"interrupted: wrote results and report for {len(outcome.points)} of {len(config.plan())} "
            f"points to {folder.path}; add --resume to finish the run"
        )
    return analysis
