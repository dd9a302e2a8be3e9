"""Models hloscope stacks: the seed primitive, the built-in zoo, user blocks, stacking."""

from hloscope.models.seed import scan_layers_forward, unrolled_layers_forward
from hloscope.models.stacking import (
    Forward,
    Stack,
    build_forward,
    build_stack,
    forward_fn,
    forward_of,
    forward_states,
    separate_layers,
    stack_blocks,
)
from hloscope.models.zoo import BUILTIN_MODELS, ModelSpec, builtin_model
from hloscope.variants import VARIANTS, Variant, parse_variant

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
