"""Run folders: points.jsonl reading, resume checks and the lock (no measuring)."""

import json

import pytest
from click.testing import CliRunner

from hloscope.cli import main
from hloscope.run.config import SweepConfig
from hloscope.errors import ResultsError
from hloscope.run.folder import LOCK_FILE, append_point, drop_torn_tail, lock_out_dir, read_points, write_run_config
from hloscope.run.progress import Estimate, Progress, estimate_remaining, format_duration
from hloscope.results import Point
from hloscope.run.sweep import measure_order

TINY = ["--model", "linear", "--features", "16", "--repeats", "1", "--layers", "1,2"]


def point(variant, layers, status="ok"):
    return Point("linear", variant, layers, status)


def test_read_points_skips_a_torn_last_line(tmp_path):
    path = tmp_path / "points.jsonl"
    append_point(path, point("scan", 1))
    append_point(path, point("unroll", 1))
    whole = path.stat().st_size
    with open(path, "a") as handle:
        handle.write('{"model": "linear", "vari')
    recorded = read_points(path)
    assert [p.key for p in recorded.points] == [("linear", "forward", "scan", 1), ("linear", "forward", "unroll", 1)]
    assert len(recorded.warnings) == 1 and "torn" in recorded.warnings[0]
    assert recorded.valid_bytes == whole
    drop_torn_tail(path, recorded.valid_bytes)
    append_point(path, point("scan", 2))
    assert len(read_points(path).points) == 3 and not read_points(path).warnings


def test_read_points_rejects_damage_before_the_last_line(tmp_path):
    path = tmp_path / "points.jsonl"
    path.write_text('{"model": "linear"}\n' + json.dumps(point("scan", 1).to_json()) + "\n")
    with pytest.raises(ResultsError, match="line 1"):
        read_points(path)


def test_read_points_of_a_missing_file_is_empty(tmp_path):
    assert read_points(tmp_path / "points.jsonl").points == ()


def make_stored_run(out, layers=(1, 2)):
    out.mkdir()
    config = SweepConfig(models=("linear",), layers=layers, features=16, repeats=1)
    write_run_config(out, config, "2024-01-01T00:00:00+00:00", "hloscope analyze ...")


def test_resume_with_a_different_configuration_is_refused(tmp_path):
    out = tmp_path / "run"
    make_stored_run(out, layers=(1, 2, 4))
    result = CliRunner().invoke(main, ["analyze", *TINY, "--out", str(out), "--resume"])
    assert result.exit_code == 2, result.output
    assert "different configuration" in result.output and "layers" in result.output
    assert not (out / "points.jsonl").exists()


def test_a_run_stored_before_unroll_was_separate_modules_is_not_resumed(tmp_path):
    out = tmp_path / "run"
    make_stored_run(out)
    record = json.loads((out / "config.json").read_text())
    assert record["config"]["unroll_construction"] == "separate-modules"
    del record["config"]["unroll_construction"]
    (out / "config.json").write_text(json.dumps(record))
    result = CliRunner().invoke(main, ["analyze", *TINY, "--out", str(out), "--resume"])
    assert result.exit_code == 2, result.output
    assert "unroll_construction: stored 'sliced-stack', given 'separate-modules'" in result.output
    assert not (out / "points.jsonl").exists()


def test_resume_of_a_folder_without_a_run_is_refused(tmp_path):
    (tmp_path / "run").mkdir()
    result = CliRunner().invoke(main, ["analyze", *TINY, "--out", str(tmp_path / "run"), "--resume"])
    assert result.exit_code == 2 and "no config.json" in result.output


def test_resume_needs_out():
    result = CliRunner().invoke(main, ["analyze", *TINY, "--resume"])
    assert result.exit_code == 2 and "--out" in result.output


@pytest.mark.parametrize("resume", [False, True])
def test_a_second_run_on_a_locked_folder_is_refused(tmp_path, resume):
    out = tmp_path / "run"
    make_stored_run(out) if resume else out.mkdir()
    held = lock_out_dir(out)
    try:
        args = ["analyze", *TINY, "--out", str(out)] + (["--resume"] if resume else [])
        result = CliRunner().invoke(main, args)
    finally:
        held.close()
    assert result.exit_code == 2, result.output
    assert "another hloscope analyze is running" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([LOCK_FILE] + (["config.json"] if resume else []))


def test_progress_plain_lines_and_quiet(tmp_path):
    import io

    plan = [("linear", "forward", "scan", 1), ("linear", "forward", "unroll", 1)]
    stream = io.StringIO()
    progress = Progress(plan, stream=stream, live=False)
    progress.begin("linear", "forward", "scan", 1)
    progress.end(point("scan", 1))
    progress.close()
    assert stream.getvalue().startswith("[1/2] linear scan L=1: ok")
    assert "remaining" in stream.getvalue()

    silent = io.StringIO()
    quiet = Progress(plan, stream=silent, enabled=False)
    quiet.begin("linear", "forward", "scan", 1)
    quiet.message("interrupted")
    quiet.end(point("scan", 1))
    quiet.close()
    assert silent.getvalue() == ""


def test_progress_bar_on_a_terminal():
    import io

    stream = io.StringIO()
    progress = Progress([("linear", "forward", "scan", 1)], stream=stream, live=True)
    progress.begin("linear", "forward", "scan", 1)
    progress.close()
    assert "[--------------------] 0/1 linear scan L=1" in stream.getvalue()
    stream = io.StringIO()
    progress = Progress([("linear", "train", "scan", 1)], stream=stream, live=True)
    progress.begin("linear", "train", "scan", 1)
    progress.close()
    assert "[--------------------] 0/1 linear train/scan L=1" in stream.getvalue()


def test_remaining_time_grows_with_layers_for_a_growing_series():
    done = [("m", "forward", "unroll", 1, 1.0), ("m", "forward", "unroll", 2, 2.0), ("m", "forward", "unroll", 4, 4.0),
            ("m", "forward", "scan", 1, 1.0), ("m", "forward", "scan", 2, 1.0), ("m", "forward", "scan", 4, 1.0)]
    remaining = [("m", "forward", "unroll", 8), ("m", "forward", "scan", 8)]
    assert estimate_remaining(done, remaining) == Estimate(pytest.approx(8.0 + 1.0), 0)
    # Two layer counts are a line already (measured from the outside in, they span the range).
    assert estimate_remaining(done[:2], [("m", "forward", "unroll", 8)]).seconds == pytest.approx(8.0)
    # One layer count: its mean.
    assert estimate_remaining(done[:1], [("m", "forward", "unroll", 8)]).seconds == pytest.approx(1.0)
    # A series not started yet has no estimate: the rest is a lower bound, and says how much it misses.
    # The training step of a model is a series of its own.
    partial = estimate_remaining(done, [("m", "forward", "unroll", 8), ("other", "forward", "unroll", 8),
                                        ("m", "train", "unroll", 8)])
    assert partial == Estimate(pytest.approx(8.0), 2)
    assert estimate_remaining([], remaining) is None
    assert format_duration(65) == "1:05" and format_duration(3725) == "1:02:05"


def test_points_are_measured_from_the_outside_in():
    config = SweepConfig(models=("a", "b"), layers=(1, 2, 4, 8, 16), steps=("forward", "train"))
    order = measure_order(config.plan())
    assert sorted(order) == sorted(config.plan())
    assert [L for m, s, v, L in order if m == "a" and s == "forward" and v == "scan"] == [1, 16, 2, 8, 4]
    # The steps and variants of one layer count together: they share its parameters.
    assert order[:4] == [("a", "forward", "scan", 1), ("a", "forward", "unroll", 1),
                         ("a", "train", "scan", 1), ("a", "train", "unroll", 1)]
