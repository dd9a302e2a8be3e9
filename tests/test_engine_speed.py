"""A point reuses what its layer count already built: the stack, the scanned output, the executable's output."""

import jax
import numpy as np
import pytest

from hloscope.run import equivalence
from hloscope.run.config import SweepConfig
from hloscope.run.measure import measure_point
from hloscope.models import builtin_model, stacking

CONFIG = SweepConfig(models=("linear",), features=16, repeats=1)


pytestmark = pytest.mark.usefixtures("cold_caches")


@pytest.fixture
def calls(monkeypatch):
    """Counts of build_stack calls and of forwards made per variant."""
    seen = {"build_stack": 0, "scan": 0, "unroll": 0}
    build_stack, forward_fn = stacking.build_stack, stacking.forward_fn

    def counting_build(*args, **kwargs):
        seen["build_stack"] += 1
        return build_stack(*args, **kwargs)

    def counting_forward(stack, variant):
        seen[variant] += 1
        return forward_fn(stack, variant)

    monkeypatch.setattr(stacking, "build_stack", counting_build)
    monkeypatch.setattr(stacking, "forward_fn", counting_forward)
    return seen


def test_cached_stack_is_reused_for_the_same_model_layers_and_seed():
    spec = builtin_model("linear", 16)
    first = stacking.cached_stack(spec, 2, 0)
    assert stacking.cached_stack(builtin_model("linear", 16), 2, 0) is first
    assert stacking.cached_stack(spec, 3, 0) is not first
    other_seed = stacking.cached_stack(spec, 3, 1)
    assert stacking.cached_stack(builtin_model("linear", 8), 3, 1) is not other_seed


def test_cached_inputs_are_the_models_example_call_made_once():
    spec = builtin_model("linear", 16)
    inputs = stacking.cached_inputs(spec)
    assert len(inputs) == 1
    np.testing.assert_array_equal(np.asarray(inputs[0]), np.asarray(spec.make_input()))
    assert stacking.cached_inputs(builtin_model("linear", 16)) is inputs
    assert stacking.cached_inputs(builtin_model("linear", 8))[0].shape == (1, 8)


def test_variants_of_one_layer_count_share_one_stack_and_one_scan(calls):
    scan = measure_point(CONFIG, "linear", "scan", 2)
    unroll = measure_point(CONFIG, "linear", "unroll", 2)
    assert scan.ok and unroll.ok
    assert calls["build_stack"] == 1
    # The scan was built once, for its own point; unroll was not compiled again for its check.
    assert calls["scan"] == 1 and calls["unroll"] == 1
    assert unroll.extra["equivalence"]["ok"] is True
    assert unroll.extra["equivalence"]["against"] == "scan"


def test_a_cold_cache_runs_the_scan_itself(calls):
    unroll = measure_point(CONFIG, "linear", "unroll", 2)
    assert unroll.ok and unroll.extra["equivalence"]["ok"] is True
    assert calls["scan"] == 1 and calls["build_stack"] == 1


def test_the_kept_scan_output_is_that_of_the_same_parameters():
    spec = builtin_model("linear", 16)
    measure_point(CONFIG, "linear", "scan", 3)
    stack = stacking.build_stack(spec, 3, 0)
    fresh = jax.jit(stacking.forward_fn(stack, "scan"))(stack.states, spec.make_input())
    kept = equivalence._scan_outputs[(stacking.spec_key(spec), "forward", 3, 0)]
    np.testing.assert_array_equal(np.asarray(kept), np.asarray(fresh))


def test_a_wrong_output_still_fails_against_the_kept_scan():
    spec = builtin_model("linear", 16)
    assert measure_point(CONFIG, "linear", "scan", 2).ok
    stack = stacking.cached_stack(spec, 2, 0)
    forward = stacking.forward_of(stack, "unroll", spec.make_input())
    right = jax.jit(forward.fn)(*forward.args)
    record, _ = equivalence.point_checks(spec, "unroll", 2, 0, right)
    assert record["ok"] is True
    record, _ = equivalence.point_checks(spec, "unroll", 2, 0, right + 1.0)
    assert record["ok"] is False
