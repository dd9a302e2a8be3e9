"""Shared by the engine benchmarks: run a sweep, or load one that was run."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hloscope.run.config import SweepConfig  # noqa: E402
from hloscope.results import Results, load_results  # noqa: E402


def sweep(config: SweepConfig, quiet: bool = False) -> Results:
    """Run ``config`` into a temporary folder with hloscope's own pipeline."""
    from hloscope.run.pipeline import analyze
    from hloscope.run.progress import Progress

    with tempfile.TemporaryDirectory(prefix="hloscope-bench-") as root:
        progress = Progress(config.plan(), enabled=not quiet)
        return analyze(config, Path(root) / "run", "benchmark", progress).results


def results_or_sweep(path: str | None, config: SweepConfig, quiet: bool = False) -> Results:
    """Load ``path`` (a results.json or run folder) when given, else measure ``config``."""
    if path:
        return load_results(path)
    return sweep(config, quiet)
