"""Stack a block L times and build every variant's forward over the same parameters.

The trunk's state is built once with ``nnx.split_rngs`` + ``nnx.vmap`` so
that each layer gets its own random initialisation and its own RNG streams;
every variant of one model and layer count applies that very state. ``unroll``
takes layer i's arrays out of the stack, outside any timed window, and
applies them as L separate modules, the way an unrolled model is written;
``unroll-sliced`` slices layer i out of the stacked arrays inside the jitted
forward.

Every variant's forward is ``fn(states, x, *extras)``: ``x`` is carried from
layer to layer, the extras (masks, positions) are passed unchanged to every
layer. It returns ``y``, or ``(y, aux)`` for a block that returns
``(y, aux)``, ``aux`` stacked along a leading layer axis as ``nnx.scan``
stacks it with ``out_axes=(nnx.Carry, 0)``. A caller (a train step, say)
wraps it as ``fn(states, *inputs)`` without knowing what the inputs are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from hloscope.errors import ModelError, article
from hloscope.models.state import is_key
from hloscope.models.zoo import BlockFactory, ModelSpec
from hloscope.variants import parse_variant

# Stem and head get their own random streams, apart from the trunk's.
_STEM_SEED_OFFSET, _HEAD_SEED_OFFSET = 1_000_003, 2_000_003


@dataclass(frozen=True)
class Forward:
    """A function and the arguments to lower it with: ``fn(*args)``.

    ``args`` is ``(states, x, *extras)``; ``fn`` returns y or (y, aux).

    ``donate_argnums``: the arguments a call consumes (a training step's
    parameters and optimizer state), lowered with ``jax.jit(fn,
    donate_argnums=...)``. A call that consumed its arguments cannot be
    repeated with them: ``next_args(output, args)`` gives the arguments of
    the next call, as a training loop feeds one step's result to the next.
    ``checked(output)`` is what the equivalence check reads of a call's
    output, on the host (default: the whole output).
    """

    fn: Callable[..., Any]
    args: tuple
    donate_argnums: tuple[int, ...] = ()
    next_args: Callable[[Any, tuple], tuple] | None = None
    checked: Callable[[Any], Any] | None = None

    def check_result(self, output):
        """What the equivalence check reads of ``output``: ``checked(output)``, or the output itself."""
        return output if self.checked is None else self.checked(output)

    def jit(self, fn: Callable[..., Any] | None = None):
        """``jax.jit`` of ``fn`` (default: this forward's) with this forward's donated arguments."""
        return jax.jit(self.fn if fn is None else fn, donate_argnums=self.donate_argnums)


@dataclass(frozen=True)
class Stack:
    """A model's parameters: an optional stem and head, and the stacked trunk.

    ``graphdefs`` and ``states`` hold (stem, trunk, head), None where absent.
    """

    graphdefs: tuple
    states: tuple
    layers: int


def stack_blocks(factory: BlockFactory, num_layers: int, seed: int = 0) -> nnx.Module:
    """Build ``num_layers`` blocks with their state stacked on axis 0.

    The factory gets a copy of ``nnx.Rngs(seed)`` split into one key per
    layer, and that copy is not restored afterwards: a block that keeps the
    ``rngs`` it is given (to draw from its own stream) holds layer i's key
    and count, stacked like every other variable. Blocks that fork a stream
    (``nnx.Dropout``, ``nnx.bridge.ToNNX``) get a stacked stream either way.
    """
    rngs = nnx.split_rngs(nnx.Rngs(int(seed)), splits=int(num_layers), graph_updates=False)

    @nnx.vmap(in_axes=(0,), out_axes=0)
    def create_block(rngs: nnx.Rngs) -> nnx.Module:
        return factory(rngs)

    return create_block(rngs)


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


def layer_output(out) -> tuple[Any, tuple]:
    """One layer's output as ``(y, (aux,))``, or ``(y, ())`` for a block returning y alone.

    The one rule for what a block may return: an array y, or a tuple
    ``(y, aux)``. Raises ModelError for anything else (a list, a dict, a
    tuple of another length).
    """
    if isinstance(out, tuple):
        if len(out) != 2:
            raise ModelError(f"the block returned a tuple of {len(out)} items; a tuple output must be (y, aux)")
        return out[0], (out[1],)
    if not isinstance(out, jax.Array) or is_key(out):
        raise ModelError(f"the block returned {article(type(out).__name__)}; return y, or a tuple (y, aux)")
    return out, ()


def stack_aux(per_layer: list[tuple]) -> tuple:
    """The layers' ``(aux,)`` (or ``()``) stacked on a new leading axis, as scan's ``out_axes=0`` does."""
    if not per_layer or not per_layer[0]:
        return ()
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *per_layer)


def scan_apply(blocks: nnx.Module, x, extras: tuple = (), unroll: int = 1, remat: bool = False):
    """Apply stacked blocks to ``x`` with ``nnx.scan``: XLA sees one block.

    The extras are broadcast (``in_axes=(nnx.Carry, 0, None, ...)``); the
    aux of a ``(y, aux)`` block comes out stacked (``out_axes=(nnx.Carry, 0)``).
    Returns ``(y, (aux,))`` or ``(y, ())``.
    """

    def body(x, block, *extras):
        return layer_output(block(x, *extras))

    if remat:
        body = nnx.remat(body)
    in_axes = (nnx.Carry, 0, *(None,) * len(extras))
    forward = nnx.scan(body, in_axes=in_axes, out_axes=(nnx.Carry, 0), unroll=unroll)
    return forward(x, blocks, *extras)


def sliced_apply(graphdef, state, x, num_layers: int, extras: tuple = ()):
    """Slice layer i out of the stacked state and apply it, for i in 0..L-1 (``unroll-sliced``)."""
    auxes = []
    for i in range(int(num_layers)):
        block = nnx.merge(graphdef, jax.tree.map(lambda a, i=i: a[i], state))
        x, aux = layer_output(block(x, *extras))
        auxes.append(aux)
    return x, stack_aux(auxes)


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
    # PRNG key arrays (RNG streams) have no numpy form: they stay jax arrays.
    if is_key(leaf):
        return leaf
    return np.asarray(leaf)


def separate_apply(graphdef, state, x, extras: tuple = ()):
    """Apply L separate modules in a Python loop, as an unrolled model is written (``unroll``).

    Every block gets the same extras; returns ``(y, (aux,))`` or ``(y, ())``.
    """
    auxes = []
    for block in nnx.merge(graphdef, state):
        x, aux = layer_output(block(x, *extras))
        auxes.append(aux)
    return x, stack_aux(auxes)


def forward_fn(stack: Stack, variant: str) -> Callable:
    """A fresh ``fn(states, x, *extras)`` applying ``stack`` the way ``variant`` says.

    ``states`` is ``forward_states(stack, variant)``: (stem, trunk, head).
    It returns y, or (y, aux) for a block returning (y, aux): aux's leaves
    get a leading layer axis. The stem takes x alone, the head y alone.
    """
    how = parse_variant(variant)
    stem_def, trunk_def, head_def = stack.graphdefs
    layers = stack.layers
    if not how.scanned and not how.sliced:
        trunk_def = cached_layers(stack).graphdef

    def forward(states, x, *extras):
        stem_state, trunk_state, head_state = states
        if stem_def is not None:
            x = nnx.merge(stem_def, stem_state)(x)
        if how.scanned:
            x, aux = scan_apply(nnx.merge(trunk_def, trunk_state), x, extras, how.unroll, how.remat)
        elif how.sliced:
            x, aux = sliced_apply(trunk_def, trunk_state, x, layers, extras)
        else:
            x, aux = separate_apply(trunk_def, trunk_state, x, extras)
        if head_def is not None:
            x = nnx.merge(head_def, head_state)(x)
        # Both are returned, so neither the aux nor what computes it is optimized away.
        return (x, aux[0]) if aux else x

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
    shape = tuple(spec.input_shape) if spec.input_shape is not None else None
    return (spec.source or spec.name, spec.name, repr(sorted(spec.sizes.items())), shape, str(spec.dtype),
            spec.inputs)


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


_last_inputs: tuple[tuple, tuple] | None = None


def cached_inputs(spec: ModelSpec) -> tuple:
    """spec.example_inputs(), the example call (x, *extras), reused while the model stays the same.

    Making them again after jax.clear_caches() would compile the random
    sampler (or the user's inputs function) again.
    """
    global _last_inputs
    key = spec_key(spec)
    if _last_inputs is None or _last_inputs[0] != key:
        _last_inputs = (key, spec.example_inputs())
    return _last_inputs[1]


def as_inputs(inputs) -> tuple:
    """The example call as a tuple: ``(x, *extras)``, or ``(x,)`` for a bare array x."""
    return tuple(inputs) if isinstance(inputs, tuple) else (inputs,)


def forward_of(stack: Stack, variant: str, inputs) -> Forward:
    """A fresh forward applying ``stack`` as ``variant`` says, and its arguments.

    ``inputs`` is the example call ``(x, *extras)`` (or x alone); the
    arguments are ``(states, x, *extras)``, so the extras are lowered as
    arguments, not constants.
    """
    return Forward(fn=forward_fn(stack, variant), args=(forward_states(stack, variant), *as_inputs(inputs)))


def build_forward(model: ModelSpec | BlockFactory, variant: str, num_layers: int, inputs, seed: int = 0) -> Forward:
    """Return a fresh forward for ``variant`` and its arguments.

    ``model`` is a ModelSpec or a bare block factory; ``inputs`` is x or
    the example call ``(x, *extras)``. The parameters are arguments, not
    constants, so the HLO holds the forward pass alone, as it would in a
    training or serving step.
    """
    if not isinstance(model, ModelSpec):
        x = as_inputs(inputs)[0]
        model = ModelSpec(name="block", description="", make_block=model, input_shape=tuple(x.shape),
                          dtype=str(x.dtype))
    return forward_of(build_stack(model, num_layers, seed), variant, inputs)
