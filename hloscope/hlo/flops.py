"""hloscope's FLOP count: XLA's HloCostAnalysis rules, weighted by loop trip counts.

Each opcode is counted by the rule XLA's ``xla/service/hlo_cost_analysis.cc`` applies to it, or declared uncounted
(never silently 0):

- ``dot``, ``scaled-dot``: 2 x output elements x the product of the lhs contracting sizes; ``ragged-dot`` the same
  after XLA deletes output dimension i for each i below the number of rhs group dimensions, one after the other.
- ``convolution``: 2 x (input features / feature groups) x output features x (batch / batch groups) x, per spatial
  dimension, the kernel positions that meet the input (padding and dilation discounted, as XLA does).
- ``fft``: 8 x the product of floor(log2(length)) over ``fft_length`` x the input's elements.
- elementwise ops, ``convert``, ``bitcast-convert``, ``compare``, ``select``, ``clamp``, ``reduce-precision``: one
  per output element; the transcendental ones (TRANSCENDENTAL_OPCODES: exp, log, tanh, sqrt, power, sinh, acos, ...)
  count as ``transcendentals``, not FLOPs, as in XLA. A shape the text leaves out is read as XLA infers it
  (``hloscope.hlo.flop_shapes``).
- ``reduce``: the reducer's cost x (input elements - output elements); ``reduce-window``, ``select-and-scatter``,
  ``map`` and ``scatter`` scale their computation's cost the same way XLA does.
- ``sort``: n x ceil(log2 n); ``triangular-solve``: 2 x a's last dimension x b's elements; ``cholesky``: a's last
  dimension x a's elements / 3; ``all-reduce``: one per output element; ``rng``: transcendentals.
- ``fusion``, ``call``, ``async-start``: their computation's cost (a ``kCustom`` fusion holding a gather or scatter:
  that instruction's, as in XLA); ``conditional``: the branch with the most FLOPs, the most transcendentals apart;
  ``while``: body x trip count + condition x (trip count + 1). XLA counts a while body and condition once (as
  ``module_flops(..., loops_once=True)`` does); hloscope multiplies by the trip count (unknown: 1).
- The rest (data movement, collectives other than all-reduce, parameters, constants, ...) is 0 FLOPs in XLA's rules
  too.

Not counted, and listed by opcode in ``uncounted_opcodes``: ``custom-call`` (XLA's rule returns "unknown"), ``scan``
(jaxlib 0.10.2 counts its computation x the elements of its second operand, neither once nor per step) and
instructions whose shapes cannot be read.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from hloscope.hlo.attributes import int_list, to_int
from hloscope.hlo.copies import computation_classes
from hloscope.hlo.grammar import async_wrapped_opcode
from hloscope.hlo.loops import while_loops
from hloscope.hlo.module import HloComputation, HloInstruction, HloModule
from hloscope.hlo.flop_shapes import (
    ELEMENTWISE_OPCODES,
    TRANSCENDENTAL_OPCODES,
    first_array_elements,
    leaf_elements,
    need,
    operand_dims,
    operand_shape,
    shape_of,
)
from hloscope.hlo.shapes import array_dims, element_count, tuple_elements
from hloscope.hlo.windows import Unreadable, valid_positions, window_dims

CATEGORIES = ("dot_flops", "conv_flops", "fft_flops", "elementwise_flops", "reduce_flops", "other_flops")
# Opcodes hloscope does not count: XLA's rule says "unknown" (custom-call) or gives no meaningful count (scan).
UNCOUNTED_OPCODES = frozenset({"custom-call", "scan"})
_RULED_BY_SHAPE = ELEMENTWISE_OPCODES | TRANSCENDENTAL_OPCODES | UNCOUNTED_OPCODES | {"rng", "rng-bit-generator"}
_FMA_FLOPS = 2
_OPCODE_OF, _SHAPE_OF = HloInstruction.opcode.fget, HloInstruction.shape.fget


@dataclass
class _Cost:
    """What one run of a computation (or one instruction) costs."""

    # FLOPs per category (a plain dict: thousands of these are made per module).
    flops: dict = field(default_factory=dict)
    transcendentals: int = 0
    # Instructions whose FLOPs are not counted (each listed once).
    uncounted: set = field(default_factory=set)
    unreadable: set = field(default_factory=set)

    def add(self, other: _Cost, times: int = 1) -> None:
        flops = self.flops
        for key, value in other.flops.items():
            flops[key] = flops.get(key, 0) + value * times
        self.transcendentals += other.transcendentals * times
        self.uncounted |= other.uncounted
        self.unreadable |= other.unreadable

    def scaled_into(self, category: str, times: int) -> _Cost:
        """This cost x ``times``, all FLOPs booked under ``category``."""
        cost = _Cost({category: sum(self.flops.values()) * times}, self.transcendentals * times)
        cost.uncounted, cost.unreadable = set(self.uncounted), set(self.unreadable)
        return cost

    @property
    def total(self) -> int:
        return sum(self.flops.values())


def module_flops(module: HloModule, *, loops_once: bool = False) -> dict:
    """FLOPs of one run of the module's entry, weighted by loop trip counts.

    ``loops_once``: count each while body and condition once, as XLA's
    HloCostAnalysis does (to compare with its figure), instead of the body x
    trip count and the condition x (trip count + 1).

    Keys: dot_flops, conv_flops, fft_flops, elementwise_flops, reduce_flops,
    other_flops and total_flops (ints); transcendentals (int, not in the
    total, as XLA keeps them apart); uncounted_opcodes ({opcode: number of
    instructions whose FLOPs are not counted}); unreadable (names of
    instructions whose shapes could not be read, also in uncounted_opcodes).
    """
    if module.entry is None:
        cost = _Cost()
    else:
        trips = {loop.instruction: loop.trip_count for loop in while_loops(module)}
        cost = _Analysis(module, trips, loops_once).computation(module.entry)
    result: dict = {key: cost.flops.get(key, 0) for key in CATEGORIES}
    result["total_flops"] = cost.total
    result["transcendentals"] = cost.transcendentals
    result["uncounted_opcodes"] = dict(sorted(Counter(inst.opcode for inst in cost.uncounted).items()))
    result["unreadable"] = sorted(inst.name for inst in cost.unreadable)
    return result


class _Analysis:
    def __init__(self, module: HloModule, trips: dict, loops_once: bool = False):
        self.module = module
        self.trips = trips
        self.loops_once = loops_once
        self.costs: dict[str, _Cost] = {}
        # Computations alike but for names cost alike: one cost per class (hloscope.hlo.copies), unless it
        # lists instructions (those are each computation's own).
        self.classes = computation_classes(module)
        self.class_costs: dict[int, _Cost] = {}
        self.per_element: dict[tuple[bool, bool, str], _Cost] = {}

    def computation(self, computation: HloComputation) -> _Cost:
        cost = self.costs.get(computation.name)
        if cost is None:
            alike = self.classes.get(computation.name)
            cost = self.class_costs.get(alike)  # type: ignore[arg-type]
            if cost is not None:
                self.costs[computation.name] = cost
                return cost
            cost = self.costs[computation.name] = _Cost()
            insts = computation.instructions
            # Most instructions' rules read their opcode and shape alone: one
            # rule per distinct pair, times how often it occurs (an unrolled
            # stack repeats each pair once per layer).
            forms: dict[tuple[str, str], int] = {}
            for form in zip(map(_OPCODE_OF, insts), map(_SHAPE_OF, insts)):
                forms[form] = forms.get(form, 0) + 1
            flops = cost.flops
            one_by_one = set()
            for form, times in forms.items():
                opcode, shape = form
                if opcode in _BY_INSTRUCTION or async_wrapped_opcode(opcode) is not None:
                    one_by_one.add(form)
                elif opcode in _RULED_BY_SHAPE:
                    shared = self.per_element_cost(opcode, shape)
                    if shared is None:
                        one_by_one.add(form)  # unreadable shape: each instruction is listed
                    else:
                        for key, value in shared.flops.items():
                            flops[key] = flops.get(key, 0) + value * times
                        cost.transcendentals += shared.transcendentals * times
            if one_by_one:
                for inst in insts:
                    if (inst.opcode, inst.shape) in one_by_one:
                        cost.add(self.instruction(inst))
            if not cost.uncounted and alike is not None:
                self.class_costs[alike] = cost
        return cost

    def called(self, name: str) -> _Cost:
        computation = self.module.computations.get(name)
        return self.computation(computation) if computation is not None else _Cost()

    def instruction(self, inst: HloInstruction) -> _Cost:
        opcode = inst.opcode
        wrapped = async_wrapped_opcode(opcode)
        if wrapped is not None:
            # OP-start stands for async-start wrapping OP; its output is the tuple's second element.
            if not opcode.endswith("-start"):
                return _Cost()
            elements = tuple_elements(inst.shape) or []
            return self.rule(inst, wrapped, elements[1] if len(elements) > 1 else "")
        return self.rule(inst, opcode, shape_of(inst))

    def rule(self, inst: HloInstruction, opcode: str, shape: str) -> _Cost:
        handler = _HANDLERS.get(opcode)
        if handler is None:
            if opcode not in _RULED_BY_SHAPE:
                return _NOTHING  # XLA's rule counts no FLOPs
            if opcode not in UNCOUNTED_OPCODES:
                shared = self.per_element_cost(opcode, shape)
                if shared is not None:
                    return shared
        if handler is not None and opcode not in UNCOUNTED_OPCODES:
            try:
                return handler(self, inst, shape)
            except Unreadable:
                return _Cost(uncounted={inst}, unreadable={inst})
        if opcode in UNCOUNTED_OPCODES:
            return _Cost(uncounted={inst})
        return _Cost(uncounted={inst}, unreadable={inst})  # a per-element opcode whose shape cannot be read

    def per_element_cost(self, opcode: str, shape: str) -> _Cost | None:
        """One per output element, one shared cost per kind and shape (fused layers repeat them); None: unreadable."""
        key = (opcode in ELEMENTWISE_OPCODES, opcode == "rng-bit-generator", shape)
        if key not in self.per_element:
            elements = element_count(shape) if not key[1] else leaf_elements(shape)
            counted = {"elementwise_flops": elements} if key[0] else {}
            self.per_element[key] = None if elements is None else _Cost(counted, 0 if key[0] else elements)
        return self.per_element[key]

    def calls(self, inst: HloInstruction, kind: str) -> list[str]:
        return [name for k, name in inst.calls if k == kind]


# The cost of ops XLA counts no FLOPs for (no handler, not _RULED_BY_SHAPE): one shared record, never changed.
_NOTHING = _Cost()


def _dot(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    """dot and scaled-dot: 2 x output elements x the product of the lhs contracting sizes."""
    return _dot_cost(inst, need(element_count(shape)))


def _ragged_dot(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    # XLA's rule deletes output dimension i for each i below the number of rhs group dimensions, one after
    # the other (the usual [m,n] output of one group dimension counts as [n]), then counts it as a dot.
    dims = list(need(array_dims(shape)))
    for index in range(len(int_list(inst.attributes.get("rhs_group_dims")))):
        if index >= len(dims):
            raise Unreadable()
        del dims[index]
    if any(d is None for d in dims):
        raise Unreadable()
    return _dot_cost(inst, math.prod(dims))  # type: ignore[arg-type]


def _dot_cost(inst: HloInstruction, output_elements: int) -> _Cost:
    lhs = operand_dims(inst, 0)
    width = 1
    for dim in int_list(inst.attributes.get("lhs_contracting_dims")):
        if dim >= len(lhs):
            raise Unreadable()
        width *= lhs[dim]
    return _Cost({"dot_flops": _FMA_FLOPS * output_elements * width})


def _conv(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    lhs, rhs = operand_dims(inst, 0), operand_dims(inst, 1)
    out = need(array_dims(shape))
    if any(d is None for d in out):
        raise Unreadable()
    labels = inst.attributes.get("dim_labels", "").strip()
    if "_" not in labels or "->" not in labels:
        raise Unreadable()
    lhs_labels, rest = labels.split("_", 1)
    rhs_labels, out_labels = rest.split("->", 1)
    if (len(lhs_labels), len(rhs_labels), len(out_labels)) != (len(lhs), len(rhs), len(out)):
        raise Unreadable()
    if "b" not in lhs_labels or "f" not in lhs_labels or "f" not in out_labels:
        raise Unreadable()

    def spatial(labels: str) -> list[int]:
        return [labels.index(str(k)) for k in range(sum(ch.isdigit() for ch in labels))]

    window = window_dims(inst.attributes.get("window"))
    if window:
        limits = list(zip(spatial(rhs_labels), spatial(out_labels), spatial(lhs_labels)))
        if len(limits) != len(window):
            raise Unreadable()
        sizes = [(rhs[k], out[o], lhs[i]) for k, o, i in limits]
    else:
        window = window_dims("{size=1}")
        sizes = [(1, 1, 1)]
    positions = math.prod(valid_positions(w, *s) for w, s in zip(window, sizes))
    features = lhs[lhs_labels.index("f")] // (to_int(inst.attributes.get("feature_group_count")) or 1)
    batch = lhs[lhs_labels.index("b")] // (to_int(inst.attributes.get("batch_group_count")) or 1)
    fma = features * out[out_labels.index("f")] * batch * positions
    return _Cost({"conv_flops": _FMA_FLOPS * fma})


def _fft(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    operand = operand_shape(inst, 0)
    elements = tuple_elements(operand)
    log_factors = 1
    for length in int_list(inst.attributes.get("fft_length")):
        # XLA's Log2Floor of an unsigned 64-bit length: -1 for a length of 0, 63 for a negative one.
        log_factors *= length.bit_length() - 1 if length >= 0 else 63
    complex_mul_fmas = 4
    flops = _FMA_FLOPS * complex_mul_fmas * log_factors * need(element_count(elements[0] if elements else operand))
    return _Cost({"fft_flops": flops})


def _sub(analysis: _Analysis, inst: HloInstruction, kind: str = "to_apply") -> _Cost:
    names = analysis.calls(inst, kind)
    if len(names) == 1:
        return analysis.called(names[0])  # shared: instruction costs are never changed
    cost = _Cost()
    for name in names:
        cost.add(analysis.called(name))
    return cost


def _reduce(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    count = need(element_count(operand_shape(inst, 0))) - first_array_elements(shape)
    return _sub(analysis, inst).scaled_into("reduce_flops", count)


def _reduce_window(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    window = window_dims(inst.attributes.get("window"))
    window_elements = math.prod(w["size"] for w in window)
    output_elements = first_array_elements(shape)
    count = (window_elements - 1) * output_elements
    reducing = [w for w in window if w["size"] != 1]
    padded = [w for w in window if w["pad_low"] or w["pad_high"]]
    out_dims = array_dims(shape)
    if len(reducing) == 1 and len(padded) == 1 and out_dims is not None:
        for index, w in enumerate(window):
            if w["size"] != 1 and w["pad_low"] != 0 and w["pad_low"] == w["pad_high"] and w["size"] == 2 * w["pad_low"] + 1:
                if w["pad_low"] == need(out_dims[index]) - 1:
                    window_elements = out_dims[index]
                    count = output_elements // window_elements + window_elements - 1
                break
    return _sub(analysis, inst).scaled_into("reduce_flops", count)


def _select_and_scatter(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    source = need(element_count(operand_shape(inst, 1)))
    window_elements = math.prod(w["size"] for w in window_dims(inst.attributes.get("window")))
    cost = _sub(analysis, inst, "select").scaled_into("reduce_flops", source * (window_elements - 1))
    cost.add(_sub(analysis, inst, "scatter").scaled_into("reduce_flops", source))
    return cost


def _map(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    return _sub(analysis, inst).scaled_into("reduce_flops", need(element_count(shape)))


def _scatter(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    inputs = (len(inst.operands) - 1) // 2
    return _sub(analysis, inst).scaled_into("reduce_flops", need(element_count(operand_shape(inst, inputs + 1))))


def _sort(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    n = need(element_count(operand_shape(inst, 0)))
    return _Cost({"other_flops": n * (max(n, 1) - 1).bit_length()})


def _triangular_solve(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    a = operand_dims(inst, 0)
    b = need(element_count(operand_shape(inst, 1)))
    return _Cost({"other_flops": _FMA_FLOPS * (a[-1] if a else 1) * b})


def _cholesky(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    a = operand_dims(inst, 0)
    return _Cost({"other_flops": (a[-1] if a else 1) * math.prod(a) // 3})


def _all_reduce(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    return _Cost({"reduce_flops": need(leaf_elements(shape))})


def _calls_kind(kind: str):
    def handler(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
        return _sub(analysis, inst, kind)

    return handler


def _while(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    trips = analysis.trips.get(inst)
    trips = 1 if trips is None else trips
    cost = _Cost()
    cost.add(_sub(analysis, inst, "body"), 1 if analysis.loops_once else trips)
    cost.add(_sub(analysis, inst, "condition"), 1 if analysis.loops_once else trips + 1)
    return cost


def _fusion(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    # XLA costs a custom fusion that holds a gather or a scatter as its first such instruction alone.
    # The fusion's kind is read only once one is found: decoding every fusion's attributes would
    # cost more than the rest of its FLOPs (each fusion line is a distinct text).
    for name in analysis.calls(inst, "calls"):
        computation = analysis.module.computations.get(name)
        for inner in computation.instructions if computation is not None else ():
            if inner.opcode == "gather" or inner.opcode == "scatter":
                if inst.attributes.get("kind", "").strip() != "kCustom":
                    return _sub(analysis, inst, "calls")
                return _NOTHING if inner.opcode == "gather" else analysis.rule(inner, "scatter", shape_of(inner))
    return _sub(analysis, inst, "calls")


def _conditional(analysis: _Analysis, inst: HloInstruction, shape: str) -> _Cost:
    # XLA takes the largest of each figure over the branches: the largest FLOP total (booked by the
    # categories of the branch that has it) and, apart, the most transcendentals.
    cost = _Cost()
    largest = None
    for name in analysis.calls(inst, "branch"):
        branch = analysis.called(name)
        if largest is None or branch.total > largest.total:
            largest = branch
        cost.transcendentals = max(cost.transcendentals, branch.transcendentals)
        cost.uncounted |= branch.uncounted
        cost.unreadable |= branch.unreadable
    if largest is not None:
        cost.flops = dict(largest.flops)
    return cost


_HANDLERS = {
    "dot": _dot,
    "scaled-dot": _dot,
    "ragged-dot": _ragged_dot,
    "convolution": _conv,
    "fft": _fft,
    "reduce": _reduce,
    "reduce-window": _reduce_window,
    "select-and-scatter": _select_and_scatter,
    "map": _map,
    "scatter": _scatter,
    "sort": _sort,
    "triangular-solve": _triangular_solve,
    "cholesky": _cholesky,
    "all-reduce": _all_reduce,
    "all-reduce-start": _all_reduce,
    "fusion": _fusion,
    "call": _calls_kind("to_apply"),
    "async-start": _calls_kind("calls"),
    "while": _while,
    "conditional": _conditional,
}
# Opcodes whose cost needs the instruction itself (operands, attributes, calls), not only its opcode and shape.
_BY_INSTRUCTION = frozenset(_HANDLERS) | UNCOUNTED_OPCODES
