"""HLO of small layer stacks written with plain JAX and flax NNX, for the repeated-block tests.

Independent of ``hloscope.models`` on purpose: an unrolled stack here is what
users write, L separately built modules whose arrays are passed as separate
jit arguments and applied in a Python loop; its scanned twin stacks the same
kind of block with ``nnx.split_rngs`` + ``nnx.vmap`` and applies it with
``nnx.scan``. Sizes are tiny (F=16) and parameters abstract (shapes and
dtypes), so that building, lowering and compiling take a fraction of a second.
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
from flax import nnx

F = 16
TOKENS = 8
EXPERTS = 4
TOP_K = 2


class MlpBlock(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.norm = nnx.LayerNorm(F, rngs=rngs)
        self.up = nnx.Linear(F, 2 * F, rngs=rngs)
        self.down = nnx.Linear(2 * F, F, rngs=rngs)

    def __call__(self, x):
        return x + self.down(nnx.gelu(self.up(self.norm(x))))


class AttentionBlock(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.norm = nnx.LayerNorm(F, rngs=rngs)
        self.attention = nnx.MultiHeadAttention(num_heads=2, in_features=F, decode=False, rngs=rngs)

    def __call__(self, x):
        y = self.norm(x)
        return x + self.attention(y, y, mask=nnx.make_causal_mask(jnp.ones(x.shape[:2])))


class ConvBlock(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.conv = nnx.Conv(F, F, kernel_size=(3,), rngs=rngs)
        self.norm = nnx.LayerNorm(F, rngs=rngs)

    def __call__(self, x):
        return x + nnx.relu(self.norm(self.conv(x)))


class MoeBlock(nnx.Module):
    """A router picks the top 2 of 4 experts per token; the experts run densely."""

    def __init__(self, rngs: nnx.Rngs):
        self.router = nnx.Linear(F, EXPERTS, rngs=rngs)
        init = nnx.initializers.lecun_normal()
        self.w_in = nnx.Param(init(rngs.params(), (EXPERTS, F, 2 * F)))
        self.w_out = nnx.Param(init(rngs.params(), (EXPERTS, 2 * F, F)))

    def __call__(self, x):
        weights, chosen = jax.lax.top_k(nnx.softmax(self.router(x)), TOP_K)
        gate = jnp.sum(jax.nn.one_hot(chosen, EXPERTS) * weights[..., None], axis=-2)
        hidden = nnx.relu(jnp.einsum("btf,efh->bteh", x, self.w_in[...]))
        out = jnp.einsum("bteh,ehf->btef", hidden, self.w_out[...])
        return x + jnp.einsum("btef,bte->btf", out, gate)


BLOCKS = {"mlp": MlpBlock, "attention": AttentionBlock, "conv": ConvBlock, "moe": MoeBlock}


def block_input(kind: str):
    shape = (1, TOKENS, F)
    return jnp.linspace(-1.0, 1.0, num=TOKENS * F).reshape(shape)


def _split_abstract(build):
    """nnx.split of the module ``build()`` makes, with shapes and dtypes in place of values.

    The HLO depends on shapes alone; building real parameters eagerly (under
    nnx.vmap above all) costs seconds of small compiles.
    """
    return nnx.split(nnx.eval_shape(build))


def _texts(fn, *args) -> tuple[str, str]:
    lowered = jax.jit(fn).lower(*args)
    return lowered.as_text(dialect="hlo"), lowered.compile().as_text()


@lru_cache(maxsize=None)
def unrolled_texts(kind: str, layers: int) -> tuple[str, str]:
    """(pre-optimization, post-optimization) HLO of ``layers`` separate blocks applied in a loop."""
    graphdefs, states = zip(*(_split_abstract(lambda seed=seed: BLOCKS[kind](nnx.Rngs(seed))) for seed in range(layers)))

    def forward(states, x):
        for graphdef, state in zip(graphdefs, states):
            x = nnx.merge(graphdef, state)(x)
        return x

    return _texts(forward, list(states), block_input(kind))


@lru_cache(maxsize=None)
def scanned_texts(kind: str, layers: int) -> tuple[str, str]:
    """The scanned twin: the same kind of block stacked ``layers`` times, applied with nnx.scan."""

    @nnx.split_rngs(splits=layers)
    @nnx.vmap(in_axes=(0,), out_axes=0)
    def create(rngs: nnx.Rngs):
        return BLOCKS[kind](rngs)

    graphdef, state = _split_abstract(lambda: create(nnx.Rngs(0)))

    def forward(state, x):
        def body(x, block):
            return block(x)

        return nnx.scan(body, in_axes=(nnx.Carry, 0), out_axes=nnx.Carry)(x, nnx.merge(graphdef, state))

    return _texts(forward, state, block_input(kind))


@lru_cache(maxsize=None)
def single_block_texts(kind: str) -> tuple[str, str]:
    """One block, no stack."""
    graphdef, state = _split_abstract(lambda: BLOCKS[kind](nnx.Rngs(0)))
    return _texts(lambda state, x: nnx.merge(graphdef, state)(x), state, block_input(kind))
