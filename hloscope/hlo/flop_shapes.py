"""Shapes as hloscope's FLOP rules read them (``hloscope.hlo.flops``): operands' shapes, and the shapes XLA's
parser infers where the text leaves an instruction's shape out (``v = abs(a)``, nested instructions).

Every function raises ``Unreadable`` (``hloscope.hlo.windows``) where a shape the rule needs cannot be read.
"""

from __future__ import annotations

import math

from hloscope.hlo.attributes import int_list
from hloscope.hlo.module import HloInstruction
from hloscope.hlo.shapes import array_dims, element_count, leaf_arrays, tuple_elements
from hloscope.hlo.windows import Unreadable, window_dims

# As jaxlib 0.10.2's HloCostAnalysis sorts them (its figures: acos, acosh, asin, asinh, atanh, cosh and sinh
# are transcendentals, bitcast-convert is one FLOP per element).
TRANSCENDENTAL_OPCODES = frozenset(
    "acos acosh asin asinh atanh cosh erf exponential log logistic power sqrt cbrt rsqrt sinh tanh sine cosine "
    "exponential-minus-one log-plus-one atan2 tan".split()
)
ELEMENTWISE_OPCODES = frozenset(
    "abs add and bitcast-convert ceil clamp compare complex convert count-leading-zeros divide floor imag "
    "is-finite maximum minimum mulhi multiply negate not or popcnt real reduce-precision remainder "
    "round-nearest-afz round-nearest-even select shift-left shift-right-arithmetic shift-right-logical sign "
    "stochastic-convert subtract xor".split()
)
_DOT_DIMENSION_NUMBERS = ("lhs_batch_dims", "rhs_batch_dims", "lhs_contracting_dims", "rhs_contracting_dims")


def need(value):
    """``value``, unless it is None (unreadable)."""
    if value is None:
        raise Unreadable()
    return value


def leaf_elements(shape: str) -> int | None:
    """Elements of every array in a shape, tuples flattened; None for unknown sizes."""
    total = 0
    for _, dims in leaf_arrays(shape):
        if any(d is None for d in dims):
            return None
        total += math.prod(dims)  # type: ignore[arg-type]
    return total


def operand_shape(inst: HloInstruction, index: int, memo: dict | None = None) -> str:
    """The shape of operand ``index`` (``shape_of``)."""
    if index >= len(inst.operands):
        raise Unreadable()
    operand = inst.computation.instruction_map.get(inst.operands[index])
    return shape_of(need(operand), memo)


def shape_of(inst: HloInstruction, memo: dict | None = None) -> str:
    """The instruction's shape; where the text leaves it out, the one XLA's parser infers, as far as its FLOPs
    need it ("" where hloscope cannot tell: the instruction is then declared unreadable).

    Elementwise ops: their largest operand's shape (the element type may differ: only the dimensions count);
    dot: lhs batch dimensions, lhs free dimensions, rhs free dimensions; reduce: its first input's dimensions
    less the reduced ones; a reduce-window of one input: its window's output dimensions; copy: its operand's;
    tuple and get-tuple-element: the tuple of their operands' shapes and that tuple's element.
    """
    shape = inst.shape
    if shape:
        return shape
    if memo is None:
        memo = {}  # a shape-less operand used twice is inferred once
    key = id(inst)
    if key not in memo:
        memo[key] = ""
        try:
            memo[key] = _inferred_shape(inst, memo)
        except (Unreadable, RecursionError):
            pass
    return memo[key]


def _inferred_shape(inst: HloInstruction, memo: dict) -> str:
    opcode = inst.opcode
    if opcode in ELEMENTWISE_OPCODES or opcode in TRANSCENDENTAL_OPCODES:
        shapes = [operand_shape(inst, i, memo) for i in range(len(inst.operands))]
        return max(shapes, key=lambda text: need(element_count(text)), default="")
    if opcode == "dot":
        lhs, rhs = operand_dims(inst, 0, memo), operand_dims(inst, 1, memo)
        numbers = {key: int_list(inst.attributes.get(key)) for key in _DOT_DIMENSION_NUMBERS}
        lhs_batch, rhs_batch = numbers["lhs_batch_dims"], numbers["rhs_batch_dims"]
        lhs_free = [d for d in range(len(lhs)) if d not in lhs_batch + numbers["lhs_contracting_dims"]]
        rhs_free = [d for d in range(len(rhs)) if d not in rhs_batch + numbers["rhs_contracting_dims"]]
        return _array_text([lhs[d] for d in lhs_batch + lhs_free] + [rhs[d] for d in rhs_free])
    if opcode == "reduce":
        reduced = int_list(inst.attributes.get("dimensions"))
        return _array_text([size for d, size in enumerate(operand_dims(inst, 0, memo)) if d not in reduced])
    if opcode == "copy" and len(inst.operands) == 1:
        return operand_shape(inst, 0, memo)
    if opcode == "tuple":
        shapes = [operand_shape(inst, i, memo) for i in range(len(inst.operands))]
        return "(" + ", ".join(shape or need(None) for shape in shapes) + ")"
    if opcode == "get-tuple-element":
        elements, index = need(tuple_elements(operand_shape(inst, 0, memo))), inst.attributes.get("index", "")
        return elements[int(index)] if index.strip().isdigit() and int(index) < len(elements) else ""
    if opcode == "reduce-window" and len(inst.operands) == 2:
        dims, window = operand_dims(inst, 0, memo), window_dims(inst.attributes.get("window"))
        if len(window) != len(dims):
            raise Unreadable()
        return _array_text([_window_output(size, dim) for size, dim in zip(dims, window)])
    return ""


def _window_output(size: int, dim: dict[str, int]) -> int:
    """One output dimension of a window over an input dimension of ``size`` (XLA's InferWindowOutputShape)."""
    if min(dim["stride"], dim["base_dilation"], dim["window_dilation"]) < 1:
        raise Unreadable()
    padded = ((size - 1) * dim["base_dilation"] + 1 if size else 0) + dim["pad_low"] + dim["pad_high"]
    span = (dim["size"] - 1) * dim["window_dilation"] + 1 if dim["size"] else 0
    return 0 if span > padded else (padded - span) // dim["stride"] + 1


def _array_text(dims: list[int]) -> str:
    # Only the dimensions of an inferred shape are read: the element type is a stand-in.
    return f"f32[{','.join(map(str, dims))}]"


def operand_dims(inst: HloInstruction, index: int, memo: dict | None = None) -> tuple[int, ...]:
    """The dimensions of operand ``index``, an array of known sizes."""
    dims = need(array_dims(operand_shape(inst, index, memo)))
    if any(d is None for d in dims):
        raise Unreadable()
    return dims  # type: ignore[return-value]


def first_array_elements(shape: str) -> int:
    """Elements of an array shape, or of a tuple's first element."""
    elements = tuple_elements(shape)
    return need(element_count(elements[0] if elements else shape))
