"""A sweep survives crashes, timeouts, kills and Ctrl-C (tiny models, real CLI in a subprocess)."""

import json
import os
import signal
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


def test_worker_crash_fails_its_point_and_a_torn_line_is_redone_on_resume(tmp_path):
    out = tmp_path / "run"
    code, stdout, stderr = cli(out, "--layers", "1,2", faults="crash:linear/scan/1,exit:linear/unroll/2")
    assert code == 1, stderr
    points = statuses(out)
    assert points[("scan", 1)].status == "failed" and "SIGSEGV" in points[("scan", 1)].error
    assert points[("unroll", 2)].status == "failed" and "status 3" in points[("unroll", 2)].error
    assert points[("unroll", 1)].ok and points[("scan", 2)].ok
    assert "SIGSEGV" in (out / "index.html").read_text()

    # A crash while writing leaves half a line: resume ignores it, with a warning, and redoes that point.
    whole = recorded_lines(out)
    (out / "points.jsonl").write_text("\n".join(whole[:-1]) + "\n" + whole[-1][: len(whole[-1]) // 2])
    code, _, stderr = cli(out, "--layers", "1,2", "--resume")
    assert code == 1, stderr  # scan L=1 is still a failed point
    assert "torn last line" in stderr
    lines = recorded_lines(out)
    assert len(lines) == 4 and lines[:3] == whole[:3]
    points = statuses(out)
    assert points[("unroll", 2)].ok and points[("scan", 1)].status == "failed"
    assert any("torn" in w for w in load_results(out).extra.get("warnings", []))


def test_timeout_kills_the_point_and_a_fresh_worker_measures_the_rest(tmp_path):
    out = tmp_path / "run"
    # The timeout leaves room for a fresh worker's points on a loaded 2-core machine.
    code, stdout, stderr = cli(out, "--layers", "1,2", "--timeout", "20", faults="hang:linear/unroll/1")
    assert code == 1, stderr
    points = statuses(out)
    assert points[("unroll", 1)].status == "timeout"
    assert "--timeout 20" in points[("unroll", 1)].error
    assert all(points[key].ok for key in [("scan", 1), ("scan", 2), ("unroll", 2)])
    raw = json.loads((out / "results.json").read_text())
    assert {(g["variant"], g["metric"]) for g in raw["growth"]} >= {("scan", "compile_s")}


def test_resume_after_sigkill_finishes_without_redoing_a_point(tmp_path):
    out = tmp_path / "run"
    args = ["--layers", "1,2"]
    process = cli(out, *args, faults="sleep=2:linear/scan/2", wait=False)
    wait_for_points(out, 2, process)
    process.kill()
    process.wait()
    before = [line for line in recorded_lines(out) if line.endswith("}")]
    assert 2 <= len(before) < 4
    assert not (out / "results.json").exists()

    code, stdout, stderr = cli(out, *args, "--resume")
    assert code == 0, stderr
    after = recorded_lines(out)
    assert after[: len(before)] == before  # finished points kept as they were
    keys = [(r["variant"], r["layers"]) for r in map(json.loads, after)]
    assert len(keys) == len(set(keys)) == 4
    assert len(load_results(out).points) == 4


def test_ctrl_c_stops_after_the_current_point_and_writes_what_finished(tmp_path):
    out = tmp_path / "run"
    process = cli(out, "--layers", "1,2", faults="sleep=4:linear/unroll/1", wait=False)
    wait_for_points(out, 1, process)
    time.sleep(0.5)  # the second point is sleeping in the worker now
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=240)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    points = load_results(out).points
    assert [(p.variant, p.layers) for p in points] == [("scan", 1), ("unroll", 1)]
    assert all(p.ok for p in points)
    assert (out / "index.html").exists()
