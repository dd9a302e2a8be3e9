"""Shared test set-up: CPU only, quiet JAX; fixtures several test files use."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")


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
