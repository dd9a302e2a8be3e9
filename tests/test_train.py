"""The training step: built around every variant's forward, measured as a point, compared with scan's."""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from hloscope.cli import main
from hloscope.models.stacking import build_stack
from hloscope.models.state import arrays_by_type
from hloscope.models.train import check_trainable, train_sizes
from hloscope.results import Point, load_results, results_from_json
from hloscope.results.analysis import analyze_run
from hloscope.results.check import check_results, parse_expect
from hloscope.run.checks import resolve_model
from hloscope.run.config import SweepConfig
from hloscope.run.equivalence import check_equivalence
from hloscope.run.folder import config_differences
from hloscope.run.measure import measure_point
from hloscope.run.train_equivalence import compare_train_results
from hloscope.run.worker import _parse_faults
from test_report import synthetic_results

MLP = SweepConfig(models=("mlp",), features=16, repeats=1, layers=(2, 4), steps=("train",))


@pytest.fixture(scope="module")
def train_points():
    return {(v, L): measure_point(MLP, "mlp", v, L, step="train") for L in (2, 4) for v in ("scan", "unroll")}


def test_a_training_point_records_the_step_and_what_it_carries(train_points):
    assert all(p.ok and p.step == "train" for p in train_points.values()), [p.error for p in train_points.values()]
    scan2, scan4 = train_points[("scan", 2)], train_points[("scan", 4)]
    unroll2, unroll4 = train_points[("unroll", 2)], train_points[("unroll", 4)]
    # The scanned step holds a forward and a backward while loop and is the same program at every L.
    assert scan2.hlo["pre"]["while_loops"] >= 2
    assert scan2.hlo["pre"]["instructions"] == scan4.hlo["pre"]["instructions"]
    assert unroll2.hlo["pre"]["while_loops"] == 0
    assert unroll4.hlo["pre"]["instructions"] > unroll2.hlo["pre"]["instructions"]
    for L in (2, 4):
        scan, unroll = train_points[("scan", L)], train_points[("unroll", L)]
        # The same numbers, stacked or not: same bytes; L times as many arrays unrolled.
        assert scan.value("params.bytes") == unroll.value("params.bytes") > 0
        assert scan.value("optimizer_state.bytes") == unroll.value("optimizer_state.bytes") > scan.value("params.bytes")
    assert scan2.value("params.leaves") == scan4.value("params.leaves")
    assert scan2.value("optimizer_state.leaves") == scan4.value("optimizer_state.leaves")
    assert unroll4.value("params.leaves") == 2 * unroll2.value("params.leaves") == 4 * scan2.value("params.leaves")
    assert unroll4.value("optimizer_state.leaves") > unroll2.value("optimizer_state.leaves")


def test_parameters_and_optimizer_state_are_donated_and_the_step_runs_as_a_loop(train_points):
    for p in train_points.values():
        # XLA aliases the donated parameters and optimizer state to the step's outputs.
        assert p.extra["memory"]["alias_bytes"] >= p.value("params.bytes") + p.value("optimizer_state.bytes")
        # Each timed call consumed the arguments the call before returned.
        assert len(p.extra["runtime_s"]["samples"]) >= 3


def test_the_unrolled_step_matches_scans_loss_gradients_and_parameters(train_points):
    record = train_points[("unroll", 4)].extra["equivalence"]
    assert record["ok"] and record["against"] == "scan"
    assert record["max_abs_diff"] <= record["tolerance"]
    assert record["loss"]["ok"] and record["gradients"]["ok"]
    assert train_points[("scan", 4)].extra["equivalence"] is None


@pytest.mark.parametrize("variant", ["unroll-sliced", "scan-unroll-2", "scan-remat"])
def test_every_variants_training_step_matches_scan(variant):
    spec = resolve_model(SweepConfig(features=16), "mlp")
    record = check_equivalence(spec, variant, 3, step="train")
    assert record["ok"], record
    assert record["gradients"]["max_abs_diff"] <= record["gradients"]["tolerance"]


def test_a_gradient_zero_up_to_rounding_may_step_either_way():
    # Attention's key bias: softmax ignores it, its gradient is rounding noise, Adam turns noise into a full step.
    spec = resolve_model(SweepConfig(features=16, heads=2, seq_len=4), "transformer")
    record = check_equivalence(spec, "unroll", 2, step="train")
    assert record["ok"], record
    assert record["zero_gradients"]["parameters"] > 0


ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("block, options", [
    ("tests/blocks/dropout_block.py", {"input_shape": (4, 32)}),
    ("examples/decoder_block.py", {"inputs": "examples/decoder_block.py:make_inputs"}),
    ("examples/aux_loss_block.py", {"input_shape": (8, 16)}),
])
def test_blocks_with_rng_state_extras_or_aux_train_as_scan_does(block, options):
    # Dropout's RNG keys and counts are carried into the forward, not differentiated; the decoder's mask and
    # positions reach every layer; the MoE block returns (y, aux), whose y alone makes the loss.
    options = {k: str(ROOT / v) if k == "inputs" else v for k, v in options.items()}
    spec = resolve_model(SweepConfig(models=(f"{ROOT / block}:make_block",), steps=("train",), **options), "make_block")
    stack = build_stack(spec, 2)
    check_trainable(spec, stack)
    record = check_equivalence(spec, "unroll", 2, step="train")
    assert record["ok"] and record["loss"]["ok"] and record["gradients"]["ok"], record
    params = arrays_by_type(stack.states[1])["Param"]
    assert train_sizes(stack, "scan")["params"]["leaves"] == params
    assert train_sizes(stack, "unroll")["params"]["leaves"] == 2 * params


def _result(loss=1.0, params=None, gradients=None):
    params = params if params is not None else [np.array([0.5, -0.25, 0.001], np.float32)]
    gradients = gradients if gradients is not None else [np.array([0.2, -0.1, 1e-12])]
    return {"loss": np.float32(loss), "params": params, "gradients": gradients}


def test_train_comparison_fails_on_what_a_wrong_step_changes():
    reference = _result()
    assert compare_train_results(reference, _result())["ok"]
    # A parameter with a real gradient moved differently.
    moved = compare_train_results(reference, _result(params=[np.array([0.501, -0.25, 0.001], np.float32)]))
    assert not moved["ok"] and moved["max_abs_diff"] > moved["tolerance"]
    # Another gradient: the backward pass differs.
    other = compare_train_results(reference, _result(gradients=[np.array([0.2, -0.12, 1e-12])]))
    assert not other["ok"] and not other["gradients"]["ok"]
    assert not compare_train_results(reference, _result(loss=1.01))["loss"]["ok"]
    # The parameter whose gradient is zero up to rounding may differ by up to two learning rates.
    noise = compare_train_results(reference, _result(params=[np.array([0.5, -0.25, -0.001], np.float32)]))
    assert noise["ok"] and noise["zero_gradients"]["parameters"] == 1
    far = compare_train_results(reference, _result(params=[np.array([0.5, -0.25, 0.01], np.float32)]))
    assert not far["ok"] and not far["zero_gradients"]["ok"]


def test_train_comparison_names_a_mismatch_in_json_terms():
    reference = _result()
    fewer = compare_train_results(reference, _result(params=[np.zeros(2, np.float32)], gradients=[np.zeros(2)]))
    assert not fewer["ok"] and "parameter arrays" in fewer["mismatch"]
    nan = compare_train_results(reference, _result(loss=float("nan")))
    assert not nan["ok"] and "NaN" in nan["mismatch"]
    json.dumps(nan, allow_nan=False)


# ---- bad input: one line, exit 2, nothing written ----------------------------------------------

BLOCKS = textwrap.dedent(
    """\
    import jax.numpy as jnp
    from flax import nnx

    class Doubler(nnx.Module):
        def __call__(self, x):
            return 2 * x

    def no_params(rngs):
        return Doubler()

    class Shift(nnx.Module):
        def __init__(self, rngs):
            self.w = nnx.Param(jnp.ones(()))

        def __call__(self, x):
            return x + (self.w[...] > 0).astype(x.dtype)

    def shift(rngs):
        return Shift(rngs)
    """
)


def _analyze(tmp_path, *args):
    (tmp_path / "blocks.py").write_text(BLOCKS)
    return CliRunner().invoke(main, ["analyze", "--layers", "1,2", "--repeats", "1", "--out", str(tmp_path / "run"),
                                     *[a.replace("BLOCKS", str(tmp_path / "blocks.py")) for a in args]])


def _one_error(result) -> str:
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("hloscope: error:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    return errors[0]


def test_an_unknown_step_is_refused(tmp_path):
    error = _one_error(_analyze(tmp_path, "--step", "forward,backward"))
    assert "'backward'" in error and "forward, train" in error
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("factory, args, fragments", [
    ("no_params", ("--input-shape", "2,4"), ("no_params", "trainable parameters", "it holds no state")),
    ("shift", ("--input-shape", "2,4", "--dtype", "int32"), ("shift", "int32[2,4]", "not floating point")),
])
def test_a_block_that_cannot_train_is_refused_before_anything_is_written(tmp_path, factory, args, fragments):
    error = _one_error(_analyze(tmp_path, "--model", f"BLOCKS:{factory}", "--step", "train", *args))
    for fragment in fragments:
        assert fragment in error
    assert not (tmp_path / "run").exists()


# ---- steps in records, checks and comparisons --------------------------------------------------


def with_training_step(record: dict) -> dict:
    """A synthetic run that also measured the training step: scan flat, unroll growing, the same state bytes."""
    record = copy.deepcopy(record)
    record["config"]["steps"] = ["forward", "train"]
    train = []
    for p in record["points"]:
        q = {**copy.deepcopy(p), "step": "train"}
        if p["status"] == "ok":
            L, scanned = p["layers"], p["variant"].startswith("scan")
            q["timing"]["compile_s"] = {k: (v * 3 if not isinstance(v, list) else [s * 3 for s in v])
                                        for k, v in p["timing"]["compile_s"].items()}
            q["params"] = {"leaves": 2 if scanned else 2 * L, "bytes": 1088 * L}
            q["optimizer_state"] = {"leaves": 5 if scanned else 4 * L + 1, "bytes": 2 * 1088 * L + 4}
            q["memory"] = {**p["memory"], "temp_bytes": 512 * L if scanned else 300 * L}
        train.append(q)
    record["points"] += train
    return record


@pytest.fixture(scope="module")
def training_run():
    return analyze_run(results_from_json(with_training_step(synthetic_results())))


def test_a_point_without_step_reads_as_forward():
    record = synthetic_results()["points"][0]
    assert "step" not in record
    point = Point.from_json(record)
    assert point.step == "forward" and point.key == ("linear", "forward", "scan", 1)
    assert point.to_json()["step"] == "forward"
    assert Point.from_json({**record, "step": "train"}).key == ("linear", "train", "scan", 1)


def test_growth_and_analyses_are_per_step(training_run):
    assert [(m.name, m.step) for m in training_run.models] == [("linear", "forward"), ("linear", "train")]
    train = training_run.model("linear", "train")
    assert train.fit("scan", "optimizer_state.leaves").order == "O(1)"
    assert train.fit("unroll", "optimizer_state.leaves").order == "O(L)"
    assert training_run.model("linear").fit("scan", "optimizer_state.leaves") is None
    forward_fit = training_run.model("linear").fit("unroll", "compile_s")
    assert train.fit("unroll", "compile_s").values != forward_fit.values


def test_check_knows_the_step(training_run):
    default = check_results(training_run)
    assert "linear train/scan compile_s" in default.checked and "linear scan compile_s" in default.checked
    assert not default.violations
    held = check_results(training_run, [parse_expect("train/scan:compile_s=O(1)")])
    assert held.checked == ("linear train/scan compile_s",) and not held.violations
    # A bare VARIANT:METRIC means every step.
    broken = check_results(training_run, [parse_expect("unroll:compile_s=O(1)")])
    assert len(broken.violations) == 2 and any("linear train/unroll compile_s: O(L)" in v for v in broken.violations)


@pytest.mark.parametrize("spec, fragment", [("backward/scan:compile_s=O(1)", "unknown step 'backward'"),
                                            ("train/scan-compile_s=O(1)", "[STEP/]VARIANT:METRIC=VALUE")])
def test_check_refuses_an_unknown_step(tmp_path, spec, fragment):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(with_training_step(synthetic_results())))
    result = CliRunner().invoke(main, ["check", str(path), "--expect", spec])
    assert result.exit_code == 2 and fragment in result.output


def test_compare_keeps_the_steps_apart(tmp_path):
    base, new = tmp_path / "base.json", tmp_path / "new.json"
    base.write_text(json.dumps(with_training_step(synthetic_results())))
    new.write_text(json.dumps(with_training_step(synthetic_results(regressed=True))))
    result = CliRunner().invoke(main, ["compare", str(base), str(new)])
    assert result.exit_code == 1, result.output
    assert "regression: linear scan compile_s: O(1)" in result.output
    assert "regression: linear train/scan compile_s: O(1)" in result.output


def test_the_report_weighs_the_seeds_claim(tmp_path, training_run):
    from hloscope.report import render_html, render_markdown

    html, markdown = render_html(training_run), render_markdown(training_run)
    for text in (html, markdown):
        assert "96x the memory the optimizer-state pytree has to carry" in text
        assert "Measured at L = 8 (unroll against scan)" in text and "in both (the same numbers" in text
        assert "33 arrays unrolled against 5 scanned (6.6x as many)" in text
    assert "Training step: loss, gradients and one optax.adamw update" in html
    assert "linear training step" in html and "Temporary buffers XLA allocates for one step at L = 8" in html


def test_a_run_folder_from_before_steps_resumes_as_forward():
    stored = SweepConfig().to_json()
    del stored["steps"]
    assert config_differences(stored, SweepConfig()) == []
    assert config_differences(stored, SweepConfig(steps=("forward", "train")))


def test_faults_name_a_training_point():
    assert _parse_faults("crash:linear/scan/1,exit:transformer/train/unroll/8") == {
        ("linear", "forward", "scan", 1): "crash", ("transformer", "train", "unroll", 8): "exit"}
