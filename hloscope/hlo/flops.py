"""hloscope's own FLOP count, read from shapes and weighted by loop trip counts.

Per instruction:

- ``dot``: 2 * prod(output dims) * prod(lhs contracting dim sizes).
- ``convolution``: 2 * prod(output dims) * prod(kernel spatial dims)
  * input feature dims / feature_group_count, where the kernel spatial
  dims are the rhs dims ``dim_labels`` marks with digits and the input
  features the lhs dim it marks ``f``. Padding and dilation are not
  discounted: every output element counts the whole window.
- elementwise arithmetic (ELEMENTWISE_OPCODES): prod(output dims).
- ``reduce``: elements of its reduced inputs (the first half of its operands).

Everything else counts 0. Instructions count in every computation reachable
from the entry through fusions, calls, conditional branches and while loops
(body x trip count, condition x trip count + 1), but not inside reducers and
comparators (``to_apply`` of reduce, sort, map, scatter, all-reduce, ...),
whose work the calling instruction already counts. A loop of unknown trip
count weighs 1. A dot or convolution whose shapes cannot be read counts 0 and
is listed in ``unreadable`` so the number is never silently short.
"""

from __future__ import annotations

import math

from hloscope.hlo.attributes import int_list, to_int
from hloscope.hlo.metrics import computation_weights
from hloscope.hlo.module import HloInstruction, HloModule
from hloscope.hlo.shapes import array_dims, element_count

ELEMENTWISE_OPCODES = frozenset(
    "add subtract multiply divide remainder power maximum minimum negate abs sign "
    "exponential exponential-minus-one log log-plus-one sqrt rsqrt cbrt tanh logistic "
    "sine cosine tan atan2 erf floor ceil round-nearest-afz round-nearest-even "
    "compare select clamp".split()
)


_FOLLOWED_KINDS = frozenset({"calls", "body", "condition", "branch"})


def _follow(inst: HloInstruction, kind: str) -> bool:
    # A reducer's scalar ops are already counted by the reduce itself.
    return kind in _FOLLOWED_KINDS or (kind == "to_apply" and inst.opcode == "call")


def instruction_flops(inst: HloInstruction) -> tuple[str, int | None]:
    """(category, FLOPs) of one instruction; FLOPs None when its shapes are unreadable."""
    opcode = inst.opcode
    if opcode == "dot":
        return "dot_flops", _dot_flops(inst)
    if opcode == "convolution":
        return "conv_flops", _conv_flops(inst)
    if opcode in ELEMENTWISE_OPCODES:
        return "elementwise_flops", element_count(inst.shape) or 0
    if opcode == "reduce":
        inputs = inst.operands[: len(inst.operands) // 2]
        total = 0
        for name in inputs:
            operand = inst.computation.instruction_map.get(name)
            total += (element_count(operand.shape) or 0) if operand is not None else 0
        return "reduce_flops", total
    return "", 0


def _operand_dims(inst: HloInstruction, index: int):
    if index >= len(inst.operands):
        return None
    operand = inst.computation.instruction_map.get(inst.operands[index])
    return array_dims(operand.shape) if operand is not None else None


def _dot_flops(inst: HloInstruction) -> int | None:
    out_elements = element_count(inst.shape)
    lhs = _operand_dims(inst, 0)
    if out_elements is None or lhs is None:
        return None
    contracting = 1
    for dim in int_list(inst.attributes.get("lhs_contracting_dims")):
        if dim >= len(lhs) or lhs[dim] is None:
            return None
        contracting *= lhs[dim]  # type: ignore[operator]
    return 2 * out_elements * contracting


def _conv_flops(inst: HloInstruction) -> int | None:
    out_elements = element_count(inst.shape)
    lhs = _operand_dims(inst, 0)
    rhs = _operand_dims(inst, 1)
    labels = inst.attributes.get("dim_labels", "").strip()
    if out_elements is None or lhs is None or rhs is None or "_" not in labels or "->" not in labels:
        return None
    lhs_labels, rest = labels.split("_", 1)
    rhs_labels = rest.split("->", 1)[0]
    if len(lhs_labels) != len(lhs) or len(rhs_labels) != len(rhs) or "f" not in lhs_labels:
        return None
    spatial = [rhs[i] for i, ch in enumerate(rhs_labels) if ch.isdigit()]
    features = lhs[lhs_labels.index("f")]
    if features is None or any(d is None for d in spatial):
        return None
    groups = to_int(inst.attributes.get("feature_group_count")) or 1
    if groups < 1:
        return None
    return 2 * out_elements * math.prod(spatial) * features // groups  # type: ignore[arg-type]


def module_flops(module: HloModule) -> dict[str, int | list[str]]:
    """FLOPs of one run of the module's entry, weighted by loop trip counts.

    Keys: dot_flops, conv_flops, elementwise_flops, reduce_flops,
    total_flops (ints) and unreadable (names of dots and convolutions
    whose shapes could not be read).
    """
    totals = {"dot_flops": 0, "conv_flops": 0, "elementwise_flops": 0, "reduce_flops": 0}
    unreadable: list[str] = []
    for name, weight in computation_weights(module, follow=_follow).items():
        if weight == 0:
            continue
        for inst in module.computations[name].instructions:
            category, flops = instruction_flops(inst)
            if not category:
                continue
            if flops is None:
                unreadable.append(inst.name)
                continue
            totals[category] += flops * weight
    result: dict[str, int | list[str]] = dict(totals)
    result["total_flops"] = sum(totals.values())
    result["unreadable"] = unreadable
    return result
