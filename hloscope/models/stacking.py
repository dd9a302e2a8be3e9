"""Stack a block L times and build every variant's forward over the same parameters.

The trunk's parameters are built once with ``nnx.split_rngs`` + ``nnx.vmap``
so that each layer gets its own random initialisation; every variant of one
model and layer count applies those very parameters. ``unroll`` takes layer
i's arrays out of the stack, outside any timed window, and applies them as L
separate modules, the way an unrolled model is written; ``unroll-sliced``
slices layer i out of the stacked arrays inside the jitted forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import jax
import numpy as np
from flax import nnx

from hloscope.models.zoo import BlockFactory, ModelSpec
from hloscope.variants import parse_variant

# Stem and head get their own random streams, apart from the trunk's.
_STEM_SEED_OFFSET, _HEAD_SEED_OFFSET = 1_000_003, 2_000_003


@dataclass(frozen=True)
class Forward:
    """A function and the arguments to lower it with: ``fn(*args)``."""

    fn: Callable[..., Any]
    args: tuple


@dataclass(frozen=True)
class Stack:
    """A model's parameters: an optional stem and head, and the stacked trunk.

    ``graphdefs`` and ``states`` hold (stem, trunk, head), None where absent.
    """

    graphdefs: tuple
    states: tuple
    layers: int


def stack_blocks(factory: BlockFactory, num_layers: int, seed: int = 0) -> nnx.Module:
    """Build ``num_layers`` blocks with their parameters stacked on axis 0."""

    @nnx.split_rngs(splits=int(num_layers))
    @nnx.vmap(in_axes=(0,), out_axes=0)
    def create_block(rngs: nnx.Rngs) -> nnx.Module:
        return factory(rngs)

    return create_block(nnx.Rngs(int(seed)))


def build_stack(spec: ModelSpec, num_layers: int, seed: int = 0) -> Stack:
    """Build the stem, the stacked trunk and the head of ``spec``."""
    parts = [
        spec.make_stem(nnx.Rngs(int(seed) + _STEM_SEED_OFFSET)) if spec.make_stem else None,
        stack_blocks(spec.make_block, num_layers, seed),
        spec.make_head(nnx.Rngs(int(seed) + _HEAD_SEED_OFFSET)) if spec.make_head else None,
    ]
    split = [nnx.split(part) if part is not None else (None, None) for part in parts]
    return Stack(
        graphdefs=tuple(g for g, _ in split), states=tuple(s for _, s in split), layers=int(num_layers)
    )


def scan_apply(blocks: nnx.Module, x, unroll: int = 1, remat: bool = False):
    """Apply stacked blocks to ``x`` with ``nnx.scan``: XLA sees one block."""

    def body(x, block):
        return block(x)

    if remat:
        body = nnx.remat(body)
    forward = nnx.scan(body, in_axes=(nnx.Carry, 0), out_axes=nnx.Carry, unroll=unroll)
    return forward(x, blocks)


def sliced_apply(graphdef, state, x, num_layers: int):
    """Slice layer i out of the stacked state and apply it, for i in 0..L-1 (``unroll-sliced``)."""
    for i in range(int(num_layers)):
        block = nnx.merge(graphdef, jax.tree.map(lambda a, i=i: a[i], state))
        x = block(x)
    return x


@dataclass(frozen=True)
class Layers:
    """The trunk as L separate modules: an ``nnx.List`` of blocks, split.

    ``state`` holds one sub-state per layer, each with the block's own
    arrays: a forward that takes it receives L x (arrays per block) arguments.
    """

    graphdef: Any
    state: Any
    layers: int
    arrays_per_layer: int


def separate_layers(stack: Stack) -> Layers:
    """Layer i's arrays taken out of the stacked trunk, as L separate modules.

    The values are the stack's own, bit for bit, so ``unroll`` applies the
    very parameters the scanned variants apply. The arrays are cut on the
    host (numpy views; on CPU jax adopts them without a copy) so that no
    slicing op is compiled or timed.
    """
    trunk_def, trunk_state = stack.graphdefs[1], stack.states[1]
    host = jax.tree.map(_host_view, trunk_state)
    blocks = nnx.List(
        nnx.merge(trunk_def, jax.tree.map(lambda a, i=i: jax.device_put(a[i]), host))
        for i in range(stack.layers)
    )
    graphdef, state = nnx.split(blocks)
    return Layers(graphdef, state, stack.layers, layer_arrays(stack))


def layer_arrays(stack: Stack) -> int:
    """How many arrays one layer of the trunk holds (its stacked state's leaves)."""
    return len(jax.tree.leaves(stack.states[1]))


def _host_view(leaf):
    # PRNG key arrays (a block that keeps an rngs stream) have no numpy form: they stay jax arrays.
    if jax.dtypes.issubdtype(getattr(leaf, "dtype", None), jax.dtypes.prng_key):
        return leaf
    return np.asarray(leaf)


def separate_apply(graphdef, state, x):
    """Apply L separate modules in a Python loop, as an unrolled model is written (``unroll``)."""
    for block in nnx.merge(graphdef, state):
        x = block(x)
    return x


def forward_fn(stack: Stack, variant: str) -> Callable:
    """A fresh ``fn(states, x)`` applying ``stack`` the way ``variant`` says.

    ``states`` is ``forward_states(stack, variant)``: (stem, trunk, head).
    """
    how = parse_variant(variant)
    stem_def, trunk_def, head_def = stack.graphdefs
    layers = stack.layers
    if not how.scanned and not how.sliced:
        trunk_def = cached_layers(stack).graphdef

    def forward(states, x):
        stem_state, trunk_state, head_state = states
        if stem_def is not None:
            x = nnx.merge(stem_def, stem_state)(x)
        if how.scanned:
            x = scan_apply(nnx.merge(trunk_def, trunk_state), x, how.unroll, how.remat)
        elif how.sliced:
            x = sliced_apply(trunk_def, trunk_state, x, layers)
        else:
            x = separate_apply(trunk_def, trunk_state, x)
        if head_def is not None:
            x = nnx.merge(head_def, head_state)(x)
        return x

    return forward


def forward_states(stack: Stack, variant: str) -> tuple:
    """The parameters ``forward_fn(stack, variant)`` takes: (stem, trunk, head) states.

    The trunk is the stacked state, or for ``unroll`` its L separate modules.
    """
    how = parse_variant(variant)
    if how.scanned or how.sliced:
        return stack.states
    stem_state, _, head_state = stack.states
    return (stem_state, cached_layers(stack).state, head_state)


# The separate modules of the last stack split. The unroll point and its
# equivalence check use them: the split, whose cost grows with L, is made
# once, before anything is timed, and never per repeat.
_last_layers: tuple[Stack, Layers] | None = None


def cached_layers(stack: Stack) -> Layers:
    """separate_layers(stack), reusing the last split while the stack is the same object."""
    global _last_layers
    if _last_layers is not None and _last_layers[0] is stack:
        return _last_layers[1]
    _last_layers = None
    layers = separate_layers(stack)
    _last_layers = (stack, layers)
    return layers


def spec_key(spec: ModelSpec) -> tuple:
    """What decides a model's parameters, as a hashable key.

    A spec is resolved afresh for every point (new factory closures), so the
    key is what it was resolved from, not its identity.
    """
    return (spec.source or spec.name, spec.name, repr(sorted(spec.sizes.items())),
            tuple(spec.input_shape), str(spec.dtype))


# The last stack built by cached_stack. The variants of one layer count are
# measured back to back and apply the very same parameters, and building them
# costs seconds (nnx.vmap traces again after jax.clear_caches()); one entry is
# enough and keeps at most one model's parameters alive between points.
_last_stack: tuple[tuple, Stack] | None = None


def cached_stack(spec: ModelSpec, num_layers: int, seed: int = 0) -> Stack:
    """build_stack(spec, num_layers, seed), reusing the last one built with the same key.

    The earlier stack is dropped before a new one is built, so its memory is
    free again before the next point's peak RSS is taken.
    """
    global _last_stack, _last_layers
    key = (spec_key(spec), int(num_layers), int(seed))
    if _last_stack is not None and _last_stack[0] == key:
        return _last_stack[1]
    _last_stack = _last_layers = None
    stack = build_stack(spec, num_layers, seed)
    _last_stack = (key, stack)
    return stack


_last_input: tuple[tuple, Any] | None = None


def cached_input(spec: ModelSpec):
    """spec.make_input(), reused while the model stays the same.

    The input depends on the model's shape and dtype only; making it again
    after jax.clear_caches() compiles the random sampler again.
    """
    global _last_input
    key = spec_key(spec)
    if _last_input is None or _last_input[0] != key:
        _last_input = (key, spec.make_input())
    return _last_input[1]


def forward_of(stack: Stack, variant: str, x) -> Forward:
    """A fresh forward applying ``stack`` as ``variant`` says, and its arguments."""
    return Forward(fn=forward_fn(stack, variant), args=(forward_states(stack, variant), x))


def build_forward(model: ModelSpec | BlockFactory, variant: str, num_layers: int, x, seed: int = 0) -> Forward:
    """Return a fresh forward for ``variant`` and its arguments.

    ``model`` is a ModelSpec or a bare block factory. The parameters are
    arguments, not constants, so the HLO holds the forward pass alone, as it
    would in a training or serving step.
    """
    if not isinstance(model, ModelSpec):
        model = ModelSpec(name="block", description="", make_block=model, input_shape=tuple(x.shape))
    return forward_of(build_stack(model, num_layers, seed), variant, x)
