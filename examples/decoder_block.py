"""A user block that takes more than x: a decoder layer with a causal mask and positions.

    hloscope analyze --model examples/decoder_block.py:make_block \
        --inputs examples/decoder_block.py:make_inputs --layers 1,2,4,8

``make_inputs()`` returns the example call ``(x, mask, positions)``. hloscope
carries ``x`` from layer to layer and passes ``mask`` and ``positions``
unchanged to every layer (``in_axes=(nnx.Carry, 0, None, None)`` when
scanned, the same arrays to each block when unrolled); they are arguments
of the lowered forward, not constants. The layer's dropout draws from its
own RNG stream: each layer gets its own key, and every variant draws the
same bits in layer i, so scanned and unrolled outputs compare exactly.
"""

import jax
import jax.numpy as jnp
from flax import nnx

BATCH, SEQ, FEATURES, HEADS = 2, 8, 16, 2


def rotary(q, positions):
    """Rotary position embedding of q (batch, seq, heads, head_dim) at ``positions`` (batch, seq)."""
    half = q.shape[-1] // 2
    frequencies = 1.0 / (10000.0 ** (jnp.arange(half) / half))
    angles = positions[:, :, None, None] * frequencies
    cos, sin = jnp.cos(angles), jnp.sin(angles)
    q1, q2 = q[..., :half], q[..., half:]
    return jnp.concatenate([q1 * cos - q2 * sin, q1 * sin + q2 * cos], axis=-1)


class DecoderBlock(nnx.Module):
    """Pre-norm causal self-attention with rotary positions, then a gelu MLP; both residual."""

    def __init__(self, rngs: nnx.Rngs):
        self.attn_norm = nnx.RMSNorm(FEATURES, rngs=rngs)
        self.qkv = nnx.Linear(FEATURES, 3 * FEATURES, rngs=rngs)
        self.out = nnx.Linear(FEATURES, FEATURES, rngs=rngs)
        self.mlp_norm = nnx.RMSNorm(FEATURES, rngs=rngs)
        self.up = nnx.Linear(FEATURES, 4 * FEATURES, rngs=rngs)
        self.down = nnx.Linear(4 * FEATURES, FEATURES, rngs=rngs)
        self.dropout = nnx.Dropout(0.1, rngs=rngs)

    def __call__(self, x, mask, positions):
        batch, seq, _ = x.shape
        qkv = self.qkv(self.attn_norm(x)).reshape(batch, seq, 3 * HEADS, FEATURES // HEADS)
        q, k, v = jnp.split(qkv, 3, axis=2)
        q, k = rotary(q, positions), rotary(k, positions)
        attended = nnx.dot_product_attention(q, k, v, mask=mask).reshape(batch, seq, FEATURES)
        x = x + self.dropout(self.out(attended))
        return x + self.down(jax.nn.gelu(self.up(self.mlp_norm(x))))


def make_block(rngs: nnx.Rngs) -> nnx.Module:
    """One layer; hloscope stacks and scans or unrolls it."""
    return DecoderBlock(rngs)


def make_inputs():
    """The example call (x, mask, positions): x carried, mask and positions the same for every layer."""
    x = jax.random.normal(jax.random.key(0), (BATCH, SEQ, FEATURES))
    mask = jnp.tril(jnp.ones((SEQ, SEQ), dtype=bool))[None, None]  # (1, 1, seq, seq), causal
    positions = jnp.broadcast_to(jnp.arange(SEQ, dtype=jnp.float32), (BATCH, SEQ))
    return x, mask, positions
