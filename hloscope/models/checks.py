"""Checks for the classic scan-over-layers mistakes in a model.

- a block that changes its input's shape cannot be scanned: ModelError;
- a block whose stacked parameters are identical in every layer (built
  without ``nnx.split_rngs``, or ignoring the rngs it is given): a warning.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from hloscope.errors import HloscopeError, ModelError
from hloscope.models.stacking import build_stack
from hloscope.models.zoo import ModelSpec


def _shape_text(shape, dtype) -> str:
    return f"{jnp.dtype(dtype)}[{','.join(map(str, shape))}]"


def check_shapes(spec: ModelSpec) -> None:
    """Raise ModelError unless the block maps its input to the same shape and dtype.

    Runs on abstract values (``jax.eval_shape``): nothing is allocated or computed.
    """
    x = jax.ShapeDtypeStruct(tuple(spec.input_shape), jnp.dtype(spec.dtype))

    def probe(x):
        if spec.make_stem is not None:
            x = spec.make_stem(nnx.Rngs(0))(x)
        return x, spec.make_block(nnx.Rngs(0))(x)

    try:
        block_in, block_out = jax.eval_shape(probe, x)
    except HloscopeError:
        raise
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ModelError(
            f"model {spec.name}: calling the block on x of {_shape_text(x.shape, x.dtype)} raised "
            f"{type(exc).__name__}: {first_line} (check --input-shape and --dtype)"
        ) from None
    if isinstance(block_out, jax.ShapeDtypeStruct):
        if (block_out.shape, block_out.dtype) == (block_in.shape, block_in.dtype):
            return
        got = _shape_text(block_out.shape, block_out.dtype)
    else:
        got = f"a {type(block_out).__name__}"
    raise ModelError(
        f"model {spec.name}: the block maps x of {_shape_text(block_in.shape, block_in.dtype)} to {got}; "
        "scan needs a shape-preserving block (output shape and dtype = input's): scan only the "
        "homogeneous segment and keep shape-changing layers outside it, as the stem-trunk-head model does"
    )


def identical_layer_warnings(model: str, trunk_state, layers: int) -> list[str]:
    """Warn for each randomly initialised stacked parameter that is the same in every layer.

    Constant-initialised parameters (zero biases, unit LayerNorm scales) are
    alike in every layer by design and are not reported.
    """
    if layers < 2:
        return []
    warnings = []
    for path, variable in nnx.to_flat_state(trunk_state):
        value = np.asarray(variable[...]) if hasattr(variable, "__getitem__") else np.asarray(variable)
        if value.ndim < 2 or value.shape[0] != layers or not np.issubdtype(value.dtype, np.inexact):
            continue
        first = value[0]
        if first.size < 2 or np.all(first == first.flat[0]):
            continue
        if all(np.array_equal(first, value[i]) for i in range(1, layers)):
            name = ".".join(str(part) for part in path)
            warnings.append(
                f"{model}: parameter {name} is identical in all {layers} layers: the block ignores the "
                "rngs hloscope passes it (as when layers are built without nnx.split_rngs); build its "
                "parameters from the factory's rngs argument so each layer gets its own"
            )
    return warnings


def check_model(spec: ModelSpec, seed: int = 0) -> list[str]:
    """Check a model before a sweep: shapes (ModelError) and a 2-layer stack (warnings)."""
    check_shapes(spec)
    try:
        stack = build_stack(spec, 2, seed)
    except HloscopeError:
        raise
    except Exception as exc:
        raise ModelError(f"model {spec.name}: stacking 2 blocks raised {type(exc).__name__}: {exc}") from None
    return identical_layer_warnings(spec.name, stack.states[1], 2)
