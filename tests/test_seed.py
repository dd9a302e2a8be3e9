"""The seed primitive follows its specification to the last bit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import hloscope
from hloscope.models.seed import make_seed_blocks


def reference_scan_forward(seed, x, num_layers, features):
    """The specification, written out independently of hloscope."""
    N, F, s = int(num_layers), int(features), int(seed)

    @nnx.split_rngs(splits=N)
    @nnx.vmap(in_axes=(0,), out_axes=0)
    def create(rngs):
        return nnx.Linear(F, F, rngs=rngs)

    blocks = create(nnx.Rngs(s))

    @nnx.scan(in_axes=(nnx.Carry, 0), out_axes=nnx.Carry)
    def forward(x, block):
        return jax.nn.relu(block(x))

    return forward(x, blocks).reshape(-1)


CASES = [(0, 1, 4), (1, 3, 8), (7, 5, 16), (42, 8, 16)]


@pytest.mark.parametrize("seed,layers,features", CASES)
def test_scan_matches_specification_bit_for_bit(seed, layers, features):
    x = jax.random.normal(jax.random.key(seed + 100), (1, features))
    got = hloscope.scan_layers_forward(seed, x, layers, features)
    want = reference_scan_forward(seed, x, layers, features)
    assert got.shape == (features,)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


@pytest.mark.parametrize("seed,layers,features", CASES)
def test_unrolled_matches_scan(seed, layers, features):
    x = jax.random.normal(jax.random.key(seed + 100), (1, features))
    scanned = hloscope.scan_layers_forward(seed, x, layers, features)
    unrolled = hloscope.unrolled_layers_forward(seed, x, layers, features)
    assert unrolled.shape == (features,)
    np.testing.assert_allclose(np.asarray(unrolled), np.asarray(scanned), rtol=1e-5, atol=1e-6)


def test_stacked_parameter_shapes():
    blocks = make_seed_blocks(0, 6, 8)
    assert blocks.kernel.shape == (6, 8, 8)
    assert blocks.bias.shape == (6, 8)


def test_each_layer_gets_its_own_kernel():
    kernels = np.asarray(make_seed_blocks(3, 5, 8).kernel[...])
    for i in range(5):
        for j in range(i + 1, 5):
            assert not np.array_equal(kernels[i], kernels[j]), (i, j)


def test_float_arguments_are_accepted():
    x = jnp.ones((1, 8))
    as_floats = hloscope.scan_layers_forward(2.0, x, 3.0, 8.0)
    as_ints = hloscope.scan_layers_forward(2, x, 3, 8)
    np.testing.assert_array_equal(np.asarray(as_floats), np.asarray(as_ints))
    np.testing.assert_array_equal(
        np.asarray(hloscope.unrolled_layers_forward(2.0, x, 3.0, 8.0)),
        np.asarray(hloscope.unrolled_layers_forward(2, x, 3, 8)),
    )


def test_different_seeds_give_different_outputs():
    x = jnp.ones((1, 8))
    a = hloscope.scan_layers_forward(0, x, 2, 8)
    b = hloscope.scan_layers_forward(1, x, 2, 8)
    assert not np.array_equal(np.asarray(a), np.asarray(b))
