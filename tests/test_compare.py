"""`hloscope compare`: the diff of two runs."""

from __future__ import annotations

from click.testing import CliRunner

from hloscope.results.analysis import analyze_run
from hloscope.cli import main
from hloscope.results.compare import compare_results
from hloscope.results import load_results, results_from_json
from test_report import healthy_path, regressed_path, sliced_path, synthetic_results


def test_compare_names_the_regression(tmp_path):
    out = tmp_path / "diff.html"
    result = CliRunner().invoke(main, ["compare", str(healthy_path()), str(regressed_path()), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "regression: linear scan compile_s: O(1)" in result.output
    assert "regression: linear scan hlo.pre.instructions: O(1)" in result.output
    assert "warning: environments differ: jax: 0.10.2 -> 0.11.0" in result.output
    # The regressed run's fusion pass is 4x slower: the comparison points at it.
    assert "linear unroll passes that changed most at L=8: fusion 8.0 ms -> 32.0 ms (+24.0 ms)" in result.output
    assert "linear unroll compile_phases.hlo_passes_s at L=8: 12.5 ms -> 36.5 ms (2.92x)" in result.output
    html = out.read_text()
    assert "Passes whose time changed most" in html and "<code>fusion</code>" in html
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
    assert "note: both sides are the same run (created 2026-01-02T03:04:05+00:00): nothing can have changed" in result.output
    other = CliRunner().invoke(main, ["compare", str(healthy_path()), str(regressed_path())])
    assert "same run" not in other.output


def test_compare_rejects_bad_input(tmp_path):
    result = CliRunner().invoke(main, ["compare", str(healthy_path()), str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "no such file" in result.output


def _sliced_unroll_growing_faster() -> dict:
    """A run made before unroll_construction was recorded, whose (sliced) unroll compiles O(L^2)."""
    record = synthetic_results(construction=None)
    for p in record["points"]:
        if p["variant"] == "unroll" and p["status"] == "ok":
            median = 0.02 * p["layers"] ** 2
            p["timing"]["compile_s"] = {"median": median, "min": median, "max": median, "samples": [median]}
    return record


def test_a_changed_unroll_is_neither_a_regression_nor_an_improvement(tmp_path):
    base = tmp_path / "before.json"
    base.write_text(__import__("json").dumps(_sliced_unroll_growing_faster()))
    out = tmp_path / "diff.html"
    result = CliRunner().invoke(main, ["compare", str(base), str(healthy_path()), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert ("warning: the unrolled baseline changed: base's unroll is a Python loop slicing layer i out of the "
            "stacked parameters inside the jitted forward (sliced-stack), new's is L separate modules, the way "
            "an unrolled model is written (separate-modules)") in result.output
    assert "new's unroll-sliced is built as base's unroll was" in result.output
    # Without the change, O(L^2) -> O(L) would read as an improvement.
    assert "linear unroll compile_s" not in "".join(l for l in result.output.splitlines() if "improvement:" in l)
    assert "0 regression(s)" in result.output
    assert "linear unroll compile_s at L=8: 1.28 s -> 160.0 ms (0.12x, baseline changed)" in result.output
    comparison = compare_results(analyze_run(results_from_json(_sliced_unroll_growing_faster())), analyze_run(load_results(healthy_path())))
    verdicts = {(c.variant, c.metric): c.verdict for c in comparison.growth}
    assert verdicts[("unroll", "compile_s")] == "baseline changed" and verdicts[("scan", "compile_s")] == "same"
    html = out.read_text()
    assert "baseline changed</span> The unrolled baseline changed" in html


def test_runs_that_built_unroll_alike_compare_as_before():
    comparison = compare_results(analyze_run(load_results(sliced_path())), analyze_run(load_results(sliced_path())))
    assert comparison.baseline_change is None
    assert compare_results(analyze_run(load_results(healthy_path())), analyze_run(load_results(regressed_path()))).baseline_change is None


def test_compare_warns_when_the_models_sizes_differ():
    record = synthetic_results()
    record["config"]["sizes"]["linear"]["features"] = 32
    comparison = compare_results(analyze_run(load_results(healthy_path())), analyze_run(results_from_json(record)))
    assert [key for key, _, _ in comparison.environment] == ["config.sizes"]
    older = synthetic_results()
    del older["config"]["sizes"]  # a run made before sizes were recorded
    comparison = compare_results(analyze_run(results_from_json(older)), analyze_run(load_results(healthy_path())))
    assert comparison.environment == ()
