"""`unroll` is L separate modules; `unroll-sliced` slices the stacked parameters inside the jit."""

import jax
import numpy as np
import pytest

from hloscope.hlo import summarize_hlo
from hloscope.models import builtin_model, parse_variant, stacking
from hloscope.variants import is_scan_family
from hloscope.run import equivalence
from hloscope.run.config import SweepConfig
from hloscope.run.measure import measure_point

TINY = {"features": 16, "heads": 2, "seq_len": 4, "batch": 2}


pytestmark = pytest.mark.usefixtures("cold_caches")


def _entry_parameters(spec, variant, layers):
    forward = stacking.forward_of(stacking.build_stack(spec, layers), variant, spec.make_input())
    text = jax.jit(forward.fn).trace(*forward.args).lower().as_text(dialect="hlo")
    return summarize_hlo(text).entry_parameters


@pytest.mark.parametrize("model", ["transformer", "stem-trunk-head"])
def test_unroll_passes_every_layers_arrays_as_arguments(model):
    spec = builtin_model(model, **TINY)
    layers = 3
    per_layer = stacking.layer_arrays(stacking.build_stack(spec, 1))
    assert per_layer >= 4
    assert _entry_parameters(spec, "unroll", layers) >= layers * per_layer
    # The sliced and scanned forwards take the stacked arrays: their count does not grow with L.
    for variant in ("unroll-sliced", "scan"):
        assert _entry_parameters(spec, variant, layers) == _entry_parameters(spec, variant, 2)
        assert _entry_parameters(spec, variant, layers) < layers * per_layer


def test_separate_modules_hold_the_stacks_values_bit_for_bit():
    spec = builtin_model("transformer", **TINY)
    stack = stacking.build_stack(spec, 3)
    layers = stacking.separate_layers(stack)
    assert layers.layers == 3 and layers.arrays_per_layer == stacking.layer_arrays(stack)
    stacked = jax.tree.leaves(stack.states[1])
    for i in range(3):
        own = jax.tree.leaves(layers.state[i])
        assert len(own) == len(stacked)
        for mine, theirs in zip(own, stacked):
            np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs)[i])


@pytest.mark.parametrize("variant", ["unroll", "unroll-sliced"])
def test_both_unrolled_forms_equal_scan_on_the_same_parameters(variant):
    spec = builtin_model("mlp", features=16, batch=2)
    stack = stacking.build_stack(spec, 4)
    x = spec.make_input()
    outputs = {}
    for name in ("scan", variant):
        forward = stacking.forward_of(stack, name, x)
        outputs[name] = np.asarray(jax.jit(forward.fn)(*forward.args))
    assert equivalence.compare_outputs(outputs["scan"], outputs[variant])["ok"]


def test_the_split_is_made_once_per_stack(monkeypatch):
    calls = []
    split = stacking.separate_layers
    monkeypatch.setattr(stacking, "separate_layers", lambda stack: calls.append(stack) or split(stack))
    config = SweepConfig(models=("linear",), features=16, repeats=2)
    for variant in ("scan", "unroll", "unroll-sliced"):
        assert measure_point(config, "linear", variant, 3).ok
    assert len(calls) == 1
    # Another layer count builds another stack, and splits that one.
    assert measure_point(config, "linear", "unroll", 2).ok
    assert len(calls) == 2 and calls[1].layers == 2


def test_points_record_arguments_and_arrays_per_layer():
    config = SweepConfig(models=("linear",), features=16, repeats=1)
    unroll = measure_point(config, "linear", "unroll", 4)
    sliced = measure_point(config, "linear", "unroll-sliced", 4)
    # A Linear layer holds a kernel and a bias: 2 arrays; x is one more argument.
    assert unroll.extra["arrays_per_layer"] == sliced.extra["arrays_per_layer"] == 2
    assert unroll.hlo["pre"]["entry_parameters"] == 4 * 2 + 1
    assert sliced.hlo["pre"]["entry_parameters"] == 2 + 1
    assert unroll.extra["equivalence"]["ok"] and sliced.extra["equivalence"]["ok"]


def test_one_rule_says_which_variants_are_unrolled():
    for name in ("scan", "unroll", "unroll-sliced", "scan-unroll-3", "scan-remat"):
        assert parse_variant(name).scanned == is_scan_family(name)
    assert parse_variant("unroll-sliced").sliced and not parse_variant("unroll").sliced


def test_the_config_records_how_unroll_is_built():
    assert SweepConfig().to_json()["unroll_construction"] == "separate-modules"
