"""The training step around any variant's forward: loss, gradients, one optax.adamw update.

``train_step_of(forward)`` wraps a variant's Forward, ``fn(states, *inputs)``
returning y or ``(y, aux)``, without knowing what the inputs are:

- loss = mean(y²) in float32: no labels are needed, and what the loss
  compares against does not change what XLA compiles for the stack;
- ``jax.value_and_grad`` over the trainable parameters (``nnx.Param``
  leaves of a floating dtype); every other state (RNG keys and counts,
  ``BatchStat``, integer parameters) is an argument of its own, carried
  into the forward unchanged and not differentiated;
- one ``optax.adamw`` update of those parameters;
- parameters and optimizer state donated (``donate_argnums=(0, 1)``), as a
  training loop hands them from step to step.

The step returns (new parameters, new optimizer state, loss).
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from hloscope.errors import ModelError
from hloscope.models.stacking import Forward, Stack, cached_layers, forward_of, forward_states
from hloscope.variants import parse_variant

# optax.adamw's settings (its defaults but the learning rate, which it has none of).
LEARNING_RATE = 1e-3
ADAM_B1 = 0.9
WEIGHT_DECAY = 1e-4
# The arguments a step consumes: parameters and optimizer state.
DONATED = (0, 1)


def is_trainable(path, value) -> bool:
    """An nnx filter: parameters that get gradients (``nnx.Param`` of a floating dtype)."""
    return isinstance(value, nnx.Param) and jnp.issubdtype(getattr(value, "dtype", None), jnp.inexact)


def split_trainable(states: tuple) -> tuple[tuple, tuple]:
    """(params, rest) of each part of ``states`` (stem, trunk, head; None where absent)."""
    split = [(None, None) if s is None else nnx.split_state(s, is_trainable, ...) for s in states]
    return tuple(p for p, _ in split), tuple(r for _, r in split)


def merge_trainable(params: tuple, rest: tuple) -> tuple:
    """The states ``split_trainable`` split, whole again."""
    return tuple(None if p is None else nnx.merge_state(p, r) for p, r in zip(params, rest))


def mean_square_loss(output) -> jax.Array:
    """mean(y²) in float32 of y, or of the y of ``(y, aux)``."""
    y = output[0] if isinstance(output, tuple) else output
    return jnp.mean(jnp.square(y.astype(jnp.float32)))


def make_optimizer() -> optax.GradientTransformation:
    """``optax.adamw`` with a fixed learning rate and optax's other defaults."""
    return optax.adamw(LEARNING_RATE, b1=ADAM_B1, weight_decay=WEIGHT_DECAY)


def train_step_fn(forward_fn: Callable, optimizer: optax.GradientTransformation) -> Callable:
    """``step(params, opt_state, rest, *inputs) -> (params, opt_state, loss)`` around ``forward_fn``."""

    def step(params, opt_state, rest, *inputs):
        def loss_fn(params):
            # The carried state is rebuilt in this trace: NNX refuses variables made in an outer one
            # (a block's RNG counts, which scan advances, are such variables).
            carried = jax.tree.map(lambda leaf: leaf, rest)
            return mean_square_loss(forward_fn(merge_trainable(params, carried), *inputs))

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return step


def _next_args(output, args: tuple) -> tuple:
    # The next step of a training loop takes this step's parameters and optimizer state.
    return (output[0], output[1], *args[2:])


def train_step_of(forward: Forward) -> Forward:
    """The training step of ``forward`` and its arguments ``(params, opt_state, rest, *inputs)``.

    The parameters are copies (the step consumes what it is given; the
    stack stays whole for the other points of its layer count). Raises
    ModelError when the states hold no trainable parameter.
    """
    states, *inputs = forward.args
    params, rest = split_trainable(states)
    if not jax.tree.leaves(params):
        raise ModelError("the model has no trainable parameters (nnx.Param of a floating dtype): nothing to train")
    optimizer = make_optimizer()
    opt_state = optimizer.init(params)
    return Forward(
        fn=train_step_fn(forward.fn, optimizer),
        args=(jax.device_put(params, may_alias=False), opt_state, rest, *inputs),
        donate_argnums=DONATED,
        next_args=_next_args,
        checked=checked_result,
    )


def checked_result(output) -> dict[str, Any]:
    """What the equivalence check reads of a step's output, as host arrays.

    ``loss``, the updated ``params`` and Adam's ``first_moment`` (after one
    step from zero it is (1 - b1) x the gradient); not the second moment.
    """
    params, opt_state, loss = output
    return jax.device_get({"loss": loss, "params": params,
                           "first_moment": optax.tree_utils.tree_get(opt_state, "mu")})


def tree_size(tree) -> dict[str, int]:
    """``{"leaves", "bytes"}`` of a pytree's arrays: how many and how large (bytes as stored)."""
    leaves = jax.tree.leaves(tree)
    return {"leaves": len(leaves), "bytes": int(sum(np.dtype(leaf.dtype).itemsize * leaf.size for leaf in leaves))}


def train_sizes(stack: Stack, variant: str) -> dict[str, dict[str, int]]:
    """``params`` and ``optimizer_state`` sizes of the training step of ``variant`` over ``stack``.

    Read from shapes (``jax.eval_shape`` of the optimizer's init): nothing is allocated.
    """
    params, _ = split_trainable(forward_states(stack, variant))
    opt_state = jax.eval_shape(make_optimizer().init, params)
    return {"params": tree_size(params), "optimizer_state": tree_size(opt_state)}


def stacked_params(params: tuple, stack: Stack, variant: str) -> tuple:
    """Updated parameters laid out as the stacked trunk, for comparison with scan's.

    ``unroll`` holds L separate modules: layer i's arrays are stacked back
    along a leading layer axis. The other variants hold the stack already.
    Host (numpy) arrays in, host arrays out.
    """
    how = parse_variant(variant)
    if how.scanned or how.sliced:
        return params
    stem, trunk, head = params
    layers = [trunk[i] for i in range(cached_layers(stack).layers)]
    return (stem, jax.tree.map(lambda *leaves: np.stack(leaves), *layers), head)


def comparable_result(checked: dict[str, Any], stack: Stack, variant: str) -> dict[str, Any]:
    """What the equivalence check compares of a first step's ``checked_result``.

    ``loss``; ``params``, the updated parameters laid out as the stacked
    trunk; ``gradients`` in the same layout, from Adam's first moment.
    """
    gradients = jax.tree.map(lambda m: np.asarray(m, np.float64) / (1.0 - ADAM_B1), checked["first_moment"])
    return {"loss": checked["loss"], "params": stacked_params(checked["params"], stack, variant),
            "gradients": stacked_params(gradients, stack, variant)}


def check_trainable(spec, stack: Stack) -> None:
    """Raise ModelError unless a training step of ``spec`` can be built and traced.

    The block must hold trainable parameters (``nnx.Param`` of a floating
    dtype) and return a floating y: the step differentiates mean(y²) with
    respect to those parameters. ``stack`` is a small stack of the model.
    Traces only (``jax.eval_shape``) on the example call: nothing is computed.
    """
    from hloscope.models.checks import model_label

    name = model_label(spec)
    trunk_params, _ = split_trainable((stack.states[1],))
    if not jax.tree.leaves(trunk_params):
        kinds = sorted({type(v).__name__ for _, v in nnx.to_flat_state(stack.states[1])})
        held = f"it holds {', '.join(kinds)}" if kinds else "it holds no state"
        raise ModelError(
            f"{name}: --step train needs a block with trainable parameters (nnx.Param of a floating dtype); "
            f"{held}: give the block nnx.Param weights, or measure --step forward"
        )
    forward = forward_of(stack, "scan", spec.example_inputs())
    y = jax.eval_shape(forward.fn, *forward.args)
    y = y[0] if isinstance(y, tuple) else y
    if not jnp.issubdtype(y.dtype, jnp.inexact):
        raise ModelError(
            f"{name}: --step train differentiates mean(y²) of the block's output, but y is "
            f"{jnp.dtype(y.dtype)}[{','.join(map(str, y.shape))}], not floating point: measure --step forward, "
            "or give the block a floating input and output (--dtype float32)"
        )
    step = train_step_of(forward)
    try:
        jax.eval_shape(step.fn, *step.args)
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ModelError(f"{name}: tracing its training step raised {type(exc).__name__}: {first_line}") from None
