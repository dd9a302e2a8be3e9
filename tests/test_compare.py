"""`hloscope compare`: the diff of two runs."""

from __future__ import annotations

from click.testing import CliRunner

from hloscope.cli import main
from test_report import healthy_path, regressed_path


def test_compare_names_the_regression(tmp_path):
    out = tmp_path / "diff.html"
    result = CliRunner().invoke(main, ["compare", str(healthy_path()), str(regressed_path()), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "regression: linear scan compile_s: O(1)" in result.output
    assert "regression: linear scan hlo.pre.instructions: O(1)" in result.output
    assert "warning: environments differ: jax: 0.10.2 -> 0.11.0" in result.output
    html = out.read_text()
    assert "regression(s)" in html and 'class="tag tag-regression"' in html
    assert "<svg" in html and "0.10.2" in html and "0.11.0" in html


def test_compare_the_other_way_is_an_improvement(tmp_path):
    result = CliRunner().invoke(main, ["compare", str(regressed_path()), str(healthy_path())])
    assert result.exit_code == 0, result.output
    assert "improvement: linear scan compile_s" in result.output
    assert "0 regression(s)" in result.output


def test_compare_a_run_with_itself():
    result = CliRunner().invoke(main, ["compare", str(healthy_path()), str(healthy_path())])
    assert result.exit_code == 0
    assert "environments differ" not in result.output
    assert "0 regression(s), 0 improvement(s)" in result.output


def test_compare_rejects_bad_input(tmp_path):
    result = CliRunner().invoke(main, ["compare", str(healthy_path()), str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "no such file" in result.output
