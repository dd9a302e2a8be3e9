"""Read dimensions out of HLO shape text (``f32[64,256]{1,0}``, tuples, dynamic sizes)."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from hloscope.hlo.attributes import to_int

_ARRAY_RE = re.compile(r"([a-z][a-z0-9]*)\[([^\]]*)\]")

# Bits per element; types not listed (token, opaque) hold no array data.
ELEMENT_BITS = {
    "pred": 8,
    "s1": 1, "s2": 2, "s4": 4, "s8": 8, "s16": 16, "s32": 32, "s64": 64,
    "u1": 1, "u2": 2, "u4": 4, "u8": 8, "u16": 16, "u32": 32, "u64": 64,
    "f16": 16, "bf16": 16, "f32": 32, "f64": 64, "c64": 64, "c128": 128,
}  # fmt: skip


@lru_cache(maxsize=4096)
def leaf_arrays(shape: str) -> tuple[tuple[str, tuple[int | None, ...]], ...]:
    """(element type, dimensions) of every array in a shape, tuples flattened.

    A bounded dynamic size ``<=4`` reads as its bound 4; an unbounded ``?`` as None.
    """
    leaves = []
    for m in _ARRAY_RE.finditer(_drop_layout_parts(shape)):
        dims: list[int | None] = []
        for item in m.group(2).split(","):
            item = item.strip()
            if not item:
                continue
            item = item.removeprefix("<=").strip()
            dims.append(to_int(item))
        leaves.append((m.group(1), tuple(dims)))
    return tuple(leaves)


def _drop_layout_parts(shape: str) -> str:
    # A layout's physical shape ``P(...)`` would read as a second array.
    return re.sub(r":[^{}]*\}", "}", shape) if ":" in shape else shape


def array_dims(shape: str) -> tuple[int | None, ...] | None:
    """Dimensions of an array shape; None for tuples and unreadable text."""
    if shape.startswith("("):
        return None
    leaves = leaf_arrays(shape)
    return leaves[0][1] if len(leaves) == 1 else None


def element_count(shape: str) -> int | None:
    """Elements of an array shape; None for tuples or unknown sizes."""
    dims = array_dims(shape)
    if dims is None or any(d is None for d in dims):
        return None
    return math.prod(dims)  # type: ignore[arg-type]


def byte_size(shape: str) -> int | None:
    """Bytes of all arrays in a shape (tuples summed); None when a size is unknown."""
    total_bits = 0
    for element_type, dims in leaf_arrays(shape):
        if any(d is None for d in dims):
            return None
        total_bits += ELEMENT_BITS.get(element_type, 0) * math.prod(dims)  # type: ignore[arg-type]
    return (total_bits + 7) // 8


def tuple_elements(shape: str) -> list[str] | None:
    """The top-level element texts of a tuple shape; None when ``shape`` is no tuple."""
    shape = shape.strip()
    if not shape.startswith("(") or not shape.endswith(")"):
        return None
    elements, depth, start = [], 0, 1
    for i, ch in enumerate(shape[1:-1], 1):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            elements.append(shape[start:i].strip())
            start = i + 1
    last = shape[start:-1].strip()
    if last or elements:
        elements.append(last)
    return elements


def is_async_start_shape(shape: str) -> bool:
    """Whether ``shape`` has the ``((operands), outputs, ...)`` form XLA requires of an async start."""
    elements = tuple_elements(shape)
    return elements is not None and len(elements) >= 2 and elements[0].startswith("(")
