"""Every kind of NNX state in a block, in every place that touches state.

Param, BatchStat, Cache, Intermediate, RNG keys and counts, a user
nnx.Variable subclass, integer and boolean arrays: the identical-layer
check, stacking, layer i's arrays for the separate-modules unroll,
equivalence and the per-type array counts all take them.
"""

import json
from pathlib import Path

import jax
import numpy as np
import pytest
from click.testing import CliRunner

from hloscope.cli import main
from hloscope.models import stacking
from hloscope.models.checks import check_model, identical_layer_warnings
from hloscope.models.state import arrays_by_type, host_array, is_key
from hloscope.run import equivalence
from hloscope.run.checks import resolve_model
from hloscope.run.config import SweepConfig
from hloscope.run.equivalence import check_equivalence
from hloscope.run.measure import measure_point

DROPOUT_CASE = Path(__file__).resolve().parent / "blocks" / "dropout_block.py"

ALL_KINDS = '''
import jax
import jax.numpy as jnp
from flax import nnx

F = 16


class Scale(nnx.Variable):
    """A user variable type."""


class AllKinds(nnx.Module):
    def __init__(self, rngs):
        self.linear = nnx.Linear(F, F, rngs=rngs)                                 # Param
        self.norm = nnx.BatchNorm(F, use_running_average=False, rngs=rngs)       # BatchStat
        self.dropout = nnx.Dropout(0.5, rngs=rngs)                               # RngKey, RngCount (forked)
        self.rngs = rngs                                                         # the factory's own stream
        self.cache = nnx.Cache(jnp.zeros((F,)))                                  # Cache
        self.seen = nnx.Intermediate(jnp.ones((F,)))                             # Intermediate
        self.scale = Scale(jax.random.uniform(rngs.params(), (F,)) + 0.5)        # user Variable subclass
        self.shift = nnx.Variable(jax.random.randint(rngs.params(), (F,), 0, 3))  # integer array
        self.keep = nnx.Variable(jax.random.bernoulli(rngs.params(), 0.7, (F,)))  # boolean array

    def __call__(self, x):
        h = self.norm(self.linear(x)) * self.scale[...]
        h = jnp.where(self.keep[...], h, 0.0) + self.shift[...] + self.cache[...] * self.seen[...]
        self.cache[...] = h.mean(0)
        y = x + self.dropout(jnp.tanh(h)) + 0.01 * jax.random.normal(self.rngs.noise(), x.shape)
        return y, {"kept": self.keep[...].sum(), "positive": (h > 0).any(-1)}


def make_block(rngs):
    return AllKinds(rngs)
'''

OWN_STREAM = '''
import jax
from flax import nnx


class Noisy(nnx.Module):
    def __init__(self, rngs):
        self.linear = nnx.Linear(16, 16, rngs=rngs)
        self.rngs = rngs

    def __call__(self, x):
        return x + jax.nn.tanh(self.linear(x)) + jax.random.normal(self.rngs.noise(), x.shape)


def make_block(rngs):
    return Noisy(rngs)
'''

FIXED_STREAM = OWN_STREAM.replace("self.rngs = rngs", "self.rngs = nnx.Rngs(noise=0)")

LINEN_BRIDGE = '''
import jax.numpy as jnp
import flax.linen as nn
from flax import nnx


class LinenLayer(nn.Module):
    @nn.compact
    def __call__(self, x):
        h = nn.Dropout(0.3, deterministic=False)(nn.gelu(nn.Dense(32)(nn.LayerNorm()(x))))
        return x + nn.Dense(16)(h)


def make_block(rngs):
    block = nnx.bridge.ToNNX(LinenLayer(), rngs=rngs)
    nnx.bridge.lazy_init(block, jnp.ones((1, 16)))
    return block
'''


pytestmark = pytest.mark.usefixtures("cold_caches")


def spec_of(tmp_path, text, name="block.py", shape=(4, 16)):
    path = tmp_path / name
    path.write_text(text)
    return resolve_model(SweepConfig(models=(f"{path}:make_block",), input_shape=shape), "make_block")


def test_the_handed_dropout_case_analyses_with_scan_and_unroll_equal(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, [
        "analyze", "--model", f"{DROPOUT_CASE}:make_block", "--input-shape", "4,32", "--layers", "1,2",
        "--repeats", "1", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    points = json.loads((out / "results.json").read_text())["points"]
    assert len(points) == 4 and all(p["status"] == "ok" for p in points)
    for p in points:
        assert p["arrays_per_layer_by_type"] == {"Param": 4, "RngCount": 1, "RngKey": 1}
        if p["variant"] == "unroll":
            # Dropout in training mode draws layer i's bits from layer i's key: the same in every variant.
            assert p["equivalence"]["ok"] and p["equivalence"]["max_abs_diff"] == 0.0
    scanned = {p["hlo"]["pre"]["instructions"] for p in points if p["variant"] == "scan"}
    assert len(scanned) == 1


def test_every_kind_of_state_is_stacked_checked_and_counted(tmp_path):
    spec = spec_of(tmp_path, ALL_KINDS)
    assert check_model(spec) == []
    counts = arrays_by_type(stacking.build_stack(spec, 3).states[1])
    assert counts == {"BatchStat": 2, "Cache": 1, "Intermediate": 1, "Param": 4, "RngCount": 2, "RngKey": 2,
                      "Scale": 1, "Variable": 2}
    stack = stacking.build_stack(spec, 3)
    dtypes = {str(leaf.dtype) for leaf in jax.tree.leaves(stack.states[1])}
    assert {"float32", "int32", "bool", "uint32", "key<fry>"} <= dtypes
    assert sum(counts.values()) == stacking.layer_arrays(stack)


def test_separate_modules_hold_layer_is_arrays_of_every_kind(tmp_path):
    stack = stacking.build_stack(spec_of(tmp_path, ALL_KINDS), 3)
    layers = stacking.separate_layers(stack)
    stacked = jax.tree.leaves(stack.states[1])
    for i in range(3):
        own = jax.tree.leaves(layers.state[i])
        assert [str(a.dtype) for a in own] == [str(a.dtype) for a in stacked]
        for mine, theirs in zip(own, stacked):
            np.testing.assert_array_equal(host_array(mine), host_array(theirs)[i])


@pytest.mark.parametrize("variant", ["unroll", "unroll-sliced", "scan-remat", "scan-unroll-2"])
def test_every_variant_applies_every_kind_of_state_exactly_as_scan(tmp_path, variant):
    record = check_equivalence(spec_of(tmp_path, ALL_KINDS), variant, 3)
    assert record["ok"] and record["max_abs_diff"] == 0.0


def test_a_point_records_its_arrays_per_layer_by_type(tmp_path):
    path = tmp_path / "kinds.py"
    path.write_text(ALL_KINDS)
    config = SweepConfig(models=(f"{path}:make_block",), input_shape=(4, 16), repeats=1)
    point = measure_point(config, "make_block", "unroll", 2)
    assert point.ok, point.error
    assert point.extra["arrays_per_layer"] == 15
    assert sum(point.extra["arrays_per_layer_by_type"].values()) == 15
    # jax.jit drops the arrays the forward never reads (the running statistics training mode only
    # writes): XLA receives the rest of both layers' arrays and x.
    assert point.hlo["pre"]["entry_parameters"] == 2 * (15 - 2) + 1


def test_a_block_keeping_its_rngs_gets_one_stream_per_layer(tmp_path):
    spec = spec_of(tmp_path, OWN_STREAM)
    stack = stacking.build_stack(spec, 4)
    keys = [leaf for leaf in jax.tree.leaves(stack.states[1]) if is_key(leaf)]
    assert len(keys) == 1 and keys[0].shape == (4,)
    assert len({tuple(row) for row in host_array(keys[0])}) == 4
    for variant in ("unroll", "unroll-sliced"):
        assert check_equivalence(spec, variant, 4)["max_abs_diff"] == 0.0


def test_layer_i_draws_from_layer_is_key(tmp_path):
    """The outputs compare exactly because the bits come from each layer's own key, not by chance."""
    spec = spec_of(tmp_path, OWN_STREAM)
    stack = stacking.build_stack(spec, 3)
    x = spec.example_inputs()
    before = np.asarray(equivalence._run(stack, "unroll", x))
    # Give layer 1 another key: every variant's output moves, and they still agree.
    path, old = next((p, v) for p, v in jax.tree_util.tree_flatten_with_path(stack.states[1])[0] if is_key(v))
    new = old.at[1].set(jax.random.key(123))
    states = jax.tree_util.tree_map_with_path(lambda p, v: new if p == path else v, stack.states[1])
    changed = stacking.Stack(stack.graphdefs, (None, states, None), 3)
    scan, unroll = (np.asarray(equivalence._run(changed, v, x)) for v in ("scan", "unroll"))
    assert not np.array_equal(before, unroll)
    np.testing.assert_array_equal(scan, unroll)


def test_a_linen_layer_through_the_bridge(tmp_path):
    spec = spec_of(tmp_path, LINEN_BRIDGE)
    assert check_model(spec) == []
    counts = arrays_by_type(stacking.build_stack(spec, 2).states[1])
    assert counts["RngKey"] == counts["RngCount"] == 1
    assert check_equivalence(spec, "unroll", 3)["max_abs_diff"] == 0.0


def test_identical_rng_keys_are_reported(tmp_path):
    spec = spec_of(tmp_path, FIXED_STREAM)
    stack = stacking.build_stack(spec, 3)
    warnings = identical_layer_warnings("noisy", stack.states[1], 3)
    assert len(warnings) == 1
    assert "RNG key rngs.noise.key is identical in all 3 layers" in warnings[0]
    assert identical_layer_warnings("own", stacking.build_stack(spec_of(tmp_path, OWN_STREAM, "own.py"), 3).states[1], 3) == []
