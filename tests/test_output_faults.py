"""A full or read-only output place at report time: a clear error, and no finished point lost."""

import errno
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import hloscope.results.records
from hloscope.cli import main
from hloscope.results import load_results

TINY = ["analyze", "--model", "linear", "--features", "16", "--layers", "1", "--repeats", "1", "--quiet"]


def test_disk_full_when_writing_results_keeps_every_point(tmp_path, monkeypatch):
    out = tmp_path / "run"
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        # The run's own config.json may be written; the final outputs hit a full disk.
        if Path(dst).name in ("results.json", "index.html"):
            os.unlink(src)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(hloscope.results.records.os, "replace", replace)
    result = CliRunner().invoke(main, [*TINY, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "No space left on device" in result.output
    assert "results.json" in result.output
    assert "--resume" in result.output and "points.jsonl" in result.output
    lines = (out / "points.jsonl").read_text().splitlines()
    assert len(lines) == 2
    assert {(p["variant"], p["layers"]) for p in map(json.loads, lines)} == {("scan", 1), ("unroll", 1)}
    assert not (out / "results.json").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")], "no temporary file is left behind"

    # Once there is room again, --resume measures nothing and writes the outputs.
    monkeypatch.setattr(hloscope.results.records.os, "replace", real_replace)
    again = CliRunner().invoke(main, [*TINY, "--out", str(out), "--resume"])
    assert again.exit_code == 0, again.output
    assert len(load_results(out / "results.json").points) == 2
    assert (out / "points.jsonl").read_text().splitlines() == lines


HEALTHY = Path(__file__).parent / "golden" / "results_healthy.json"


def test_report_into_a_read_only_place_says_so(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # A folder nobody may write in, root included: what the system says when creating a file there.
    monkeypatch.setattr(hloscope.results.records.tempfile, "mkstemp", refuse)
    before = HEALTHY.read_bytes()
    target = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(HEALTHY), "--out", str(target)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert str(target) in result.output and "Permission denied" in result.output
    assert HEALTHY.read_bytes() == before
    assert not target.exists()


def test_report_into_a_missing_folder_says_so(tmp_path):
    target = tmp_path / "no" / "such" / "folder" / "report.html"
    result = CliRunner().invoke(main, ["report", str(HEALTHY), "--out", str(target)])
    assert result.exit_code == 2, result.output
    assert str(target) in result.output
