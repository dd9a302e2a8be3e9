"""Shared test set-up: CPU only, quiet JAX; fixtures several test files use."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")

# The files that run whole sweeps or compile many programs, slowest first (from
# `pytest -n 2 --dist loadfile --durations=40` on the 2-core machine). `make test`
# keeps each file in one process; handed out first, they leave the many quick
# files to fill in at the end, so both processes finish together. (pytest-xdist's
# own order, most tests per file first, left these for last.)
SLOW_FILES_FIRST = (
    "test_block_protocol.py",
    "test_block_state.py",
    "test_train.py",
    "test_bad_input.py",
    "test_faults.py",
    "test_analyze_cli.py",
    "test_per_layer.py",
    "test_pitfalls.py",
    "test_user_block.py",
    "test_unroll_construction.py",
    "test_output_faults.py",
    "test_interrupts.py",
    "test_sweep_results.py",
    "test_lowering.py",
    "test_models.py",
    "test_engine_speed.py",
    "test_phases.py",
)


def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False  # hand files out in the order below


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file's tests keep their order


@pytest.fixture
def cold_caches(monkeypatch):
    """Empty the worker's per-process caches (the last stack built, scan's outputs) for one test."""
    for name in ("_last_stack", "_last_layers", "_last_inputs"):
        monkeypatch.setattr(f"hloscope.models.stacking.{name}", None)
    monkeypatch.setattr("hloscope.run.equivalence._scan_outputs", {})


@pytest.fixture(scope="session")
def jax_texts() -> dict[str, str]:
    """Pre- and post-optimization HLO of small JAX programs (tests/hlo_cases/jax_programs.py),
    made once per test process in a 4-device process, keyed "PROGRAM.pre" / "PROGRAM.opt"."""
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
    script = Path(__file__).parent / "hlo_cases" / "jax_programs.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)
