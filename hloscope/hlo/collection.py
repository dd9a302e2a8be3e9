"""Garbage collection paused while a module is read or analysed.

Parsing and analysing a module allocate hundreds of thousands of small
tuples and free none until the end: no reference cycles to find, so a
collection pass only costs time. In a process that holds a large heap (the
sweep's worker, after JAX has compiled), one full pass costs 50-150 ms, as
much as analysing a 30-layer module.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def collection_paused():
    """Disable the cyclic garbage collector for the block; restore it as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
