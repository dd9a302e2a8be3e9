"""What an analyze run writes beside the points: per-layer costs, predictions, file modes."""

import json
import os
import stat

import pytest
from click.testing import CliRunner

from hloscope.cli import main
from hloscope.results.analysis import predictions_at
from hloscope.results.growth import Prediction
from hloscope.results import write_atomic

TINY = ["--model", "linear", "--features", "16", "--repeats", "1", "--layers", "2,4,8"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("analyze") / "run"
    result = CliRunner().invoke(main, ["analyze", *TINY, "--predict-layers", "1,16", "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_results_hold_per_layer_costs_of_the_model(run):
    record = json.loads((run / "results.json").read_text())
    per_layer = record["per_layer"]["linear"]
    assert per_layer["layers"] == [2, 4, 8]
    assert per_layer["opcodes"]["dot"]["per_layer"] == 1


def test_predictions_are_written_with_predict_layers(run):
    record = json.loads((run / "results.json").read_text())
    predicted = {(p["variant"], p["layers"]) for p in record["predictions"]}
    assert ("scan", 16) in predicted and ("unroll", 16) in predicted
    assert all(p["predicted"] is True for p in record["predictions"])


def test_a_prediction_that_cannot_be_made_is_one_warning_not_a_lost_run():
    class Fit:
        def __init__(self, metric):
            self.model, self.step, self.variant, self.metric = "linear", "forward", "unroll", metric

        def predict(self, layers):
            if layers < 2:
                raise ValueError("cannot extrapolate below L=2")
            return Prediction(self.model, self.variant, self.metric, layers, 1.0, 0.5, 2.0, "O(L)")

    records, warnings = predictions_at([Fit("compile_s"), Fit("hlo.pre.instructions")], (1, 16))
    assert [(r.metric, r.layers) for r in records] == [("compile_s", 16), ("hlo.pre.instructions", 16)]
    assert len(warnings) == 1
    assert warnings[0].startswith("--predict-layers 1: 2 fit(s) not predicted (cannot extrapolate below L=2)")
