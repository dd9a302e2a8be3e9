"""NNX state read on the host, whatever its type.

A block's state holds more than float parameters: ``BatchStat``,
``Cache``, ``Intermediate``, RNG keys (``RngKey``, dtype ``key<impl>``)
and counts (``RngCount``, uint32), user ``nnx.Variable`` subclasses,
integer and boolean arrays. Every place that reads state or outputs as
numbers (the identical-layer check, equivalence) reads them through
``host_array``, so a key-typed leaf never reaches ``np.asarray``.
"""

from __future__ import annotations

import jax
import numpy as np
from flax import nnx


def is_key(value) -> bool:
    """True for a typed PRNG key array (dtype ``key<fry>``, ``key<rbg>``, ...)."""
    return jax.dtypes.issubdtype(getattr(value, "dtype", None), jax.dtypes.prng_key)


def host_array(value) -> np.ndarray:
    """``value`` as a numpy array; a key array as its key data (uint32, one trailing axis more).

    Two keys are the same key exactly when their key data are equal.
    """
    if is_key(value):
        return np.asarray(jax.random.key_data(value))
    return np.asarray(value)


def host_tree(tree):
    """Every array leaf of ``tree`` through ``host_array``."""
    return jax.tree.map(host_array, tree)


def arrays_by_type(state) -> dict[str, int]:
    """How many arrays ``state`` holds per NNX variable type: {'Param': 4, 'RngKey': 1, ...}.

    Counts array leaves (a variable holding a tuple counts each array), so
    the figures add up to ``len(jax.tree.leaves(state))``.
    """
    counts: dict[str, int] = {}
    for _, variable in nnx.to_flat_state(state):
        name = type(variable).__name__
        counts[name] = counts.get(name, 0) + len(jax.tree.leaves(variable))
    return dict(sorted(counts.items()))


def state_leaves(state):
    """(dotted path, variable type name, value) for every variable of ``state``."""
    for path, variable in nnx.to_flat_state(state):
        value = variable.get_value() if isinstance(variable, nnx.Variable) else variable
        yield ".".join(str(part) for part in path), type(variable).__name__, value
