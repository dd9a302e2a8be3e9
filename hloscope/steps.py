"""The steps: what a point lowers, the forward pass alone or a whole training step.

One module of plain rules (no jax) that the run, the records and every
reader of points share: the steps' names, parsing ``--step``, and how text
names a step's series. A point recorded before steps existed measured the
forward pass.
"""

from __future__ import annotations

from hloscope.errors import UsageError

FORWARD = "forward"
TRAIN = "train"
STEPS = (FORWARD, TRAIN)
DEFAULT_STEPS = (FORWARD,)
STEP_TITLES = {FORWARD: "forward pass", TRAIN: "training step"}


def check_step(step: str) -> str:
    """``step`` if it is a known step; UsageError naming the known ones otherwise."""
    if step not in STEPS:
        raise UsageError(f"unknown step {step!r}; choose from {', '.join(STEPS)} (a comma list is allowed)")
    return step


def parse_steps(text: str) -> tuple[str, ...]:
    """'forward,train' -> ('forward', 'train'); UsageError for an unknown or empty item."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or not all(items):
        raise UsageError(f"{text!r}: give a comma-separated list of steps, e.g. forward,train")
    return tuple(dict.fromkeys(check_step(item) for item in items))


def record_steps(config: dict) -> tuple[str, ...]:
    """The steps a stored run config measured; a config from before steps existed measured the forward."""
    steps = config.get("steps")
    return tuple(steps) if isinstance(steps, list) and steps else DEFAULT_STEPS


def series_name(step: str, variant: str) -> str:
    """How text names a variant of a step: 'scan' for the forward pass, 'train/scan' for the training step.

    The same spelling ``check --expect train/scan:compile_s=O(1)`` takes.
    """
    return variant if step == FORWARD else f"{step}/{variant}"


def series_label(model: str, step: str, variant: str, metric: str | None = None) -> str:
    """'transformer scan', 'transformer train/scan compile_s'."""
    text = f"{model} {series_name(step, variant)}"
    return f"{text} {metric}" if metric else text


def point_label(point) -> str:
    """'transformer train/scan L=8': a point, or anything with model, step, variant and layers."""
    return f"{series_label(point.model, point.step, point.variant)} L={point.layers}"
