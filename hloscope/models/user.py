"""Load a user's block factory (``--model``) and inputs function (``--inputs``).

Each is named ``PATH.py:NAME`` or ``package.module:NAME``. The protocol:
``FACTORY(rngs: nnx.Rngs) -> nnx.Module`` builds one layer; the module is
called ``block(x, *extras)`` and returns y of x's shape and dtype, or a
tuple ``(y, aux)``. x is described by ``--input-shape`` and ``--dtype``, or
``--inputs`` names ``FN() -> (x, *extras)``, a tuple of arrays: x is carried
from layer to layer, the extras are passed unchanged to every layer.
hloscope stacks the block and builds every variant itself.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Callable

from flax import nnx

from hloscope.errors import ModelError, UsageError, article
from hloscope.models.zoo import ModelSpec
from hloscope.sources import is_path, split_source


def _import_file(path: Path, source: str, option: str = "--model"):
    if not path.is_file():
        raise ModelError(f"{option} {source}: no such file {path}")
    # A name unique to the file, so two blocks called block.py do not collide.
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    module_name = f"hloscope_user_block_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ModelError(f"{option} {source}: cannot import {path} as Python")
    module = importlib.util.module_from_spec(spec)
    # The block's own folder comes first, so it can import its neighbours.
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ModelError(f"{option} {source}: importing {path} raised {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.pop(0)
    return module


def _import_module(name: str, source: str, option: str = "--model"):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise ModelError(f"{option} {source}: no module named {name!r}") from None
        raise ModelError(f"{option} {source}: importing {name} raised ModuleNotFoundError: {exc}") from None
    except Exception as exc:
        raise ModelError(f"{option} {source}: importing {name} raised {type(exc).__name__}: {exc}") from None


def _load_callable(source: str, option: str, kind: str) -> Callable:
    """The callable NAME of ``PATH.py:NAME`` or ``module:NAME``; ModelError naming ``option``."""
    where, name = split_source(source, option)
    module = (_import_file(Path(where), source, option) if is_path(where)
              else _import_module(where, source, option))
    if not hasattr(module, name):
        raise ModelError(f"{option} {source}: {where} has no {kind} named {name!r}")
    function = getattr(module, name)
    if not callable(function):
        raise ModelError(f"{option} {source}: {name} in {where} is {article(type(function).__name__)}, not a callable {kind}")
    return function


def load_factory(source: str) -> Callable[[nnx.Rngs], nnx.Module]:
    """Import FACTORY from a file or module and wrap it so its faults are ModelErrors."""
    name = split_source(source)[1]
    factory = _load_callable(source, "--model", "factory")

    def checked_factory(rngs: nnx.Rngs) -> nnx.Module:
        try:
            block = factory(rngs)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"--model {source}: {source}(rngs) raised {type(exc).__name__}: {exc}") from None
        if not isinstance(block, nnx.Module):
            raise ModelError(
                f"--model {source}: {source}(rngs) returned {article(type(block).__name__)}, not an nnx.Module"
            )
        return block

    checked_factory.__name__ = name
    return checked_factory


def parse_dtype(dtype: str) -> str:
    """Check a dtype name ('float32', 'bfloat16'); UsageError if numpy/JAX do not know it."""
    import jax.numpy as jnp

    try:
        return str(jnp.dtype(dtype))
    except TypeError:
        raise UsageError(f"--dtype {dtype!r}: not a dtype JAX knows (e.g. float32, bfloat16, float16)") from None


INPUTS_PROTOCOL = "return a tuple (x, *extras) of arrays, e.g. return (x, mask, positions), or (x,) for x alone"


def load_inputs(source: str) -> Callable[[], tuple]:
    """Import ``FN`` of ``--inputs PATH.py:FN`` and wrap it: ``FN()`` checked to be a tuple of arrays.

    The wrapped function returns ``(x, *extras)`` as jax arrays (numpy
    arrays are converted); it raises ModelError naming the file, the
    function and what to return instead.
    """
    import jax
    import jax.numpy as jnp
    import numpy as np

    name = split_source(source, "--inputs")[1]
    function = _load_callable(source, "--inputs", "function")

    def checked_inputs() -> tuple:
        try:
            inputs = function()
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"--inputs {source}: {name}() raised {type(exc).__name__}: {exc}") from None
        if not isinstance(inputs, tuple) or not inputs:
            got = ("an empty tuple" if isinstance(inputs, tuple)
                   else "a single array" if isinstance(inputs, (jax.Array, np.ndarray))
                   else article(type(inputs).__name__))
            raise ModelError(f"--inputs {source}: {name}() returned {got}; {INPUTS_PROTOCOL}")
        for index, item in enumerate(inputs):
            if not isinstance(item, (jax.Array, np.ndarray)):
                what = "x" if index == 0 else f"extra {index}"
                raise ModelError(
                    f"--inputs {source}: item {index} ({what}) of what {name}() returned is "
                    f"{article(type(item).__name__)}, not an array; {INPUTS_PROTOCOL} "
                    "(settings such as flags belong in the block)"
                )
        return tuple(jnp.asarray(item) if isinstance(item, np.ndarray) else item for item in inputs)

    checked_inputs.__name__ = name
    return checked_inputs


def user_model(source: str, name: str, input_shape: tuple[int, ...] | None, dtype: str = "float32",
               inputs: str | None = None) -> ModelSpec:
    """A ModelSpec for a user's block factory, its x from --input-shape/--dtype or from --inputs."""
    if inputs:
        factory = load_factory(source)
        return ModelSpec(
            name=name,
            description=f"user block {source}, called as {inputs}()",
            make_block=factory,
            input_shape=None,
            sizes={"inputs": inputs},
            source=source,
            make_inputs=load_inputs(inputs),
            inputs=inputs,
        )
    if not input_shape:
        raise UsageError(
            f"--model {source}: give the block's input shape with --input-shape, e.g. --input-shape 4,32, "
            "or its example call with --inputs PATH.py:FUNCTION"
        )
    factory = load_factory(source)
    dtype = parse_dtype(dtype)
    shape = tuple(int(n) for n in input_shape)
    return ModelSpec(
        name=name,
        description=f"user block {source}, input {dtype}{list(shape)}",
        make_block=factory,
        input_shape=shape,
        dtype=dtype,
        sizes={"input_shape": list(shape), "dtype": dtype},
        source=source,
    )
