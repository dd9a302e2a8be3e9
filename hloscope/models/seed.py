"""The seed primitive: a stack of Linear layers, scanned or unrolled.

``scan_layers_forward`` follows the project's specification step by step;
``unrolled_layers_forward`` applies the very same stacked parameters with a
Python loop, which is what XLA sees as L copies of the block.
"""

from __future__ import annotations

import jax
from flax import nnx

from hloscope.models.stacking import stack_blocks


def make_seed_blocks(seed, num_layers, features) -> nnx.Linear:
    """Build the stacked Linear block: kernel (N, F, F), bias (N, F)."""
    F = int(features)
    return stack_blocks(lambda rngs: nnx.Linear(F, F, rngs=rngs), num_layers, seed)


def scan_layers_forward(seed, x, num_layers, features):
    """Apply N stacked Linear+relu layers to ``x`` with ``nnx.scan``; shape (F,)."""
    blocks = make_seed_blocks(seed, num_layers, features)

    @nnx.scan(in_axes=(nnx.Carry, 0), out_axes=nnx.Carry)
    def forward(x, block):
        return jax.nn.relu(block(x))

    out = forward(x, blocks)
    return out.reshape(-1)


def unrolled_layers_forward(seed, x, num_layers, features):
    """Apply the same stacked layers as ``scan_layers_forward`` with a Python loop."""
    blocks = make_seed_blocks(seed, num_layers, features)
    graphdef, state = nnx.split(blocks)
    for i in range(int(num_layers)):
        # Slice layer i out of every stacked parameter and rebuild one Linear.
        block = nnx.merge(graphdef, jax.tree.map(lambda a, i=i: a[i], state))
        x = jax.nn.relu(block(x))
    return x.reshape(-1)
