"""Built-in models: blocks whose stacks hloscope sweeps over layer counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import jax
import jax.numpy as jnp
from flax import nnx

from hloscope.errors import UsageError


class ReluLinear(nnx.Module):
    """The seed's layer: relu(Linear(x)), F -> F."""

    def __init__(self, features: int, *, rngs: nnx.Rngs):
        self.linear = nnx.Linear(features, features, rngs=rngs)

    def __call__(self, x):
        return jax.nn.relu(self.linear(x))


class TransformerBlock(nnx.Module):
    """Pre-LN transformer block: attention and a 4x gelu MLP, each residual."""

    def __init__(self, d_model: int, num_heads: int, *, rngs: nnx.Rngs):
        self.ln1 = nnx.LayerNorm(d_model, rngs=rngs)
        self.attn = nnx.MultiHeadAttention(
            num_heads=num_heads, in_features=d_model, decode=False, rngs=rngs
        )
        self.ln2 = nnx.LayerNorm(d_model, rngs=rngs)
        self.fc1 = nnx.Linear(d_model, 4 * d_model, rngs=rngs)
        self.fc2 = nnx.Linear(4 * d_model, d_model, rngs=rngs)

    def __call__(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(jax.nn.gelu(self.fc1(self.ln2(x))))


@dataclass(frozen=True)
class ModelSpec:
    """What hloscope needs to stack and lower a model."""

    name: str
    description: str
    make_block: Callable[[nnx.Rngs], nnx.Module]
    input_shape: tuple[int, ...]
    dtype: str = "float32"
    sizes: dict[str, Any] = field(default_factory=dict)

    def make_input(self):
        """A deterministic input of the model's shape and dtype."""
        return jax.random.normal(jax.random.key(0), self.input_shape, dtype=jnp.dtype(self.dtype))


def linear_model(features: int = 256) -> ModelSpec:
    """The seed's stack: relu(Linear(F, F)) per layer, batch 1."""
    return ModelSpec(
        name="linear",
        description=f"relu(Linear({features}, {features})) per layer, batch 1",
        make_block=lambda rngs: ReluLinear(features, rngs=rngs),
        input_shape=(1, features),
        sizes={"features": features},
    )


def transformer_model(features: int = 256, heads: int = 4, seq_len: int = 64, batch: int = 1) -> ModelSpec:
    """Pre-LN transformer block, d_model=features."""
    return ModelSpec(
        name="transformer",
        description=(
            f"pre-LN transformer block, d_model {features}, {heads} heads, "
            f"sequence {seq_len}, batch {batch}"
        ),
        make_block=lambda rngs: TransformerBlock(features, heads, rngs=rngs),
        input_shape=(batch, seq_len, features),
        sizes={"features": features, "heads": heads, "seq_len": seq_len, "batch": batch},
    )


BUILTIN_MODELS: dict[str, Callable[..., ModelSpec]] = {
    "linear": linear_model,
    "transformer": transformer_model,
}


def builtin_model(name: str, features: int | None = None) -> ModelSpec:
    """Look up a built-in model by name, with optional width override."""
    try:
        make = BUILTIN_MODELS[name]
    except KeyError:
        valid = ", ".join(sorted(BUILTIN_MODELS))
        raise UsageError(f"unknown model {name!r}; built-in models: {valid}") from None
    return make() if features is None else make(features=features)
