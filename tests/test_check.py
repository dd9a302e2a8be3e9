"""`hloscope check`: the CI gate over a run's growth."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hloscope.results.analysis import analyze_run
from hloscope.results.check import check_results, normalize_order, parse_expect
from hloscope.cli import main
from hloscope.errors import UsageError
from hloscope.results import load_results
from test_report import healthy_path, regressed_path, sliced_path


def run(*args):
    return CliRunner().invoke(main, ["check", *map(str, args)])


def test_healthy_run_passes_the_default_policy():
    result = run(healthy_path())
    assert result.exit_code == 0, result.output
    assert "ok: 2 expectation(s) hold" in result.output
    assert "1 point(s) failed or timed out" in result.output
    # Each expectation that held is named, with the fit that met it.
    held = [line for line in result.output.splitlines() if line.startswith("held:")]
    assert held == [
        "held: linear scan compile_s: O(1) (exponent 0.00 (95% -0.21 to 0.21), fitted on L = 2, 4, 8), "
        "expected O(1) or better (default policy)",
        "held: linear scan hlo.pre.instructions: O(1) (exponent 0.00 (95% 0.00 to 0.00), fitted on L = 2, 4, 8), "
        "expected O(1) or better (default policy)",
    ]


def test_scan_growing_with_L_fails_with_one_line_per_violation():
    result = run(regressed_path())
    assert result.exit_code == 1
    violations = [line for line in result.output.splitlines() if line.startswith("violation:")]
    assert len(violations) == 2
    assert any("linear scan compile_s: O(L)" in v and "expected O(1) or better" in v for v in violations)
    assert any("linear scan hlo.pre.instructions: O(L)" in v for v in violations)


def test_expectations_and_exponent_bounds():
    assert run(healthy_path(), "--expect", "unroll:compile_s=O(L)", "--expect", "scan*:hlo.opt.instructions=1").exit_code == 0
    result = run(healthy_path(), "--expect", "unroll:compile_s=O(1)")
    assert result.exit_code == 1 and "linear unroll compile_s: O(L)" in result.output
    assert run(healthy_path(), "--max-exponent", "unroll:compile_s=1.5").exit_code == 0
    result = run(healthy_path(), "--max-exponent", "unroll:compile_s=0.5")
    assert result.exit_code == 1 and "exponent at most 0.5" in result.output


def test_checking_the_unroll_of_an_old_run_notes_how_it_was_built():
    result = run(sliced_path(), "--expect", "unroll:compile_s=O(L)")
    assert result.exit_code == 0, result.output
    assert "note: unroll in this run is a Python loop slicing layer i out of the stacked parameters" in result.output
    assert "unroll in this run" not in run(healthy_path(), "--expect", "unroll:compile_s=O(L)").output
    assert "unroll in this run" not in run(sliced_path()).output


@pytest.mark.parametrize("args, message", [
    (["--expect", "scan-compile_s=O(1)"], "VARIANT:METRIC=VALUE"),
    (["--expect", "scan:compile_time=O(1)"], "unknown metric"),
    (["--expect", "scan:compile_s=fast"], "not a growth order"),
    (["--max-exponent", "scan:compile_s=x"], "not a number"),
    (["--expect", "remat:compile_s=O(1)"], "no variant matches"),
])
def test_bad_usage_exits_2(args, message):
    result = run(healthy_path(), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_bad_results_file_exits_2(tmp_path):
    bad = tmp_path / "results.json"
    bad.write_text(json.dumps({"format": "something else"}))
    result = run(bad)
    assert result.exit_code == 2 and "not an hloscope results file" in result.output
    assert run(tmp_path / "missing.json").exit_code == 2


def test_too_few_points_is_a_violation():
    results = load_results(healthy_path())
    from dataclasses import replace

    only_one = replace(results, points=tuple(p for p in results.points if p.variant != "scan" or p.layers == 1))
    outcome = check_results(analyze_run(only_one))
    assert len(outcome.violations) == 2 and "cannot be fitted" in outcome.violations[0]


def test_order_spellings():
    assert normalize_order("1") == "O(1)" and normalize_order("O(L)") == "O(L)"
    assert normalize_order("O(L^2)") == "O(L^2.0)"
    with pytest.raises(UsageError):
        parse_expect("scan:compile_s=O(N)")


def test_report_compare_and_check_do_not_import_jax():
    import subprocess
    import sys

    code = ("import sys, hloscope.report, hloscope.results.compare, hloscope.results.check, hloscope.report.render; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'flax')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
