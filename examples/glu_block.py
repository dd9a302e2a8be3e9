"""A user block for hloscope: a residual gated linear unit.

    hloscope analyze --model examples/glu_block.py:make_block --name glu \
        --input-shape 4,32 --layers 1,2,4,8,16,32

hloscope calls ``make_block(rngs)`` once per layer under ``nnx.split_rngs`` +
``nnx.vmap``, so the factory must build its parameters from the ``rngs`` it
is given (each layer then gets its own), and the block must map x to an
array of x's shape and dtype (scan carries it from layer to layer).
"""

import jax
from flax import nnx

FEATURES = 32  # the last dimension of --input-shape


class Glu(nnx.Module):
    """x + W_out (sigmoid(W_gate x) * W_value x)."""

    def __init__(self, features: int, *, rngs: nnx.Rngs):
        self.gate = nnx.Linear(features, 2 * features, rngs=rngs)
        self.value = nnx.Linear(features, 2 * features, rngs=rngs)
        self.out = nnx.Linear(2 * features, features, rngs=rngs)

    def __call__(self, x):
        return x + self.out(jax.nn.sigmoid(self.gate(x)) * self.value(x))


def make_block(rngs: nnx.Rngs) -> nnx.Module:
    """One layer; hloscope stacks and scans or unrolls it."""
    return Glu(FEATURES, rngs=rngs)
