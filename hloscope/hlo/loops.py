"""While loops: where they are, how deeply they nest, how many times they run.

The trip count comes from ``backend_config`` ``known_trip_count`` when XLA
wrote it (optimized HLO). Otherwise it is inferred from the pattern JAX emits
before optimization: an induction variable initialised from a constant,
stepped by a constant in the body and compared with a constant (or a value the
body passes through unchanged) in the condition. When neither applies it is
None; it is never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from hloscope.hlo.attributes import backend_config, to_int
from hloscope.hlo.graphs import call_order, calls_from
from hloscope.hlo.module import HloComputation, HloInstruction, HloModule

# Looking through copies and one-op fusions stays this shallow.
_MAX_RESOLVE_STEPS = 8
_INT_TYPES = ("s8", "s16", "s32", "s64", "u8", "u16", "u32", "u64")


@dataclass(frozen=True)
class WhileLoop:
    """One while instruction and what is known about it."""

    instruction: HloInstruction
    computation: HloComputation
    body: HloComputation | None
    condition: HloComputation | None
    depth: int
    trip_count: int | None
    # "backend_config", "pattern" or None (unknown).
    trip_count_source: str | None

    @property
    def name(self) -> str:
        """The while instruction's name."""
        return self.instruction.name


_LOOPS: WeakKeyDictionary[HloModule, tuple[WhileLoop, ...]] = WeakKeyDictionary()


def while_loops(module: HloModule) -> list[WhileLoop]:
    """One record per while instruction in text order, with nesting depth and trip count.

    Computed once per module; the list returned is the caller's own.
    """
    loops = _LOOPS.get(module)
    if loops is None:
        loops = _LOOPS[module] = tuple(find_while_loops(module))
    return list(loops)


def find_while_loops(module: HloModule) -> list[WhileLoop]:
    """Every while instruction in text order, with depth and trip count (not cached)."""
    depths = loop_depths(module)
    loops = []
    for computation in module.computations.values():
        for inst in computation.instructions:
            if inst.opcode != "while":
                continue
            targets = {kind: name for kind, name in inst.calls}
            body = module.computations.get(targets.get("body", ""))
            condition = module.computations.get(targets.get("condition", ""))
            trip_count, source = trip_count_of(inst, body, condition)
            loops.append(
                WhileLoop(inst, computation, body, condition, depths.get(computation.name, 0) + 1, trip_count, source)
            )
    return loops


def loop_depths(module: HloModule) -> dict[str, int]:
    """For each computation, how many while bodies (or conditions) enclose it.

    Computations no one calls count as top level; a computation reached along
    several paths takes its deepest nesting.
    """
    calls = calls_from(module)
    depth = dict.fromkeys(module.computations, 0)
    for name in call_order(module):
        outer = depth[name]
        for _, kind, callee in calls[name]:
            inner = outer + 1 if kind == "body" or kind == "condition" else outer
            if inner > depth[callee]:
                depth[callee] = inner
    return depth


def trip_count_of(
    inst: HloInstruction, body: HloComputation | None, condition: HloComputation | None
) -> tuple[int | None, str | None]:
    """Trip count of a while instruction and where it came from."""
    config = backend_config(inst.attributes.get("backend_config"))
    if config:
        known = config.get("known_trip_count")
        trips = to_int(str(known.get("n"))) if isinstance(known, dict) else None
        if trips is not None and trips >= 0:
            return trips, "backend_config"
    if body is None or condition is None or not inst.operands:
        return None, None
    inferred = _infer_from_pattern(inst, body, condition)
    return (inferred, "pattern") if inferred is not None else (None, None)


def _infer_from_pattern(inst: HloInstruction, body: HloComputation, condition: HloComputation) -> int | None:
    compare = _resolve_op(condition.root)
    if compare is None or compare[0] != "compare" or len(compare[2]) != 2:
        return None
    _, cmp_inst, (left, right) = compare
    direction = cmp_inst.attributes.get("direction", "").strip()
    left_index = _tuple_index_of_param(left)
    right_index = _tuple_index_of_param(right)
    init_tuple = _producer(inst, inst.operands[0])
    if left_index is not None and right_index is None:
        index, bound_inst = left_index, right
    elif right_index is not None and left_index is None:
        index, bound_inst = right_index, left
        direction = {"LT": "GT", "LE": "GE", "GT": "LT", "GE": "LE"}.get(direction, direction)
    elif left_index is not None and right_index is not None:
        # ``i < n`` with n carried unchanged through the loop.
        bound = _passed_through_constant(body, init_tuple, right_index)
        if bound is None:
            return None
        return _count(_init_value(init_tuple, left_index), _step(body, left_index), bound, direction)
    else:
        return None
    bound = _int_constant(bound_inst)
    if bound is None:
        bound = _passed_through_constant(body, init_tuple, _tuple_index_of_param(bound_inst))
    return _count(_init_value(init_tuple, index), _step(body, index), bound, direction)


def _count(init: int | None, step: int | None, bound: int | None, direction: str) -> int | None:
    if init is None or step is None or bound is None or step == 0:
        return None
    if direction in ("LT", "LE") and step > 0:
        end = bound if direction == "LT" else bound + 1
        return max(0, -(-(end - init) // step))
    if direction in ("GT", "GE") and step < 0:
        end = bound if direction == "GT" else bound - 1
        return max(0, -(-(init - end) // -step))
    if direction == "NE" and (bound - init) % step == 0 and (bound - init) // step >= 0:
        return (bound - init) // step
    return None


def _producer(inst: HloInstruction, name: str) -> HloInstruction | None:
    return inst.computation.instruction_map.get(name)


def _skip_copies(inst: HloInstruction | None) -> HloInstruction | None:
    for _ in range(_MAX_RESOLVE_STEPS):
        if inst is None or inst.opcode not in ("copy", "bitcast", "reshape", "convert") or not inst.operands:
            return inst
        inst = _producer(inst, inst.operands[0])
    return inst


def _resolve_op(inst: HloInstruction | None):
    """(opcode, instruction, operand instructions) seen through a one-op fusion or call."""
    inst = _skip_copies(inst)
    if inst is None:
        return None
    if inst.opcode in ("fusion", "call") and inst.calls:
        callee = inst.computation.module.computations.get(inst.calls[0][1])
        root = _skip_copies(callee.root) if callee else None
        if root is None:
            return None
        args = []
        for operand in root.operands:
            param = _skip_copies(_producer(root, operand))
            number = param.parameter_number if param is not None else None
            if number is None or number >= len(inst.operands):
                return None
            args.append(_producer(inst, inst.operands[number]))
        return root.opcode, root, args
    return inst.opcode, inst, [_producer(inst, name) for name in inst.operands]


def _tuple_index_of_param(inst: HloInstruction | None) -> int | None:
    """k when ``inst`` is ``get-tuple-element(parameter(0)), index=k``."""
    inst = _skip_copies(inst)
    if inst is None or inst.opcode != "get-tuple-element" or not inst.operands:
        return None
    source = _skip_copies(_producer(inst, inst.operands[0]))
    if source is None or source.parameter_number != 0:
        return None
    return to_int(inst.attributes.get("index"))


def _int_constant(inst: HloInstruction | None) -> int | None:
    inst = _skip_copies(inst)
    if inst is None:
        return None
    if inst.opcode == "broadcast" and inst.operands:
        inst = _skip_copies(_producer(inst, inst.operands[0]))
        if inst is None:
            return None
    if inst.opcode != "constant" or not inst.shape.startswith(_INT_TYPES) or "[]" not in inst.shape:
        return None
    return to_int(inst.payload)


def _init_value(init_tuple: HloInstruction | None, index: int) -> int | None:
    init_tuple = _skip_copies(init_tuple)
    if init_tuple is None or init_tuple.opcode != "tuple" or index >= len(init_tuple.operands):
        return None
    return _int_constant(_producer(init_tuple, init_tuple.operands[index]))


def _step(body: HloComputation, index: int) -> int | None:
    root = _skip_copies(body.root)
    if root is None or root.opcode != "tuple" or index >= len(root.operands):
        return None
    resolved = _resolve_op(_producer(root, root.operands[index]))
    if resolved is None or resolved[0] not in ("add", "subtract") or len(resolved[2]) != 2:
        return None
    opcode, (a, b) = resolved[0], resolved[2]
    if _tuple_index_of_param(a) == index and _int_constant(b) is not None:
        step = _int_constant(b)
        return step if opcode == "add" else -step  # type: ignore[operator]
    if opcode == "add" and _tuple_index_of_param(b) == index:
        return _int_constant(a)
    return None


def _passed_through_constant(body: HloComputation, init_tuple: HloInstruction | None, index: int | None) -> int | None:
    """The constant a loop carries unchanged in tuple element ``index``."""
    if index is None:
        return None
    root = _skip_copies(body.root)
    if root is None or root.opcode != "tuple" or index >= len(root.operands):
        return None
    if _tuple_index_of_param(_producer(root, root.operands[index])) != index:
        return None
    return _init_value(init_tuple, index)
