"""Stack a block L times and build scanned and unrolled forwards over it.

Every variant of one model and layer count applies the same stacked
parameters, built once with ``nnx.split_rngs`` + ``nnx.vmap`` so that each
layer gets its own random initialisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import jax
from flax import nnx

BlockFactory = Callable[[nnx.Rngs], nnx.Module]


@dataclass(frozen=True)
class Forward:
    """A function and the arguments to lower it with: ``fn(*args)``."""

    fn: Callable[..., Any]
    args: tuple


def stack_blocks(factory: BlockFactory, num_layers: int, seed: int = 0) -> nnx.Module:
    """Build ``num_layers`` blocks with their parameters stacked on axis 0."""

    @nnx.split_rngs(splits=int(num_layers))
    @nnx.vmap(in_axes=(0,), out_axes=0)
    def create_block(rngs: nnx.Rngs) -> nnx.Module:
        return factory(rngs)

    return create_block(nnx.Rngs(int(seed)))


def scan_apply(blocks: nnx.Module, x):
    """Apply stacked blocks to ``x`` with ``nnx.scan``: XLA sees one block."""

    @nnx.scan(in_axes=(nnx.Carry, 0), out_axes=nnx.Carry)
    def forward(x, block):
        return block(x)

    return forward(x, blocks)


def unrolled_apply(graphdef, state, x, num_layers: int):
    """Apply layer i of the stacked state for i in 0..L-1 in a Python loop."""
    for i in range(int(num_layers)):
        block = nnx.merge(graphdef, jax.tree.map(lambda a, i=i: a[i], state))
        x = block(x)
    return x


VARIANTS = ("scan", "unroll")


def build_forward(factory: BlockFactory, variant: str, num_layers: int, x, seed: int = 0) -> Forward:
    """Return a fresh ``fn(state, x)`` for ``variant`` and its arguments.

    The parameters are arguments, not constants, so the HLO holds the forward
    pass alone, as it would in a training or serving step.
    """
    blocks = stack_blocks(factory, num_layers, seed)
    graphdef, state = nnx.split(blocks)
    if variant == "scan":

        def forward(state, x):
            return scan_apply(nnx.merge(graphdef, state), x)

    elif variant == "unroll":

        def forward(state, x):
            return unrolled_apply(graphdef, state, x, num_layers)

    else:
        raise ValueError(f"unknown variant {variant!r}")
    return Forward(fn=forward, args=(state, x))
