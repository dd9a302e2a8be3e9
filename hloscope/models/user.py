"""Load a user's block factory from ``PATH.py:FACTORY`` or ``package.module:FACTORY``.

The protocol: ``FACTORY(rngs: nnx.Rngs) -> nnx.Module``, and the module maps
an array ``x`` (``--input-shape``, ``--dtype``) to an array of x's shape and
dtype. hloscope stacks it and builds every variant itself.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Callable

from flax import nnx

from hloscope.errors import ModelError, UsageError
from hloscope.models.zoo import ModelSpec


def split_source(source: str) -> tuple[str, str]:
    """'dir/block.py:make' -> ('dir/block.py', 'make'); UsageError if malformed."""
    where, _, factory = source.rpartition(":")
    if not where or not factory.isidentifier():
        raise UsageError(
            f"--model {source!r}: give a built-in name or PATH.py:FACTORY or package.module:FACTORY"
        )
    return where, factory


def _is_path(where: str) -> bool:
    return where.endswith(".py") or "/" in where or "\\" in where


def _import_file(path: Path, source: str):
    if not path.is_file():
        raise ModelError(f"--model {source}: no such file {path}")
    # A name unique to the file, so two blocks called block.py do not collide.
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    module_name = f"hloscope_user_block_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ModelError(f"--model {source}: cannot import {path} as Python")
    module = importlib.util.module_from_spec(spec)
    # The block's own folder comes first, so it can import its neighbours.
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ModelError(f"--model {source}: importing {path} raised {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.pop(0)
    return module


def _import_module(name: str, source: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise ModelError(f"--model {source}: no module named {name!r}") from None
        raise ModelError(f"--model {source}: importing {name} raised ModuleNotFoundError: {exc}") from None
    except Exception as exc:
        raise ModelError(f"--model {source}: importing {name} raised {type(exc).__name__}: {exc}") from None


def load_factory(source: str) -> Callable[[nnx.Rngs], nnx.Module]:
    """Import FACTORY from a file or module and wrap it so its faults are ModelErrors."""
    where, name = split_source(source)
    module = _import_file(Path(where), source) if _is_path(where) else _import_module(where, source)
    if not hasattr(module, name):
        raise ModelError(f"--model {source}: {where} has no factory named {name!r}")
    factory = getattr(module, name)
    if not callable(factory):
        raise ModelError(f"--model {source}: {name} in {where} is {_article(type(factory).__name__)}, not a callable factory")

    def checked_factory(rngs: nnx.Rngs) -> nnx.Module:
        try:
            block = factory(rngs)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"--model {source}: {source}(rngs) raised {type(exc).__name__}: {exc}") from None
        if not isinstance(block, nnx.Module):
            raise ModelError(
                f"--model {source}: {source}(rngs) returned {_article(type(block).__name__)}, not an nnx.Module"
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


def user_model(source: str, name: str, input_shape: tuple[int, ...] | None, dtype: str = "float32") -> ModelSpec:
    """A ModelSpec for a user's block factory."""
    if not input_shape:
        raise UsageError(f"--model {source}: give the block's input shape with --input-shape, e.g. --input-shape 4,32")
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


def _article(noun: str) -> str:
    """'an int', 'a list': the type name with its indefinite article."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
