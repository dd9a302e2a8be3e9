"""The real `hloscope analyze` of a tiny model in a subprocess, with faults staged in its worker:
shared by the fault and interruption tests."""

import os
import subprocess
import sys
import time

import pytest

from hloscope.results import load_results
from hloscope.run.worker import TEST_FAULTS_ENV

TINY = ["--model", "linear", "--features", "16", "--repeats", "1"]


def cli(out, *args, faults="", wait=True):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env[TEST_FAULTS_ENV] = faults
    command = [sys.executable, "-m", "hloscope.cli", "analyze", *TINY, "--out", str(out), *args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return process
    stdout, stderr = process.communicate(timeout=300)
    return process.returncode, stdout, stderr


def recorded_lines(out):
    path = out / "points.jsonl"
    return path.read_text().splitlines() if path.exists() else []


def wait_for_points(out, count, process, timeout_s=240):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if len([line for line in recorded_lines(out) if line.endswith("}")]) >= count:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"no {count} points in time")


def statuses(out):
    return {(p.variant, p.layers): p for p in load_results(out / "results.json").points}
