"""Checks for the classic scan-over-layers mistakes in a model.

Errors (ModelError, exit status 2, before anything is measured or written):

- a block that changes x's shape or dtype, or returns something other than
  y or a tuple ``(y, aux)``: scan carries x from layer to layer;
- a block whose second call traces to other operations than its first
  (Python state that changes between calls, extras used differently from
  layer to layer): scan traces one layer and applies it L times.

Warnings: a stacked parameter or RNG key that is the same in every layer
(built without ``nnx.split_rngs``, or ignoring the rngs it is given).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from hloscope.errors import HloscopeError, ModelError
from hloscope.models.stacking import build_stack, layer_output
from hloscope.models.state import host_array, is_key, state_leaves
from hloscope.models.zoo import ModelSpec


def _shape_text(value) -> str:
    if is_key(value):
        return f"{value.dtype}[{','.join(map(str, value.shape))}]"
    return f"{jnp.dtype(value.dtype)}[{','.join(map(str, value.shape))}]"


def model_label(spec: ModelSpec) -> str:
    """How errors name a model: '--model PATH.py:FACTORY' (with its --inputs) or 'model NAME'."""
    if spec.source and ":" in spec.source:
        return f"--model {spec.source}" + (f" with --inputs {spec.inputs}" if spec.inputs else "")
    return f"model {spec.name}"


def _inputs_hint(spec: ModelSpec) -> str:
    if spec.inputs:
        return f"check what {spec.inputs} returns"
    return "check --input-shape and --dtype; a block that takes extras gets them from --inputs PATH.py:FUNCTION"


def _trace_layer(spec: ModelSpec, stack, layer: int, block_inputs: tuple):
    """(jaxpr text, abstract (y, (aux,)) or (y, ())) of calling the trunk's layer ``layer`` once.

    A fresh function per call: make_jaxpr would reuse a trace of the same function object.
    """
    trunk_def, trunk_state = stack.graphdefs[1], stack.states[1]
    layer_state = jax.tree.map(lambda a: a[layer], trunk_state)
    label = model_label(spec)

    def call(state, *inputs):
        out = nnx.merge(trunk_def, state)(*inputs)
        try:
            return layer_output(out)
        except ModelError as exc:
            raise ModelError(f"{label}: {exc}: y of x's shape and dtype, aux any pytree of arrays "
                             "(a per-layer loss or statistics), e.g. return y, {'loss': loss}") from None

    jaxpr, shape = jax.make_jaxpr(call, return_shape=True)(layer_state, *block_inputs)
    return str(jaxpr), shape


def check_shapes(spec: ModelSpec, inputs: tuple | None = None, stack=None) -> tuple[tuple, str]:
    """Raise ModelError unless the block maps x to y of x's shape and dtype, or to (y, aux).

    ``inputs`` is the example call ``(x, *extras)`` (default:
    ``spec.example_inputs()``), ``stack`` a stack of the model (default: one
    layer). Traces only (``jax.eval_shape``, ``jax.make_jaxpr``): nothing is
    computed. Returns the abstract inputs of the trunk's first block (x
    after the stem, then the extras) and the jaxpr text of that first call.
    """
    inputs = spec.example_inputs() if inputs is None else inputs
    stack = build_stack(spec, 1) if stack is None else stack
    label = model_label(spec)
    x, extras = inputs[0], tuple(inputs[1:])
    try:
        block_in = x
        if spec.make_stem is not None:
            block_in = jax.eval_shape(lambda x: spec.make_stem(nnx.Rngs(0))(x), x)
        text, (block_out, aux) = _trace_layer(spec, stack, 0, (block_in, *extras))
    except HloscopeError:
        raise
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        with_extras = f" and extras {', '.join(_shape_text(e) for e in extras)}" if extras else ""
        raise ModelError(
            f"{label}: calling the block on x of {_shape_text(x)}{with_extras} raised "
            f"{type(exc).__name__}: {first_line} ({_inputs_hint(spec)})"
        ) from None
    if (block_out.shape, block_out.dtype) == (block_in.shape, block_in.dtype):
        return (jax.ShapeDtypeStruct(block_in.shape, block_in.dtype), *extras), text
    if aux:
        raise ModelError(
            f"{label}: the block returns a tuple whose first item is {_shape_text(block_out)} where x is "
            f"{_shape_text(block_in)}; a tuple output must be (y, aux), y of x's shape and dtype first "
            "(scan carries it to the next layer), then aux"
        )
    raise ModelError(
        f"{label}: the block maps x of {_shape_text(block_in)} to {_shape_text(block_out)}; "
        "scan needs a shape-preserving block (output shape and dtype = input's): scan only the "
        "homogeneous segment and keep shape-changing layers outside it, as the stem-trunk-head model does"
    )


def check_layers_alike(spec: ModelSpec, stack, block_inputs: tuple, first_text: str) -> None:
    """Raise ModelError when the trunk's second layer traces to other operations than its first.

    Scan traces one layer and applies it to all L; the unrolled variants
    trace every layer. A block whose call depends on Python state that
    changes between calls (a counter, a global, extras used by the first
    layer only) computes something else unrolled than scanned.
    ``block_inputs`` and ``first_text`` come from ``check_shapes``, whose
    trace is the block's first call.
    """
    second_text, _ = _trace_layer(spec, stack, 1, block_inputs)
    if second_text == first_text:
        return
    first, second = next(
        ((a.strip(), b.strip()) for a, b in zip(first_text.splitlines(), second_text.splitlines()) if a != b),
        ("", ""),
    )
    extras = " and the extras" if len(block_inputs) > 1 else ""
    raise ModelError(
        f"{model_label(spec)}: the block's second call traces to other operations than its first "
        f"({_clip(first)!r} became {_clip(second)!r}): scan traces one layer and applies it to all of them, "
        f"so every layer must do the same with x{extras}; remove Python state that changes between calls "
        "(counters, globals, flags set by the first call) and keep what differs between layers in the "
        "block's arrays, built from the rngs"
    )


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def identical_layer_warnings(model: str, trunk_state, layers: int) -> list[str]:
    """Warn for each randomly initialised stacked array or RNG key that is the same in every layer.

    Constant-initialised arrays (zero biases, unit LayerNorm scales, RNG
    counts) are alike in every layer by design and are not reported; nor are
    integer and boolean arrays. Keys are compared by their key data.
    """
    if layers < 2:
        return []
    warnings = []
    for name, kind, leaf in state_leaves(trunk_state):
        key = is_key(leaf)
        if not key and not jnp.issubdtype(getattr(leaf, "dtype", np.dtype(object)), jnp.inexact):
            continue
        value = host_array(leaf)
        if value.ndim < 2 or value.shape[0] != layers:
            continue
        first = value[0]
        # A constant array is alike by design; a key is random whatever its bits (key(0)'s are all 0).
        if not key and (first.size < 2 or np.all(first == first.flat[0])):
            continue
        if all(np.array_equal(first, value[i]) for i in range(1, layers)):
            if key:
                warnings.append(
                    f"{model}: RNG key {name} is identical in all {layers} layers: every layer draws the same "
                    "random bits (as when a block makes its own nnx.Rngs); build its streams from the "
                    "factory's rngs argument so each layer gets its own"
                )
            else:
                warnings.append(
                    f"{model}: parameter {name} is identical in all {layers} layers: the block ignores the "
                    "rngs hloscope passes it (as when layers are built without nnx.split_rngs); build its "
                    "parameters from the factory's rngs argument so each layer gets its own"
                )
    return warnings


def check_model(spec: ModelSpec, seed: int = 0) -> list[str]:
    """Check a model before a sweep: its example call, output form and layers (ModelError), its stack (warnings)."""
    inputs = spec.example_inputs()
    try:
        stack = build_stack(spec, 2, seed)
    except HloscopeError:
        raise
    except Exception as exc:
        raise ModelError(f"{model_label(spec)}: stacking 2 blocks raised {type(exc).__name__}: {exc}") from None
    # The first trace of the block's call is check_shapes': Python state a call changes shows from the second.
    block_inputs, first_text = check_shapes(spec, inputs, stack)
    check_layers_alike(spec, stack, block_inputs, first_text)
    return identical_layer_warnings(spec.name, stack.states[1], 2)
