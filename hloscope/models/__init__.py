"""Models hloscope stacks: the seed primitive, the built-in zoo, stacking."""

from hloscope.models.seed import scan_layers_forward, unrolled_layers_forward
from hloscope.models.stacking import VARIANTS, Forward, build_forward, stack_blocks
from hloscope.models.zoo import BUILTIN_MODELS, ModelSpec, builtin_model

__all__ = [
    "BUILTIN_MODELS",
    "VARIANTS",
    "Forward",
    "ModelSpec",
    "build_forward",
    "builtin_model",
    "scan_layers_forward",
    "stack_blocks",
    "unrolled_layers_forward",
]
