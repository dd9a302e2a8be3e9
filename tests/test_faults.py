"""A sweep survives worker crashes and timeouts (tiny models, real CLI in a subprocess)."""

import json

from sweep_cli import cli, recorded_lines, statuses
from hloscope.results import load_results


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
