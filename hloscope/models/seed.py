"""The seed primitive: a stack of Linear layers, scanned or unrolled.

``scan_layers_forward`` follows the project's specification step by step;
``unrolled_layers_forward`` applies the very same stacked parameters with a
Python loop, which is what XLA sees as L copies of the block.
"""

from __future__ import annotations

import jax
from flax import nnx


def make_seed_blocks(seed, num_layers, features) -> nnx.Linear:
    """Build the stacked Linear block: kernel (N, F, F), bias (N, F)."""
    N = int(num_layers)
    F = int(features)
    s = int(seed)

    @nnx.split_rngs(splits=N)
    @nnx.vmap(in_axes=(0,), out_axes=0)
    def create_block(rngs: nnx.Rngs) -> nnx.Linear:
        return nnx.Linear(F, F, rngs=rngs)

    return create_block(nnx.Rngs(s))


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
