"""A sweep survives being killed and Ctrl-C (tiny models, real CLI in a subprocess)."""

import json
import signal
import time

from sweep_cli import cli, recorded_lines, wait_for_points
from hloscope.results import load_results


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
