"""Models hloscope stacks: the seed primitive, the built-in zoo, user blocks, stacking."""

from hloscope.models.seed import scan_layers_forward, unrolled_layers_forward
from hloscope.models.stacking import (
    VARIANTS,
    Forward,
    Stack,
    Variant,
    build_forward,
    build_stack,
    forward_fn,
    forward_of,
    forward_states,
    parse_variant,
    separate_layers,
    stack_blocks,
)
from hloscope.models.zoo import BUILTIN_MODELS, ModelSpec, builtin_model

__all__ = [
    "BUILTIN_MODELS",
    "VARIANTS",
    "Forward",
    "ModelSpec",
    "Stack",
    "Variant",
    "build_forward",
    "build_stack",
    "builtin_model",
    "forward_fn",
    "forward_of",
    "forward_states",
    "parse_variant",
    "scan_layers_forward",
    "separate_layers",
    "stack_blocks",
    "unrolled_layers_forward",
]
