"""The seed primitive follows its specification to the last bit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import hloscope
from hloscope.models.seed import make_seed_blocks


def reference_parameters(seed, num_layers, features):
    """The specification in plain jax, without flax: per-layer keys as nnx.split_rngs makes them.

    nnx.Rngs(seed)'s default stream draws fold_in(key(seed), 0); split_rngs splits that draw
    into one key per layer with a fresh count; each layer's Linear then draws its kernel
    (lecun_normal) with count 0 and its bias (zeros) with count 1.
    """
    N, F = int(num_layers), int(features)
    layer_keys = jax.random.split(jax.random.fold_in(jax.random.key(int(seed)), 0), N)
    kernels = [jax.nn.initializers.lecun_normal()(jax.random.fold_in(k, 0), (F, F), jnp.float32) for k in layer_keys]
    biases = [jnp.zeros((F,), jnp.float32) for _ in layer_keys]
    return kernels, biases


def reference_forward(seed, x, num_layers, features):
    """relu(x @ W_i + b_i) for i = 0..N-1, flattened: the specification's forward."""
    for kernel, bias in zip(*reference_parameters(seed, num_layers, features)):
        x = jax.nn.relu(x @ kernel + bias)
    return x.reshape(-1)


CASES = [(0, 1, 4), (1, 3, 8), (7, 5, 16), (42, 8, 16)]


@pytest.mark.parametrize("seed,layers,features", CASES)
def test_parameters_match_specification_bit_for_bit(seed, layers, features):
    blocks = make_seed_blocks(seed, layers, features)
    kernels, biases = reference_parameters(seed, layers, features)
    np.testing.assert_array_equal(np.asarray(blocks.kernel[...]), np.stack([np.asarray(k) for k in kernels]))
    np.testing.assert_array_equal(np.asarray(blocks.bias[...]), np.stack([np.asarray(b) for b in biases]))


@pytest.mark.parametrize("seed,layers,features", CASES)
def test_scan_matches_specification(seed, layers, features):
    x = jax.random.normal(jax.random.key(seed + 100), (1, features))
    got = hloscope.scan_layers_forward(seed, x, layers, features)
    want = reference_forward(seed, x, layers, features)
    assert got.shape == (features,)
    # Another loop structure may reorder float arithmetic; anything else would be far outside this.
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)


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
