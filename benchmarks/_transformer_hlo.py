"""Generate pre- and post-optimization HLO of an unrolled pre-LN transformer stack.

Shared by the parser benchmarks; imports jax and flax.
"""

from __future__ import annotations

D_MODEL = 256
NUM_HEADS = 4
SEQ_LEN = 64
BATCH = 1


def transformer_hlo_texts(num_layers: int = 96, seed: int = 0) -> tuple[str, str]:
    """Return (pre-optimization HLO, post-optimization HLO) of an unrolled stack."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    class Block(nnx.Module):
        def __init__(self, rngs: nnx.Rngs):
            self.ln1 = nnx.LayerNorm(D_MODEL, rngs=rngs)
            self.attn = nnx.MultiHeadAttention(
                num_heads=NUM_HEADS, in_features=D_MODEL, decode=False, rngs=rngs
            )
            self.ln2 = nnx.LayerNorm(D_MODEL, rngs=rngs)
            self.up = nnx.Linear(D_MODEL, 4 * D_MODEL, rngs=rngs)
            self.down = nnx.Linear(4 * D_MODEL, D_MODEL, rngs=rngs)

        def __call__(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.down(jax.nn.gelu(self.up(self.ln2(x))))

    @nnx.split_rngs(splits=num_layers)
    @nnx.vmap(in_axes=(0,), out_axes=0)
    def make_stack(rngs: nnx.Rngs) -> Block:
        return Block(rngs)

    stack = make_stack(nnx.Rngs(seed))
    graphdef, state = nnx.split(stack)

    def forward(state, x):
        for layer in range(num_layers):
            layer_state = jax.tree_util.tree_map(lambda a: a[layer], state)
            x = nnx.merge(graphdef, layer_state)(x)
        return x

    x = jnp.ones((BATCH, SEQ_LEN, D_MODEL), jnp.float32)
    lowered = jax.jit(forward).lower(state, x)
    pre_text = lowered.as_text(dialect="hlo")
    post_text = lowered.compile().as_text()
    return pre_text, post_text
