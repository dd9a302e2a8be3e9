"""Built-in models: blocks whose stacks hloscope sweeps over layer counts."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import jax
import jax.numpy as jnp
from flax import nnx

from hloscope.errors import UsageError

BlockFactory = Callable[[nnx.Rngs], nnx.Module]


class ReluLinear(nnx.Module):
    """The seed's layer: relu(Linear(x)), F -> F."""

    def __init__(self, features: int, *, rngs: nnx.Rngs):
        self.linear = nnx.Linear(features, features, rngs=rngs)

    def __call__(self, x):
        return jax.nn.relu(self.linear(x))


class MlpBlock(nnx.Module):
    """x + Linear(gelu(Linear(x))), F -> 4F -> F."""

    def __init__(self, features: int, *, rngs: nnx.Rngs):
        self.fc1 = nnx.Linear(features, 4 * features, rngs=rngs)
        self.fc2 = nnx.Linear(4 * features, features, rngs=rngs)

    def __call__(self, x):
        return x + self.fc2(jax.nn.gelu(self.fc1(x)))


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
    """What hloscope needs to stack and lower a model.

    ``make_block`` builds one layer of the homogeneous trunk; called as
    ``block(x, *extras)`` it returns an array of x's shape and dtype, or a
    tuple ``(y, aux)``. ``make_stem`` and ``make_head`` (optional) build the
    shape-changing layers before and after the trunk; they are applied once,
    outside the scan. ``source`` is the ``--model`` string the spec was
    resolved from, so a worker process can build it again.

    x is standard-normal noise of ``input_shape`` and ``dtype``, or, when
    ``make_inputs`` is given (``--inputs``, named by ``inputs``), the
    example call ``(x, *extras)`` it returns; ``input_shape`` is then None.
    """

    name: str
    description: str
    make_block: BlockFactory
    input_shape: tuple[int, ...] | None
    dtype: str = "float32"
    sizes: dict[str, Any] = field(default_factory=dict)
    make_stem: BlockFactory | None = None
    make_head: BlockFactory | None = None
    source: str = ""
    make_inputs: Callable[[], tuple] | None = None
    inputs: str = ""

    def make_input(self):
        """A deterministic x of the model's shape and dtype.

        Floating and complex: standard normal; boolean: fair coin flips;
        integer: small non-negative values (0 to 7), valid as indices.
        """
        dtype, key = jnp.dtype(self.dtype), jax.random.key(0)
        if jnp.issubdtype(dtype, jnp.inexact):
            return jax.random.normal(key, self.input_shape, dtype=dtype)
        if dtype == jnp.bool_:
            return jax.random.bernoulli(key, shape=self.input_shape)
        return jax.random.randint(key, self.input_shape, 0, 8, dtype=dtype)

    def example_inputs(self) -> tuple:
        """The example call ``(x, *extras)``: ``make_inputs()``, or ``(make_input(),)``."""
        if self.make_inputs is not None:
            return self.make_inputs()
        return (self.make_input(),)


def linear_model(features: int = 256) -> ModelSpec:
    """The seed's stack: relu(Linear(F, F)) per layer, batch 1."""
    return ModelSpec(
        name="linear",
        description=f"relu(Linear({features}, {features})) per layer, batch 1",
        make_block=lambda rngs: ReluLinear(features, rngs=rngs),
        input_shape=(1, features),
        sizes={"features": features},
        source="linear",
    )


def mlp_model(features: int = 256, batch: int = 1) -> ModelSpec:
    """Residual MLP blocks: x + Linear(gelu(Linear(x))), hidden 4F."""
    return ModelSpec(
        name="mlp",
        description=f"x + Linear({4 * features}, {features})(gelu(Linear({features}, {4 * features})(x))) per layer, batch {batch}",
        make_block=lambda rngs: MlpBlock(features, rngs=rngs),
        input_shape=(batch, features),
        sizes={"features": features, "batch": batch},
        source="mlp",
    )


def transformer_model(features: int = 256, heads: int = 4, seq_len: int = 64, batch: int = 1) -> ModelSpec:
    """Pre-LN transformer block, d_model=features."""
    if features % heads:
        raise UsageError(f"--features {features} is not divisible by --heads {heads}")
    return ModelSpec(
        name="transformer",
        description=(
            f"pre-LN transformer block, d_model {features}, {heads} heads, "
            f"sequence {seq_len}, batch {batch}"
        ),
        make_block=lambda rngs: TransformerBlock(features, heads, rngs=rngs),
        input_shape=(batch, seq_len, features),
        sizes={"features": features, "heads": heads, "seq_len": seq_len, "batch": batch},
        source="transformer",
    )


def stem_trunk_head_model(features: int = 256, batch: int = 1) -> ModelSpec:
    """Linear stem F_in -> F, a trunk of residual MLP blocks, Linear head F -> F_out.

    Only the trunk is homogeneous, so only the trunk is scanned or unrolled;
    F_in = 2F and F_out = F/2 make the stem and head change the shape.
    """
    f_in, f_out = 2 * features, max(1, features // 2)
    return ModelSpec(
        name="stem-trunk-head",
        description=(
            f"Linear({f_in}, {features}) stem, trunk of residual MLP blocks (hidden {4 * features}), "
            f"Linear({features}, {f_out}) head, batch {batch}"
        ),
        make_block=lambda rngs: MlpBlock(features, rngs=rngs),
        input_shape=(batch, f_in),
        sizes={"features": features, "batch": batch, "in_features": f_in, "out_features": f_out},
        make_stem=lambda rngs: nnx.Linear(f_in, features, rngs=rngs),
        make_head=lambda rngs: nnx.Linear(features, f_out, rngs=rngs),
        source="stem-trunk-head",
    )


BUILTIN_MODELS: dict[str, Callable[..., ModelSpec]] = {
    "linear": linear_model,
    "mlp": mlp_model,
    "transformer": transformer_model,
    "stem-trunk-head": stem_trunk_head_model,
}


def builtin_model(name: str, features: int | None = None, **sizes: int | None) -> ModelSpec:
    """Look up a built-in model by name; sizes left None keep the model's defaults.

    A size the model does not take (``heads`` for ``linear``) is ignored, so
    one set of options can serve a run over several models.
    """
    try:
        make = BUILTIN_MODELS[name]
    except KeyError:
        valid = ", ".join(sorted(BUILTIN_MODELS))
        raise UsageError(
            f"unknown model {name!r}; built-in models: {valid}; or give a block factory as PATH.py:FACTORY"
        ) from None
    given = {"features": features, **sizes}
    takes = inspect.signature(make).parameters
    kwargs = {k: v for k, v in given.items() if v is not None and k in takes}
    return make(**kwargs)
