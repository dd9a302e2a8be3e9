"""A user block that returns (y, aux): a top-1 mixture of experts with a load-balancing loss.

    hloscope analyze --model examples/aux_loss_block.py:make_block --input-shape 8,16 --layers 1,2,4,8

The block returns ``(y, aux)``: ``y`` has x's shape and dtype and is carried
to the next layer; ``aux`` is any pytree of arrays (here the layer's
load-balancing loss and how many tokens each expert got). hloscope scans it
with ``out_axes=(nnx.Carry, 0)``, stacks the unrolled layers' aux the same
way, so every variant's forward returns ``(y, aux)`` with aux's arrays
gaining a leading layer axis, and checks y and aux against scan. A training
step would add ``aux["balance_loss"].sum()`` to its loss.
"""

import jax
import jax.numpy as jnp
from flax import nnx

FEATURES, EXPERTS = 16, 4  # FEATURES: the last dimension of --input-shape


class TopOneMoe(nnx.Module):
    """x + expert_e(x), e the router's top choice per token, weighted by its probability."""

    def __init__(self, rngs: nnx.Rngs):
        self.router = nnx.Linear(FEATURES, EXPERTS, rngs=rngs)
        init = nnx.initializers.lecun_normal()
        self.experts = nnx.Param(init(rngs.params(), (EXPERTS, FEATURES, FEATURES)))

    def __call__(self, x):
        probs = jax.nn.softmax(self.router(x), axis=-1)  # (tokens, experts)
        chosen = jax.nn.one_hot(jnp.argmax(probs, axis=-1), EXPERTS)
        y = x + jnp.einsum("te,tf,efg->tg", chosen * probs, x, self.experts[...])
        # Switch-Transformer balance loss: experts * sum_e(fraction routed to e * mean probability of e).
        balance_loss = EXPERTS * jnp.sum(chosen.mean(0) * probs.mean(0))
        return y, {"balance_loss": balance_loss, "tokens_per_expert": chosen.sum(0).astype(jnp.int32)}


def make_block(rngs: nnx.Rngs) -> nnx.Module:
    """One layer; hloscope stacks and scans or unrolls it."""
    return TopOneMoe(rngs)
