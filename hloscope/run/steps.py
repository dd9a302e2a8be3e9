"""The function each step lowers: a variant's forward, or the training step around it.

Runs in the worker only (imports jax, flax and optax).
"""

from __future__ import annotations

from hloscope.models.stacking import Forward, Stack, forward_of
from hloscope.models.train import comparable_result, train_sizes, train_step_of
from hloscope.steps import TRAIN


def step_forward(stack: Stack, step: str, variant: str, inputs) -> Forward:
    """What ``step`` lowers for ``variant`` over ``stack``: its forward, or the training step around it."""
    forward = forward_of(stack, variant, inputs)
    return train_step_of(forward) if step == TRAIN else forward


def comparable(checked, stack: Stack, step: str, variant: str):
    """What the equivalence check compares of one call's ``Forward.check_result``.

    A forward's y (or (y, aux)); a training step's loss, gradients and
    updated parameters laid out as the stack.
    """
    return comparable_result(checked, stack, variant) if step == TRAIN else checked


def step_extras(stack: Stack, step: str, variant: str) -> dict:
    """What a point records beyond the forward's figures: a training step's ``params`` and ``optimizer_state``."""
    return train_sizes(stack, variant) if step == TRAIN else {}
